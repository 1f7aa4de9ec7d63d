/**
 * EventJournal: the daemon's event history (issue 14), a bounded in-memory ring of ReconcilerEvents.
 * Recorders call `record`; readers (`GET /events`, `/events/stream`, `/status`, notifications) use the
 * EventSource side. Nothing is persisted: a restart starts an empty history with ids from 1 again.
 */
import type { Clock } from '../clock.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { matchesFilter, type EventFilter, type EventInput, type EventSource, type ReconcilerEvent } from './event-model.js';
import type { Metrics } from './metrics.js';

/** Dependencies of the EventJournal. `capacity`: events kept (`--events-history`, at least 1). */
export type EventJournalDeps = Readonly<{ capacity: number; clock: Clock; log: Logger; metrics?: Pick<Metrics, 'incEvent'> }>;

/** The last few events of each instance, for `/status` (the fields a person reads there). */
export type InstanceEventSummary = Pick<ReconcilerEvent, 'id' | 'time' | 'kind' | 'severity' | 'reason' | 'message'>;

/**
 * The ring. `record` is O(1) and synchronous: it stamps the next id and the clock's time, counts the event
 * (`rancher_reconciler_events_total`), then calls every subscriber in turn. A subscriber that throws is
 * logged (`event listener failed`, error level) and neither the recording nor the other subscribers
 * suffer; subscribers must return quickly (the HTTP stream only buffers, notifications only enqueue).
 */
export class EventJournal implements EventSource {
  readonly #deps: EventJournalDeps;
  readonly #capacity: number;
  /** The ring: slot `(id - 1) % capacity` holds event `id`. */
  readonly #ring: ReconcilerEvent[] = [];
  readonly #listeners = new Set<(event: ReconcilerEvent) => void>();
  #lastId = 0;

  constructor(deps: EventJournalDeps) {
    this.#deps = deps;
    this.#capacity = Math.max(1, Math.floor(deps.capacity));
  }

  /** Records `input` as the next event and returns it; never throws. */
  record(input: EventInput): ReconcilerEvent {
    this.#lastId += 1;
    const event: ReconcilerEvent = Object.freeze({ ...input, id: this.#lastId, time: new Date(this.#deps.clock.now()).toISOString() });
    this.#ring[(event.id - 1) % this.#capacity] = event;
    this.#deps.metrics?.incEvent(event.kind, event.severity, event.environment);
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (e: unknown) {
        // a reader's bug must not lose the event for the others, nor go unnoticed
        this.#deps.log.error({ event: event.kind, eventId: event.id, err: coerceError(e) }, 'event listener failed');
      }
    }
    return event;
  }

  /** The id of the newest event (0 before the first). */
  get lastId(): number {
    return this.#lastId;
  }

  /** The id of the oldest event still kept (`lastId + 1` while empty). */
  get firstId(): number {
    return Math.max(1, this.#lastId - this.#capacity + 1);
  }

  list(filter: EventFilter = {}): readonly ReconcilerEvent[] {
    const matching: ReconcilerEvent[] = [];
    const from = Math.max(this.firstId, (filter.afterId ?? 0) + 1);
    for (let id = from; id <= this.#lastId; id += 1) {
      const event = this.#at(id);
      if (matchesFilter(event, filter)) matching.push(event);
    }
    return filter.limit === undefined ? matching : matching.slice(Math.max(0, matching.length - filter.limit));
  }

  subscribe(listener: (event: ReconcilerEvent) => void): () => void {
    // a wrapper per call, so the same function subscribed twice is called twice and unsubscribed once
    const own = (event: ReconcilerEvent): void => listener(event);
    this.#listeners.add(own);
    return () => this.#listeners.delete(own);
  }

  /**
   * The newest `perKey` events of every instance, oldest first, in one pass over the ring (for `/status`,
   * which asks for every instance at once); of `environment` only, when given.
   */
  recentByKey(perKey: number, environment?: string): ReadonlyMap<string, readonly InstanceEventSummary[]> {
    const byKey = new Map<string, InstanceEventSummary[]>();
    for (let id = this.#lastId; id >= this.firstId; id -= 1) {
      const { key, time, kind, severity, reason, message, environment: where } = this.#at(id);
      if (key === null || (environment !== undefined && where !== environment)) continue;
      let list = byKey.get(key);
      if (list === undefined) byKey.set(key, (list = []));
      if (list.length < perKey) list.push({ id, time, kind, severity, reason, message });
    }
    for (const list of byKey.values()) list.reverse();
    return byKey;
  }

  #at(id: number): ReconcilerEvent {
    return this.#ring[(id - 1) % this.#capacity] as ReconcilerEvent;
  }
}
