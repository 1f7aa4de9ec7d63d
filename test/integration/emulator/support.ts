/** Shared helpers of the emulator's fault, partition, request-log and persistence tests. */
import { WebSocket } from 'ws';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';

/** One /v1/subscribe event as sent. */
export type StreamEvent = { id: string; name: string; resourceId: string | null; resourceType: string | null; time: number; data: any };

/**
 * Resolves with `probe()`'s value once `accept` holds for it; rejects after `timeoutMs` (generous: the
 * machine may be loaded). For conditions only visible by looking (the request log, the store), not a sleep.
 */
export async function until<T>(probe: () => T | Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // 10 ms growing to 200 ms: quick when the condition is near, light on a loaded machine when it is not
  for (let intervalMs = 10; ; intervalMs = Math.min(200, Math.ceil(intervalMs * 1.5))) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The origin of an emulator (`http://127.0.0.1:PORT`), where `/_emulator/*` lives. */
export const originOf = (emulator: EmulatorHandle): string => emulator.url.replace(/\/v1$/, '');

/** Records every event of a subscription and lets a test await the next one matching a predicate. */
export class EventReader {
  readonly ws: WebSocket;
  /** Every event received, in order. */
  readonly all: StreamEvent[] = [];
  readonly #closed: Promise<number>;
  #waiters: { from: number; predicate: (event: StreamEvent) => boolean; resolve: (event: StreamEvent) => void }[] = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    // a socket cut by a fault may report an error; the tests look at close and the events
    this.ws.on('error', () => undefined);
    this.#closed = new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
    this.ws.on('message', (data) => {
      const event = JSON.parse(String(data)) as StreamEvent;
      this.all.push(event);
      const index = this.all.length - 1;
      this.#waiters = this.#waiters.filter((waiter) => {
        if (index < waiter.from || !waiter.predicate(event)) return true;
        waiter.resolve(event);
        return false;
      });
    });
  }

  /** The first event at index >= `from` matching `predicate` (already received or still to come). */
  next(predicate: (event: StreamEvent) => boolean, from = 0, timeoutMs = 15_000): Promise<StreamEvent> {
    const seen = this.all.slice(from).find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching event')), timeoutMs);
      this.#waiters.push({ from, predicate, resolve: (event) => { clearTimeout(timer); resolve(event); } });
    });
  }

  /** Resolves with the close code once the socket is closed. */
  closed(): Promise<number> {
    return this.#closed;
  }
}
