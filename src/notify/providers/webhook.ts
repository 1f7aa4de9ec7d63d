/**
 * The generic webhook: the event as JSON (plus `source: "rancher-reconciler"`), signed with
 * `X-Signature: sha256=<hex HMAC-SHA256 of the body>` when a key is configured, the same scheme our own
 * generic webhook receiver checks (src/http/webhooks/signatures.ts).
 */
import { createHmac } from 'node:crypto';
import type { ReconcilerEvent } from '../../observability/event-model.js';
import { payloadSource, type OutgoingRequest } from '../provider.js';

/** `X-Signature` value for `body` under `secret`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The webhook request for `event`. The body is the event's fields as recorded; it holds no credential. */
export function webhookRequest(event: ReconcilerEvent, target: Readonly<{ url: string; secret?: string }>): OutgoingRequest {
  const body = JSON.stringify({ ...event, source: payloadSource });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.secret !== undefined) headers['x-signature'] = signBody(body, target.secret);
  return { url: target.url, body, headers };
}
