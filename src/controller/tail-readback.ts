/**
 * The converge tail: once the queue has nothing else to do, the few keys still waiting for Rancher to
 * report a transition (a create or start that is running by now, its event held back by Rancher's
 * one-second coalescing) are read back with a GET instead of waiting for the event or the 1 s look
 * again. Only then, and only a few: when more than `limit` keys wait, the event stream is doing the job
 * and nothing is read. Each waiting key is read back at most at `baseMs`, then twice as long after,
 * until that reaches `maxMs` (the ordinary look again); a new action starts its count over. Keys that
 * back off after an error are never pulled forward (the queue's failures).
 */
import type { InstanceKey } from '../domain/instance.js';

/** The queue and reconciler calls the tail needs (WorkQueue, the Reconciler). */
export type TailTarget = Readonly<{
  delayedKeys(): readonly InstanceKey[];
  failures(key: InstanceKey): number;
  addAfter(key: InstanceKey, delayMs: number): void;
  /** Marks the key's next pass to read its container with a GET; false when it waits on nothing live. */
  readBack(key: InstanceKey): boolean;
}>;

export type TailReadbackOptions = Readonly<{ baseMs?: number; maxMs?: number; limit: number }>;

export class TailReadback {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #limit: number;
  /** Read-backs done per key since its last action. */
  readonly #count = new Map<InstanceKey, number>();

  constructor(options: TailReadbackOptions) {
    this.#baseMs = options.baseMs ?? 200;
    this.#maxMs = options.maxMs ?? 1000;
    this.#limit = options.limit;
  }

  /** The queue is idle (nothing queued or running): pulls the few waiting keys forward. */
  onIdle(target: TailTarget): void {
    const keys = target.delayedKeys();
    if (keys.length === 0 || keys.length > this.#limit) return;
    for (const key of keys) {
      const count = this.#count.get(key) ?? 0;
      const delayMs = this.#baseMs * 2 ** count;
      if (delayMs >= this.#maxMs || target.failures(key) > 0 || !target.readBack(key)) continue;
      this.#count.set(key, count + 1);
      // the earlier due time wins: the ordinary look again stays where it was if it is sooner
      target.addAfter(key, delayMs);
    }
  }

  /** The key acted, settled or left management: its next wait starts a new count. */
  reset(key: InstanceKey): void {
    this.#count.delete(key);
  }
}
