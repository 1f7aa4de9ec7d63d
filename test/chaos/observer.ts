/**
 * What the runner records from the emulator's admin routes (never faulted, answered during a partition):
 * the request log, fetched incrementally and kept across emulator restarts (the emulator keeps it in memory
 * only), and samples of the raw container store for the availability timeline.
 */
import type { RequestLogEntry } from '../../src/emulator/request-log.js';
import type { RawContainer } from '../../src/emulator/store.js';
import type { LoggedRequest, Sample } from './invariants.js';

const goneStates: ReadonlySet<string> = new Set(['removing', 'removed', 'purging', 'purged']);

/** GETs an admin route as JSON, with a short timeout (the emulator may be down). */
export async function adminGet<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return (await response.json()) as T;
}

/** Sends a JSON body to an admin route (PUT /_emulator/faults, POST /_emulator/partition). */
export async function adminSend(method: 'PUT' | 'POST', url: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
}

/**
 * The concatenated request log of every emulator incarnation. Entries are updated in place by the emulator
 * until they settle (`pending` -> a status), so each poll re-reads from the oldest still-pending entry.
 * Call {@link emulatorStopped} after an emulator exited: its still-pending entries are marked `lost`
 * (never processed: the emulator cancels pending delays on close) and the next incarnation starts at seq 1.
 */
export class RequestLogCollector {
  readonly #admin: string;
  readonly #entries = new Map<string, LoggedRequest>();
  readonly #pending = new Set<number>();
  #incarnation = 1;
  #maxSeq = 0;

  constructor(admin: string) {
    this.#admin = admin;
  }

  async poll(): Promise<void> {
    const after = this.#pending.size > 0 ? Math.min(...this.#pending) - 1 : this.#maxSeq;
    const incarnation = this.#incarnation;
    const fresh = await adminGet<RequestLogEntry[]>(`${this.#admin}/_emulator/requests?after=${after}`);
    if (incarnation !== this.#incarnation) return; // the emulator restarted while this poll was in flight
    for (const entry of fresh) {
      this.#entries.set(`${incarnation}.${entry.seq}`, { ...entry, incarnation });
      this.#maxSeq = Math.max(this.#maxSeq, entry.seq);
      if (entry.status === 'pending') this.#pending.add(entry.seq);
      else this.#pending.delete(entry.seq);
    }
  }

  emulatorStopped(): void {
    for (const seq of this.#pending) {
      const key = `${this.#incarnation}.${seq}`;
      const entry = this.#entries.get(key);
      if (entry !== undefined) this.#entries.set(key, { ...entry, lost: true });
    }
    this.#pending.clear();
    this.#incarnation += 1;
    this.#maxSeq = 0;
  }

  entries(): LoggedRequest[] {
    return [...this.#entries.values()];
  }
}

/** Compacts the raw store into one sample. */
export function toSample(at: number, containers: readonly RawContainer[]): Sample {
  return {
    at,
    containers: containers.map((c) => ({
      id: c.id, name: c.name, state: c.state,
      image: typeof c.fields['imageUuid'] === 'string' ? c.fields['imageUuid'] : null,
      removed: c.removed !== null || goneStates.has(c.state),
    })),
  };
}

/**
 * Samples `GET /_emulator/containers` every `intervalMs` while started. A sample's `at` is when its request
 * was sent, so it is never later than the moment the store was read. Failed polls (emulator down) are skipped.
 */
export class StoreSampler {
  readonly #admin: string;
  readonly #intervalMs: number;
  readonly samples: Sample[] = [];
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(admin: string, intervalMs = 100) {
    this.#admin = admin;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        const at = Date.now();
        try {
          this.samples.push(toSample(at, await adminGet<RawContainer[]>(`${this.#admin}/_emulator/containers`)));
        } catch {
          // the emulator is restarting: no sample for this tick
        }
        await new Promise((r) => setTimeout(r, Math.max(0, this.#intervalMs - (Date.now() - at))));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}
