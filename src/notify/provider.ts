/**
 * A notification provider: how one event becomes one HTTP request for a receiver. Pure (no I/O, no
 * clock): the channel (notification-channel.ts) sends the request and owns retries.
 */
import type { ReconcilerEvent } from '../observability/event-model.js';
import type { NotificationConfig } from './notify-config.js';
import { alertmanagerRequest } from './providers/alertmanager.js';
import { slackRequest } from './providers/slack.js';
import { webhookRequest } from './providers/webhook.js';

/**
 * One POST. `url` may carry a token (a Slack webhook URL is its own credential): it is never logged,
 * never put in a message or metric. `body` is the exact bytes sent (a signature covers them).
 */
export type OutgoingRequest = Readonly<{ url: string; body: string; headers: Readonly<Record<string, string>> }>;

/** The `source` every payload names: receivers that take several senders can tell us apart. */
export const payloadSource = 'rancher-reconciler';

/** Builds the request that tells `config`'s receiver about `event`. */
export function requestFor(config: NotificationConfig, event: ReconcilerEvent): OutgoingRequest {
  switch (config.kind) {
    case 'webhook':
      return webhookRequest(event, { url: config.url, ...(config.secret === undefined ? {} : { secret: config.secret }) });
    case 'slack':
      return slackRequest(event, { url: config.url });
    case 'alertmanager':
      return alertmanagerRequest(event, { baseUrl: config.url });
  }
}
