/**
 * The middle layer of the work queue: client-go's delaying queue (delaying_queue.go). Delayed adds wait
 * in a list sorted by due time, and ONE clock timer is armed for the earliest of them, however many keys
 * wait: a resync of thousands of keys costs one timer, not thousands. When it fires, every key that is
 * due goes to the queue below, and the timer is armed again for the next one.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { DueList } from './due-list.js';

export type DelayingQueueDeps = Readonly<{
  clock: Clock;
  /** Where due keys go: the dedupe/processing queue. */
  queue: Readonly<{ add(key: string): void }>;
}>;

/**
 * Delays adds on the injected clock. The timer is a background one (not `keepAlive`): a pending delay
 * never holds the process open by itself. Methods never throw; `addAfter` is a no-op after shutdown.
 */
export class DelayingQueue {
  readonly #clock: Clock;
  readonly #queue: Readonly<{ add(key: string): void }>;
  readonly #waiting = new DueList();
  #timer: TimerHandle | undefined;
  /** The due time the timer was armed for, so an unchanged head never re-arms it. */
  #timerDue: number | undefined;
  #closed = false;

  constructor(deps: DelayingQueueDeps) {
    this.#clock = deps.clock;
    this.#queue = deps.queue;
  }

  /**
   * Adds `key` to the queue after `delayMs` on the clock. When the key already waits, the earlier due
   * time wins; `delayMs <= 0` adds now (and leaves a pending delayed add in place).
   */
  addAfter(key: string, delayMs: number): void {
    if (this.#closed) return;
    if (!(delayMs > 0)) {
      this.#queue.add(key);
      return;
    }
    const due = this.#clock.now() + delayMs;
    const existing = this.#waiting.dueOf(key);
    if (existing !== undefined && existing <= due) return;
    this.#waiting.set(key, due);
    this.#arm();
  }

  /** Drops a pending delayed add of `key`; nothing happens when there is none. */
  cancel(key: string): void {
    if (this.#waiting.delete(key)) this.#arm();
  }

  /** When the delayed add of `key` is due (epoch ms); undefined when none is pending. */
  dueAt(key: string): number | undefined {
    return this.#waiting.dueOf(key);
  }

  /** Keys with a pending delayed add. A snapshot, like client-go's `Len()`: do not poll it to decide. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Drops every pending delayed add, clears the timer and makes later `addAfter` calls no-ops. */
  shutdown(): void {
    this.#closed = true;
    this.#waiting.clear();
    this.#arm();
  }

  /** Keeps exactly one timer armed for the earliest due time, or none when nothing waits. */
  #arm(): void {
    const first = this.#waiting.first();
    if (first?.due === this.#timerDue) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = undefined;
    if (first === undefined) return;
    this.#timerDue = first.due;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), first.due - this.#clock.now());
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerDue = undefined;
    // a timer may fire a little early by the clock's reckoning: then nothing is taken and it re-arms
    for (const key of this.#waiting.takeDue(this.#clock.now())) this.#queue.add(key);
    this.#arm();
  }
}
