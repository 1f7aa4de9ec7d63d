/**
 * The `/v1/subscribe?eventNames=resource.change` websocket (docs/rancher-v1.md#event-stream) with reconnect and a liveness
 * watchdog. It only delivers container snapshots and connection changes; LiveCache decides what to do.
 */
import WebSocket from 'ws';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import type { Clock, TimerHandle } from '../clock.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SubscribeTarget } from './http.js';
import { isWireContainer, type WireContainer } from './wire.js';

/**
 * Reconnect delays, attempt = consecutive failed connections (0 after a connection that carried
 * messages): 800 ms doubling to 30 s, ±20 % jitter.
 */
export const reconnectBackoff: BackoffOptions = Object.freeze({ baseMs: 800, maxMs: 30_000, factor: 2, jitter: 0.2 });

/**
 * Reads one websocket message. Returns the container snapshot and its event time (epoch ms; `nowMs`
 * when the event has none) for `resource.change` events about containers; undefined for pings, other
 * types and anything unparseable.
 */
export function parseEvent(text: string, nowMs: number): { resource: WireContainer; timeMs: number; serverTime: boolean } | undefined {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    // not JSON: nothing a resource watcher can use
    return undefined;
  }
  if (typeof event !== 'object' || event === null) return undefined;
  const { name, data, time, resourceType } = event as Record<string, unknown>;
  if (name !== 'resource.change' || (resourceType !== 'container' && resourceType !== 'instance')) return undefined;
  const resource = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['resource'] : undefined;
  if (!isWireContainer(resource) || (resource['type'] !== undefined && resource['type'] !== 'container')) return undefined;
  const serverTime = typeof time === 'number' && Number.isFinite(time);
  return { resource, timeMs: serverTime ? time : nowMs, serverTime };
}

/** Dependencies of EventStream. */
export type EventStreamDeps = Readonly<{
  target: () => SubscribeTarget;
  log: Logger;
  clock: Clock;
  /** For the "polling every Ns" log line only. */
  pollMs: number;
  onSnapshot: (resource: WireContainer, timeMs: number) => void;
  onConnected: () => void;
  onDisconnected: () => void;
  /** No message (Rancher pings every 5 s) for this long: the socket is treated as dead; default 30 s. */
  staleAfterMs?: number;
  random?: () => number;
}>;

/** One websocket, reconnected with backoff until `stop()`. */
export class EventStream {
  readonly #deps: EventStreamDeps;
  #socket: WebSocket | undefined;
  #failures = 0;
  #outageLogged = false;
  /**
   * Local clock minus Rancher's, estimated as the smallest (receive time - event time) seen: event times
   * come from Rancher's clock, while lists and our own call results are stamped with ours, and the cache
   * compares the two. Network delay only makes an estimate larger, so the minimum is the best one.
   */
  #offsetMs: number | undefined;
  #connected = false;
  #stopped = true;
  #reconnectTimer: TimerHandle | undefined;
  #staleTimer: TimerHandle | undefined;

  constructor(deps: EventStreamDeps) {
    this.#deps = deps;
  }

  /** True while the socket is open. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Opens the socket; idempotent. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  /** Closes the socket and cancels every timer; no callback fires afterwards. */
  stop(): void {
    this.#stopped = true;
    this.#clear('reconnect');
    this.#clear('stale');
    const socket = this.#socket;
    this.#socket = undefined;
    this.#connected = false;
    socket?.removeAllListeners();
    socket?.on('error', () => undefined); // a late handshake error after stop is expected: swallow it
    socket?.terminate();
  }

  #connect(): void {
    const { log, clock } = this.#deps;
    const target = this.#deps.target();
    const socket = new WebSocket(target.url, {
      headers: { ...target.headers },
      rejectUnauthorized: target.rejectUnauthorized,
      ...(target.ca ? { ca: target.ca } : {}),
      handshakeTimeout: 10_000,
    });
    this.#socket = socket;
    let opened = false;
    /** A message arrived on this connection: it really works (a proxy may accept the upgrade, then drop it). */
    let received = false;
    let lastError: string | undefined;
    socket.on('open', () => {
      opened = true;
      this.#connected = true;
      this.#outageLogged = false;
      log.info('event stream connected');
      this.#watchdog();
      this.#deps.onConnected();
    });
    socket.on('message', (data: WebSocket.RawData) => {
      this.#watchdog();
      if (!received) {
        received = true;
        this.#failures = 0;
      }
      const now = clock.now();
      const parsed = parseEvent(data.toString(), now);
      if (parsed) this.#deps.onSnapshot(parsed.resource, parsed.serverTime ? this.#toLocalTime(parsed.timeMs, now) : now);
    });
    socket.on('error', (error: Error) => {
      // ws messages carry no credentials (e.g. "Unexpected server response: 503")
      lastError = coerceError(error).message;
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#connected = false;
      this.#clear('stale');
      // a connection that never carried a message counts as a failure: the backoff grows, so a proxy that
      // accepts and drops every upgrade cannot cause a full re-list (on each reconnect) every second
      if (!(opened && received)) this.#failures += 1;
      if (opened) log.info({ err: lastError }, 'event stream disconnected');
      else {
        if (!this.#outageLogged) {
          this.#outageLogged = true;
          log.warn({ pollMs: this.#deps.pollMs, err: lastError }, `event stream unavailable, polling every ${Math.round(this.#deps.pollMs / 100) / 10}s`);
        }
      }
      this.#deps.onDisconnected();
      if (this.#stopped) return;
      const delay = backoffDelay(opened && received ? 0 : this.#failures, reconnectBackoff, this.#deps.random);
      this.#reconnectTimer = clock.setTimeout(() => {
        this.#reconnectTimer = undefined;
        if (!this.#stopped) this.#connect();
      }, delay);
    });
  }

  /** An event's server time on the local clock (see #offsetMs). */
  #toLocalTime(serverMs: number, nowMs: number): number {
    const observed = nowMs - serverMs;
    this.#offsetMs = this.#offsetMs === undefined ? observed : Math.min(this.#offsetMs, observed);
    return serverMs + this.#offsetMs;
  }

  #watchdog(): void {
    this.#clear('stale');
    const socket = this.#socket;
    this.#staleTimer = this.#deps.clock.setTimeout(() => {
      this.#staleTimer = undefined;
      socket?.terminate();
    }, this.#deps.staleAfterMs ?? 30_000);
  }

  #clear(which: 'reconnect' | 'stale'): void {
    const timer = which === 'reconnect' ? this.#reconnectTimer : this.#staleTimer;
    if (timer) this.#deps.clock.clearTimeout(timer);
    if (which === 'reconnect') this.#reconnectTimer = undefined;
    else this.#staleTimer = undefined;
  }
}
