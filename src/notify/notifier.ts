/**
 * The Notifier: tells people about events (issue 14) through the providers of the config file's
 * `notifications` section. It subscribes to an EventSource (the EventJournal) and hands each event to
 * every provider's NotificationChannel, which filters, suppresses duplicates, queues and sends. The
 * subscriber only enqueues: a slow, failing or hanging receiver never slows the recording of events.
 */
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EventSource, ReconcilerEvent } from '../observability/event-model.js';
import { NotificationChannel, type NotificationChannelDeps } from './notification-channel.js';
import type { NotificationConfig } from './notify-config.js';

/**
 * Dependencies of the Notifier. `log` is bound to `{ component: 'notify' }` here; each channel adds
 * `provider` (the entry's name). `policy` and `random` are for tests (the defaults are
 * notification-channel.ts's `deliveryDefaults`); `observe` sees every outcome.
 */
export type NotifierDeps = Omit<NotificationChannelDeps, 'config'> & Readonly<{ providers: readonly NotificationConfig[] }>;

export class Notifier {
  readonly #log: Logger;
  readonly #channels: readonly NotificationChannel[];
  #unsubscribe: (() => void) | undefined;
  #stopping: Promise<void> | undefined;

  constructor(deps: NotifierDeps) {
    this.#log = deps.log.child({ component: 'notify' });
    const { providers, log: _log, ...shared } = deps;
    this.#channels = providers.map((config) => new NotificationChannel({ ...shared, config, log: this.#log.child({ provider: config.name }) }));
  }

  /** The providers' names, in config order. */
  get providers(): readonly string[] {
    return this.#channels.map((channel) => channel.name);
  }

  /** Events waiting in `provider`'s queue (0 for an unknown name). */
  queued(provider: string): number {
    return this.#channels.find((channel) => channel.name === provider)?.queued ?? 0;
  }

  /** Subscribes to `source`: every event recorded from now on is offered to every provider. Once only. */
  start(source: EventSource): void {
    if (this.#unsubscribe !== undefined || this.#stopping !== undefined) return;
    this.#unsubscribe = source.subscribe((event) => this.#offer(event));
    this.#log.info({ providers: this.providers.join(',') }, 'notifications started');
  }

  /**
   * Unsubscribes, then stops every channel: each drains its queue for a short grace and aborts the
   * rest (deliveryDefaults.shutdownGraceMs). Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#unsubscribe?.();
      await Promise.all(this.#channels.map((channel) => channel.stop()));
    })();
    return this.#stopping;
  }

  #offer(event: ReconcilerEvent): void {
    for (const channel of this.#channels) {
      try {
        channel.offer(event);
      } catch (e: unknown) {
        // one provider's bug must not keep the event from the others, nor reach the recorder
        this.#log.error({ provider: channel.name, err: coerceError(e) }, 'notification offer failed');
      }
    }
  }
}
