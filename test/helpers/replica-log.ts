/**
 * The emulator's request log read per replica: each replica's Rancher requests carry `User-Agent:
 * rancher-reconciler replica/<id>` (rancher-connection.ts), and the log records it on arrival with the
 * arrival time on the emulator clock (the system clock of this process, unless a test gave another).
 */
import diagnostics from 'node:diagnostics_channel';
import type { EmulatorHandle, RequestLogEntry } from '../../src/emulator/emulator.js';

/** One mutating request (method other than GET) as the emulator received it. */
export type Mutation = Readonly<{ seq: number; at: number; replica: string | null; method: string; path: string; action: string | null; containerId: string | null; committed: boolean }>;

/** The replica id in a `rancher-reconciler replica/<id>` User-Agent, or null for any other sender. */
export function replicaOf(userAgent: string | null): string | null {
  return /\brancher-reconciler replica\/(\S+)/.exec(userAgent ?? '')?.[1] ?? null;
}

function toMutation(entry: RequestLogEntry): Mutation {
  const { seq, at, method, path, action, containerId, committed } = entry;
  return { seq, at, replica: replicaOf(entry.userAgent), method, path, action, containerId, committed };
}

/** Every mutation in the log (optionally after `afterSeq`), in arrival order. */
export function mutations(emu: EmulatorHandle, afterSeq = 0): Mutation[] {
  return emu.requests(afterSeq).filter((entry) => entry.method !== 'GET').map(toMutation);
}

/** The mutations of `replica` only. */
export function mutationsFrom(emu: EmulatorHandle, replica: string, afterSeq = 0): Mutation[] {
  return mutations(emu, afterSeq).filter((m) => m.replica === replica);
}

/** The seq of the last logged request (0 for none): a cursor for "what came after this moment". */
export function lastSeq(emu: EmulatorHandle): number {
  return emu.requests().at(-1)?.seq ?? 0;
}

/**
 * Resolves with the first mutation after `afterSeq` that `predicate` accepts, checked just after each
 * request reaches the emulator (node's `http.server.request.start` diagnostics channel, as
 * `whenCounted` in emulator.ts does) with a 200 ms re-check as a safety net. Rejects after `timeoutMs`
 * with a summary of what was logged meanwhile.
 */
export function whenMutation(emu: EmulatorHandle, predicate: (m: Mutation) => boolean, options: Readonly<{ afterSeq?: number; timeoutMs: number; what: string }>): Promise<Mutation> {
  return new Promise((resolve, reject) => {
    let cursor = options.afterSeq ?? 0;
    let finished = false;
    const check = (): void => {
      if (finished) return;
      for (const m of mutations(emu, cursor)) {
        cursor = m.seq;
        if (predicate(m)) return done(() => resolve(m));
      }
    };
    const onRequestStart = (message: unknown): void => {
      const address = (message as { server?: { address(): unknown } }).server?.address();
      if (typeof address === 'object' && address !== null && (address as { port?: number }).port !== emu.port) return;
      setImmediate(check);
    };
    const safetyNet = setInterval(check, 200);
    const timer = setTimeout(() => {
      const seen = mutations(emu, options.afterSeq ?? 0);
      done(() => reject(new Error(`no ${options.what} within ${options.timeoutMs} ms; ${seen.length} mutations meanwhile, by ${JSON.stringify(countBy(seen))}`)));
    }, options.timeoutMs);
    const done = (settle: () => void): void => {
      finished = true;
      clearInterval(safetyNet);
      clearTimeout(timer);
      diagnostics.unsubscribe('http.server.request.start', onRequestStart);
      settle();
    };
    diagnostics.subscribe('http.server.request.start', onRequestStart);
    check();
  });
}

/** How many mutations each sender made (`null` = not a replica). */
export function countBy(list: readonly Mutation[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of list) counts[String(m.replica)] = (counts[String(m.replica)] ?? 0) + 1;
  return counts;
}

/** Committed `?action=<action>` calls per container id (e.g. restarts: one per new token). */
export function actionsPerContainer(emu: EmulatorHandle, action: string, afterSeq = 0): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of mutations(emu, afterSeq)) {
    if (m.action === action && m.committed && m.containerId !== null) counts.set(m.containerId, (counts.get(m.containerId) ?? 0) + 1);
  }
  return counts;
}
