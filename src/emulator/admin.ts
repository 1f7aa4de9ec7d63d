import type { IncomingMessage, ServerResponse } from 'node:http';
import { coerceError } from '../errors.js';
import type { FaultPlan } from './faults.js';
import type { RequestLogEntry } from './request-log.js';
import type { RawContainer } from './store.js';

/** What the admin routes act on (the emulator handle's own methods). */
export type AdminTarget = Readonly<{
  faults(): FaultPlan;
  setFaults(plan: FaultPlan): void;
  partition(durationMs: number): void;
  counters(): Readonly<Record<string, number>>;
  resetCounters(): void;
  closeSubscriptions(): void;
  requests(afterSeq?: number): RequestLogEntry[];
  clearRequests(): void;
  containers(): RawContainer[];
}>;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const notAllowed = (res: ServerResponse): void => send(res, 405, { error: 'method not allowed' });

/** Parses a JSON body (empty = `{}`); throws a SyntaxError for bad JSON. */
const json = (bodyText: string): unknown => JSON.parse(bodyText === '' ? '{}' : bodyText);

function durationOf(body: unknown): number {
  const durationMs = (body as { durationMs?: unknown } | null)?.durationMs;
  if (typeof durationMs !== 'number' || !Number.isInteger(durationMs) || durationMs < 0 || durationMs > 3_600_000) {
    throw new RangeError(`Expected \`durationMs\` to be an integer from 0 to 3600000, got \`${JSON.stringify(durationMs)}\``);
  }
  return durationMs;
}

/**
 * Emulator extension routes for out-of-process control (chaos runs, benchmarks, the CLI):
 * `GET|PUT /_emulator/faults`, `POST /_emulator/partition {durationMs}`, `GET|DELETE /_emulator/counters`,
 * `POST /_emulator/subscriptions/close`, `GET|DELETE /_emulator/requests` (`?after=SEQ` returns only
 * later entries) and `GET /_emulator/containers`. Never counted, faulted, logged or authenticated, and
 * served during a partition. Answers `{error}` with 400/404/405 for bad input.
 */
export function handleAdmin(target: AdminTarget, method: string, url: URL, bodyText: string, res: ServerResponse): void {
  const route = url.pathname.replace(/\/+$/, '');
  try {
    switch (route) {
      case '/_emulator/faults':
        if (method === 'GET') return send(res, 200, target.faults());
        if (method !== 'PUT') return notAllowed(res);
        target.setFaults(json(bodyText) as FaultPlan);
        return send(res, 200, target.faults());
      case '/_emulator/partition':
        if (method !== 'POST') return notAllowed(res);
        target.partition(durationOf(json(bodyText)));
        return send(res, 200, target.faults());
      case '/_emulator/counters':
        if (method === 'GET') return send(res, 200, target.counters());
        if (method !== 'DELETE') return notAllowed(res);
        target.resetCounters();
        return send(res, 200, {});
      case '/_emulator/subscriptions/close':
        if (method !== 'POST') return notAllowed(res);
        target.closeSubscriptions();
        return send(res, 200, {});
      case '/_emulator/requests': {
        if (method === 'DELETE') {
          target.clearRequests();
          return send(res, 200, {});
        }
        if (method !== 'GET') return notAllowed(res);
        const after = url.searchParams.get('after') ?? '0';
        if (!/^\d+$/.test(after)) throw new RangeError(`Expected \`after\` to be a sequence number, got \`${after}\``);
        return send(res, 200, target.requests(Number(after)));
      }
      case '/_emulator/containers':
        if (method !== 'GET') return notAllowed(res);
        return send(res, 200, target.containers());
      default:
        return send(res, 404, { error: 'not found' });
    }
  } catch (error: unknown) {
    // bad JSON, a refused fault plan or a bad parameter: the caller's input, answered, not logged
    return send(res, 400, { error: coerceError(error).message });
  }
}

/**
 * Reads a whole request body as UTF-8. Rejects when the request fails or its connection closes before the
 * body is complete (the client gave up).
 */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('connection closed before the request body was complete'));
    });
  });
}
