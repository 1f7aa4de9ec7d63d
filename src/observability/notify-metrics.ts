/**
 * The metrics of notifications (src/notify/): what became of each event a provider accepted.
 * Registered on the process's private registry by createMetrics; callers use the typed helper.
 */
import { Counter, type Registry } from 'prom-client';

/**
 * What became of one event for one provider (the `result` label): `sent` delivered (2xx); `failed`
 * refused (4xx) or still failing after the last try; `suppressed` an identical event inside the
 * provider's dedupe window; `dropped` pushed out of a full queue (the oldest goes) or still queued or
 * in flight at shutdown. Events a provider's filters reject are not counted.
 */
export const notificationResults = ['sent', 'failed', 'suppressed', 'dropped'] as const;
export type NotificationResult = (typeof notificationResults)[number];

export interface NotifyMetrics {
  /** `rancher_reconciler_notifications_total{provider,result}`; `provider` is the entry's name, never its URL. */
  incNotifications(provider: string, result: NotificationResult, count?: number): void;
  /** Creates every result of `provider` at zero, so `rate()` and absence alerts work from the start. */
  addProvider(provider: string): void;
}

/** Registers the notification metrics on `registry`. */
export function createNotifyMetrics(registers: Registry[]): NotifyMetrics {
  const notifications = new Counter({
    name: 'rancher_reconciler_notifications_total',
    help: 'Notifications by provider and result: sent, failed (refused, or after the last retry), suppressed (duplicate in the window), dropped (queue full, or at shutdown)',
    labelNames: ['provider', 'result'] as const,
    registers,
  });
  // the children per provider, looked up once: a full queue counts a drop for every event recorded
  const children = new Map<string, Readonly<Record<NotificationResult, { inc(count?: number): void }>>>();
  const childrenOf = (provider: string): Readonly<Record<NotificationResult, { inc(count?: number): void }>> => {
    let found = children.get(provider);
    if (found === undefined) {
      found = Object.fromEntries(notificationResults.map((result) => [result, notifications.labels(provider, result)])) as Record<NotificationResult, { inc(count?: number): void }>;
      children.set(provider, found);
    }
    return found;
  };
  return {
    incNotifications(provider, result, count = 1) {
      // prom-client throws when a counter is decreased; a caller bug must not take the process down
      if (Number.isFinite(count) && count > 0) childrenOf(provider)[result].inc(count);
    },
    addProvider(provider) {
      for (const child of Object.values(childrenOf(provider))) child.inc(0);
    },
  };
}
