import type { IncomingMessage, ServerResponse } from 'node:http';
import { coerceError } from '../errors.js';
import type { FaultPlan } from './faults.js';

/** What the admin routes act on (the emulator handle's own methods). */
export type AdminTarget = Readonly<{
  faults(): FaultPlan;
  setFaults(plan: FaultPlan): void;
  counters(): Readonly<Record<string, number>>;
  resetCounters(): void;
  closeSubscriptions(): void;
}>;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Emulator extension routes for out-of-process control (benchmarks, the CLI): `GET|PUT /_emulator/faults`,
 * `GET|DELETE /_emulator/counters`, `POST /_emulator/subscriptions/close`. Never counted, faulted or
 * authenticated. Answers `{error}` with 400/404/405 for bad input.
 */
export function handleAdmin(target: AdminTarget, method: string, path: string, bodyText: string, res: ServerResponse): void {
  const route = path.replace(/\/+$/, '');
  if (route === '/_emulator/faults') {
    if (method === 'GET') return send(res, 200, target.faults());
    if (method === 'PUT') {
      let plan: FaultPlan;
      try {
        plan = JSON.parse(bodyText === '' ? '{}' : bodyText) as FaultPlan;
        target.setFaults(plan);
      } catch (error: unknown) {
        return send(res, 400, { error: coerceError(error).message });
      }
      return send(res, 200, target.faults());
    }
    return send(res, 405, { error: 'method not allowed' });
  }
  if (route === '/_emulator/counters') {
    if (method === 'GET') return send(res, 200, target.counters());
    if (method === 'DELETE') {
      target.resetCounters();
      return send(res, 200, {});
    }
    return send(res, 405, { error: 'method not allowed' });
  }
  if (route === '/_emulator/subscriptions/close') {
    if (method !== 'POST') return send(res, 405, { error: 'method not allowed' });
    target.closeSubscriptions();
    return send(res, 200, {});
  }
  return send(res, 404, { error: 'not found' });
}

/** Reads a whole request body as UTF-8. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
