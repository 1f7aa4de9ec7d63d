import type { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../clock.js';
import type { TimerSet } from './timers.js';

/** Dependencies of {@link Partition}. */
export type PartitionDeps = Readonly<{
  clock: Clock;
  timers: TimerSet;
  /** Called when a window starts and after one ended (its connections are already destroyed). */
  onChange: () => void;
  /** Called at the window end, after the API sockets are destroyed: cut the websockets too. */
  onEnd: () => void;
}>;

/**
 * A network partition between the emulator and its API clients (emulator extension). During the window
 * every API request and websocket upgrade, new connections included, hangs: it is never processed and
 * never answered, and the event stream sends nothing. Requests the server received before the window are
 * still processed, but their answers are withheld. At the window end every connection whose latest request
 * was an API request or an upgrade (keep-alive sockets, websockets, the hung requests) is destroyed; nothing
 * that arrived during the window is processed afterwards. Admin routes are not affected, and a connection
 * whose latest request was an admin request is spared.
 */
export class Partition {
  readonly #deps: PartitionDeps;
  readonly #sockets = new Set<Duplex>();
  /** Sockets that already have the close listener (a keep-alive socket can be tracked many times). */
  readonly #listening = new WeakSet<Duplex>();
  #until: number | undefined;
  #timer: TimerHandle | undefined;

  constructor(deps: PartitionDeps) {
    this.#deps = deps;
  }

  /** Starts a window of `durationMs` from now (replacing a running one); 0 ends a running window at once. */
  start(durationMs: number): void {
    if (this.#timer) this.#deps.timers.cancel(this.#timer);
    this.#timer = undefined;
    if (durationMs <= 0) {
      if (this.#until !== undefined) this.#end();
      return;
    }
    const wasActive = this.#until !== undefined;
    this.#until = this.#deps.clock.now() + durationMs;
    this.#timer = this.#deps.timers.schedule(() => this.#end(), durationMs);
    if (!wasActive) this.#deps.onChange();
  }

  /** Whether a window is running. */
  active(): boolean {
    return this.#until !== undefined;
  }

  /** Time left of the running window in ms, or undefined. */
  remainingMs(): number | undefined {
    return this.#until === undefined ? undefined : Math.max(0, this.#until - this.#deps.clock.now());
  }

  /** Remembers a socket whose latest request is an API request, so the window end destroys it. */
  track(socket: Duplex): void {
    this.#sockets.add(socket);
    if (this.#listening.has(socket)) return;
    this.#listening.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  /** Forgets a socket whose latest request is an admin request: the window end spares it (and its answer). */
  untrack(socket: Duplex): void {
    this.#sockets.delete(socket);
  }

  /** Cancels a running window without dropping anything (emulator shutdown). */
  stop(): void {
    if (this.#timer) this.#deps.timers.cancel(this.#timer);
    this.#timer = undefined;
    this.#until = undefined;
  }

  #end(): void {
    this.#timer = undefined;
    this.#until = undefined;
    for (const socket of [...this.#sockets]) socket.destroy();
    this.#sockets.clear();
    this.#deps.onEnd();
    this.#deps.onChange();
  }
}
