/**
 * Slack incoming webhooks (https://api.slack.com/messaging/webhooks): one legacy attachment per
 * event, coloured by severity, titled with the kind and the instance, with the message as text and the
 * instance, revision, reason and Rancher id as short fields. The webhook URL is the credential: it
 * stays in the request's `url` and nowhere else.
 */
import type { ReconcilerEvent, Severity } from '../../observability/event-model.js';
import { payloadSource, type OutgoingRequest } from '../provider.js';

/** Slack's attachment colours by severity. */
export const slackColors: Readonly<Record<Severity, 'good' | 'warning' | 'danger'>> = { info: 'good', warning: 'warning', error: 'danger' };

type Field = Readonly<{ title: string; value: string; short: boolean }>;

/** The Slack request for `event`. */
export function slackRequest(event: ReconcilerEvent, target: Readonly<{ url: string }>): OutgoingRequest {
  const title = event.key === null ? event.kind : `${event.kind}: ${event.key}`;
  const fields: Field[] = [
    ['Instance', event.key],
    ['Revision', event.revision],
    ['Reason', event.reason],
    ['Rancher id', event.instanceId],
  ].flatMap(([name, value]) => (value === null || value === '' ? [] : [{ title: name as string, value: value as string, short: true }]));
  const attachment = {
    color: slackColors[event.severity],
    fallback: `${title}: ${event.message}`,
    title,
    text: event.message,
    fields,
    footer: payloadSource,
    ts: Math.floor(Date.parse(event.time) / 1000),
  };
  return { url: target.url, body: JSON.stringify({ attachments: [attachment] }), headers: { 'content-type': 'application/json' } };
}
