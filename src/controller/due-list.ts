/**
 * Keys ordered by due time, one entry per key: the priority list behind the delaying queue (client-go
 * keeps a heap for the same job). Keys are a few thousand at most, so a sorted array with binary search
 * is fast enough and easier to check than a heap. Ties keep the order in which the due times were set.
 */

type Entry = Readonly<{ key: string; due: number; seq: number }>;

/** A sorted list of (key, due) pairs; the earliest first. Not a queue: it never fires anything itself. */
export class DueList {
  /** Sorted by (due, seq). */
  readonly #entries: Entry[] = [];
  readonly #byKey = new Map<string, Entry>();
  #seq = 0;

  /** Number of keys held. */
  get size(): number {
    return this.#entries.length;
  }

  /** When `key` is due (epoch ms), or undefined when it is not held. */
  dueOf(key: string): number | undefined {
    return this.#byKey.get(key)?.due;
  }

  /** The earliest entry, without removing it. */
  first(): Readonly<{ key: string; due: number }> | undefined {
    const entry = this.#entries[0];
    return entry === undefined ? undefined : { key: entry.key, due: entry.due };
  }

  /** Sets (or moves) `key` to `due`. */
  set(key: string, due: number): void {
    this.delete(key);
    const entry: Entry = { key, due, seq: this.#seq++ };
    this.#entries.splice(this.#indexAfter(entry), 0, entry);
    this.#byKey.set(key, entry);
  }

  /** Removes `key`; false when it was not held. */
  delete(key: string): boolean {
    const entry = this.#byKey.get(key);
    if (entry === undefined) return false;
    this.#byKey.delete(key);
    // (due, seq) is unique, so the entry sits right before the first entry that sorts after it
    this.#entries.splice(this.#indexAfter(entry) - 1, 1);
    return true;
  }

  /** Removes and returns every key due at or before `now`, earliest first. */
  takeDue(now: number): string[] {
    let count = 0;
    while (count < this.#entries.length && this.#entries[count]!.due <= now) count++;
    const due = this.#entries.splice(0, count);
    for (const entry of due) this.#byKey.delete(entry.key);
    return due.map((entry) => entry.key);
  }

  /** Removes every key. */
  clear(): void {
    this.#entries.length = 0;
    this.#byKey.clear();
  }

  /** The index of the first entry that sorts after `entry`. */
  #indexAfter(entry: Entry): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.#entries[mid]!;
      if (other.due < entry.due || (other.due === entry.due && other.seq <= entry.seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
