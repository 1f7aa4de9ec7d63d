/**
 * The notify integration tests' setup: a real EventJournal on a ManualClock, a Notifier subscribed to
 * it, a local Receiver, a log sink and a private metrics registry; plus the outcomes the channels
 * report, which tests await instead of sleeping.
 */
import { createLogger } from '../../../src/logger.js';
import { EventJournal } from '../../../src/observability/event-journal.js';
import type { EventInput, ReconcilerEvent } from '../../../src/observability/event-model.js';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';
import type { NotificationResult } from '../../../src/observability/notify-metrics.js';
import { deliveryDefaults, type DeliveryOutcome } from '../../../src/notify/notification-channel.js';
import { notificationDefaults, type NotificationConfig } from '../../../src/notify/notify-config.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { aReconcilerEvent } from '../../helpers/builders.js';
import { LogSink } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { Receiver, type Answer } from './receiver.js';

/** An EventInput (what a recorder supplies) shaped like aReconcilerEvent. */
export function anEventInput(overrides: Partial<EventInput> = {}): EventInput {
  const { id: _id, time: _time, ...input } = aReconcilerEvent();
  return { ...input, ...overrides };
}

/** A provider entry with the defaults loadConfig would give. */
export function anEntry(overrides: Partial<NotificationConfig> & Pick<NotificationConfig, 'url'>): NotificationConfig {
  return { name: 'hook', kind: 'webhook', minSeverity: notificationDefaults.minSeverity, dedupeWindowMs: notificationDefaults.dedupeWindowMs, ...overrides };
}

/** Every outcome reported, and a way to await one. */
export class Outcomes {
  readonly all: DeliveryOutcome[] = [];
  readonly #waiters = new Set<() => void>();

  readonly add = (outcome: DeliveryOutcome): void => {
    this.all.push(outcome);
    for (const waiter of [...this.#waiters]) waiter();
  };

  /** Resolves with the `nth` outcome matching `predicate` (already reported ones count). */
  waitFor(predicate: (outcome: DeliveryOutcome) => boolean, nth = 1, timeoutMs = 10_000): Promise<DeliveryOutcome> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.all.filter(predicate)[nth - 1];
        if (found === undefined) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no matching outcome within ${timeoutMs} ms; got ${JSON.stringify(this.all)}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** The final outcome of event `eventId` (sent, failed, suppressed or dropped). */
  finalOf(eventId: number): Promise<DeliveryOutcome> {
    return this.waitFor((o) => o.eventId === eventId && o.kind !== 'retrying');
  }
}

export type Harness = Readonly<{
  receiver: Receiver;
  clock: ManualClock;
  sink: LogSink;
  metrics: Metrics;
  journal: EventJournal;
  notifier: Notifier;
  outcomes: Outcomes;
  record(overrides?: Partial<EventInput>): ReconcilerEvent;
  /** `rancher_reconciler_notifications_total{provider,result}`. */
  count(provider: string, result: NotificationResult): Promise<number>;
  /** Stops the notifier (moving the clock past the shutdown grace) and the receiver. */
  close(): Promise<void>;
}>;

/** Starts a receiver answering `answers` and a notifier with the entries `entries(receiverUrl)` gives. */
export async function startHarness(entries: (url: string) => NotificationConfig[], answers: Answer[] = [200]): Promise<Harness> {
  const receiver = await Receiver.start(answers);
  const clock = new ManualClock();
  const sink = new LogSink();
  const log = createLogger({ level: 'debug', pretty: false }, sink);
  const metrics = createMetrics({ defaultMetrics: false });
  const journal = new EventJournal({ capacity: 5000, clock, log });
  const outcomes = new Outcomes();
  // random 0.5 puts the ±20 % jitter at its middle: the delays are exactly 2 s, 4 s, 8 s
  const notifier = new Notifier({ providers: entries(receiver.url), clock, log, metrics: metrics.notify, random: () => 0.5, observe: outcomes.add });
  notifier.start(journal);
  return {
    receiver, clock, sink, metrics, journal, notifier, outcomes,
    record: (overrides = {}) => journal.record(anEventInput(overrides)),
    async count(provider, result) {
      const metric = await metrics.registry.getSingleMetric('rancher_reconciler_notifications_total')?.get();
      return metric?.values.find((v) => v.labels['provider'] === provider && v.labels['result'] === result)?.value ?? 0;
    },
    async close() {
      const stopping = notifier.stop();
      clock.advance(deliveryDefaults.shutdownGraceMs);
      await stopping;
      await receiver.close();
    },
  };
}
