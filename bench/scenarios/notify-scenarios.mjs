/**
 * `notify-hang`: what notifications cost the recording of events while every receiver hangs (accepts
 * the request, never answers). The same number of events is recorded into an EventJournal with no
 * reader and into one read by a Notifier with three providers (webhook, Slack, Alertmanager), all
 * pointed at a hanging local receiver; the difference per event is the price a reconcile pass pays.
 * The tests (test/integration/notify/delivery.test.ts) prove the ordering; this gives the numbers.
 */
import { createServer } from 'node:http';
import { systemClock } from '../../dist/clock.js';
import { createLogger } from '../../dist/logger.js';
import { EventJournal } from '../../dist/observability/event-journal.js';
import { createMetrics } from '../../dist/observability/metrics.js';
import { Notifier } from '../../dist/notify/notifier.js';
import { atMost, exactly, figure } from '../lib/figures.mjs';

const input = (i) => ({ kind: 'action-failed', severity: 'error', key: `web-${i % 50}`, instanceId: '1i42', revision: 'r1', reason: 'ApiError', message: `start failed ${i}` });

/** Milliseconds to record `count` events into `journal`. */
function recordAll(journal, count) {
  const t0 = performance.now();
  for (let i = 0; i < count; i += 1) journal.record(input(i));
  return performance.now() - t0;
}

export async function runNotifyHang({ quick }) {
  const count = quick ? 2000 : 20_000;
  const hanging = createServer(() => undefined);
  await new Promise((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${hanging.address().port}`;
  const log = createLogger({ level: 'silent', pretty: false });
  try {
    const providers = ['webhook', 'slack', 'alertmanager'].map((kind) => ({ name: kind, kind, url, minSeverity: 'warning', dedupeWindowMs: 300_000 }));
    const withNotifier = () => {
      const notifier = new Notifier({ providers, clock: systemClock, log, metrics: createMetrics({ defaultMetrics: false }).notify, policy: { shutdownGraceMs: 0 } });
      const journal = new EventJournal({ capacity: 5000, clock: systemClock, log });
      notifier.start(journal);
      return { notifier, journal };
    };
    // warm up both paths once, so the JIT does not bill the first measurement
    recordAll(new EventJournal({ capacity: 5000, clock: systemClock, log }), 2000);
    const warm = withNotifier();
    recordAll(warm.journal, 2000);
    await warm.notifier.stop();

    const baselineMs = recordAll(new EventJournal({ capacity: 5000, clock: systemClock, log }), count);
    const { notifier, journal } = withNotifier();
    const withNotifierMs = recordAll(journal, count);
    const recorded = journal.lastId;
    const queued = notifier.queued('webhook');
    await notifier.stop();

    const overheadUs = Math.max(0, ((withNotifierMs - baselineMs) * 1000) / count);
    return {
      figures: [
        exactly(`notify-hang: events recorded while 3 receivers hang (of ${count})`, recorded, '', count, 'recording never waits for a send'),
        atMost('notify-hang: added cost per recorded event, 3 providers', overheadUs, 'µs', 50, `${withNotifierMs.toFixed(1)} ms with the notifier vs ${baselineMs.toFixed(1)} ms without, for ${count} events`),
        figure('notify-hang: queue per provider after the burst', queued, 'events', { note: 'bounded at 100: the oldest are dropped and counted' }),
      ],
    };
  } finally {
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
  }
}
