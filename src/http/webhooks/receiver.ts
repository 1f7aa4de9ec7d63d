/**
 * The webhook receivers of the git source (`POST /hooks/<provider>` on the status server): verify the
 * request, read the event, decide whether the push is ours, and pull the source's trigger when it is.
 * The decisions are here; reading the body (with its size limit) is the status server's job.
 *
 * | answer | when | `result` label |
 * |---|---|---|
 * | 200 `{ ok: true, event: 'ping' }` | a provider's test event | `ping` |
 * | 202 `{ accepted: true, triggered: true }` | a push for our repository and ref: the source looks now | `triggered` |
 * | 202 `{ accepted: true, triggered: false, reason }` | a valid push or event that matched nothing | `ignored` |
 * | 400 `{ error: 'invalid payload: ...' }` | a signed body we cannot read | `invalid` |
 * | 401 `{ error: 'invalid signature' }` | a missing or wrong signature or token | `unauthorized` |
 * | 404 `{ error: 'the <provider> webhook receiver is not configured ...' }` | no secret for the provider | `disabled` |
 * | 413 `{ error: 'payload too large ...' }` | a body over {@link webhookBodyLimitBytes} | `invalid` |
 *
 * A request that fails verification changes nothing and learns nothing about why. Secrets, signatures
 * and bodies are never logged (Gitea before 1.14 even put the secret into the body).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { assertNever } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { webhookProviders, type SourceMetrics, type WebhookProvider } from '../../observability/source-metrics.js';
import type { WebhookTarget } from '../../source/source.js';
import { readWebhookEvent, type WebhookEvent } from './payloads.js';
import { matchPush, type PushFacts } from './push-match.js';
import { hasValidWebhookSignature } from './signatures.js';

/** The largest webhook body read, in bytes (1 MiB; GitHub caps its payloads at 25 MB but pushes are far smaller). */
export const webhookBodyLimitBytes = 1024 * 1024;

/** One secret per provider, as read from its `--webhook-<provider>-secret-file`; a provider without one is disabled. */
export type WebhookSecrets = Readonly<Partial<Record<WebhookProvider, string>>>;

/** A receiver's answer: the HTTP status and the JSON body. */
export type WebhookReply = Readonly<{ status: number; body: Readonly<Record<string, unknown>> }>;

/** What {@link createWebhookReceiver} needs; `metrics` is `Metrics.source` in the app. */
export type WebhookReceiverDeps = Readonly<{
  secrets: WebhookSecrets;
  target: WebhookTarget;
  log: Logger;
  metrics: Pick<SourceMetrics, 'incWebhook'>;
}>;

/** The webhook receivers of one git source. Every method is synchronous and never throws for any request. */
export interface WebhookReceiver {
  /** The body limit the caller must enforce while reading, in bytes. */
  readonly maxBodyBytes: number;
  /**
   * The answer before the body is read: 404 for an unknown provider, 404 (counted `disabled`) for one
   * without a secret; undefined when the body should be read and passed to {@link WebhookReceiver.handle}.
   */
  precheck(provider: string): WebhookReply | undefined;
  /** The answer for a body over {@link WebhookReceiver.maxBodyBytes}: 413, counted `invalid`. */
  tooLarge(provider: string, remoteAddress?: string): WebhookReply;
  /** Decides on one complete request to `/hooks/<provider>`; `body` is the raw bytes as received. */
  handle(provider: string, headers: IncomingHttpHeaders, body: Buffer, remoteAddress?: string): WebhookReply;
}

const unknownProvider: WebhookReply = {
  status: 404,
  body: { error: `not found: the webhook receivers are ${webhookProviders.map((p) => `/hooks/${p}`).join(', ')}` },
};

/**
 * Builds the receivers for `target` with `secrets`. An empty secret counts as none: anyone could sign with it.
 *
 * @example
 * const webhooks = createWebhookReceiver({ secrets: { github: secret }, target: gitSource, log, metrics: metrics.source });
 * await startStatusServer({ host, port, log, metrics, source, webhooks });
 */
export function createWebhookReceiver(deps: WebhookReceiverDeps): WebhookReceiver {
  const context: WebhookReceiverDeps = { ...deps, log: deps.log.child({ component: 'webhooks' }) };
  return {
    maxBodyBytes: webhookBodyLimitBytes,
    precheck(provider) {
      const resolved = resolveProvider(context, provider);
      return 'status' in resolved ? resolved : undefined;
    },
    tooLarge(provider, remoteAddress) {
      if (isWebhookProvider(provider)) context.metrics.incWebhook(provider, 'invalid');
      context.log.warn({ provider, remoteAddress, limitBytes: webhookBodyLimitBytes }, 'webhook rejected: body too large');
      return { status: 413, body: { error: `payload too large: the limit is ${webhookBodyLimitBytes} bytes` } };
    },
    handle(provider, headers, body, remoteAddress) {
      const resolved = resolveProvider(context, provider);
      if ('status' in resolved) return resolved;
      if (!hasValidWebhookSignature(resolved.provider, headers, body, resolved.secret)) {
        context.metrics.incWebhook(resolved.provider, 'unauthorized');
        context.log.warn({ provider, remoteAddress }, 'webhook rejected: bad signature');
        return { status: 401, body: { error: 'invalid signature' } };
      }
      return answerEvent(context, resolved.provider, readWebhookEvent(resolved.provider, headers, body));
    },
  };
}

/** The provider and its secret, or the 404 answer for an unknown or unconfigured one. */
function resolveProvider(context: WebhookReceiverDeps, provider: string): Readonly<{ provider: WebhookProvider; secret: string }> | WebhookReply {
  if (!isWebhookProvider(provider)) return unknownProvider;
  const secret = context.secrets[provider];
  if (secret !== undefined && secret !== '') return { provider, secret };
  context.metrics.incWebhook(provider, 'disabled');
  return { status: 404, body: { error: `the ${provider} webhook receiver is not configured (--webhook-${provider}-secret-file)` } };
}

/** The answer to a verified request, by what it says. */
function answerEvent(context: WebhookReceiverDeps, provider: WebhookProvider, event: WebhookEvent): WebhookReply {
  const { metrics, log } = context;
  switch (event.kind) {
    case 'ping':
      metrics.incWebhook(provider, 'ping');
      log.info({ provider }, 'webhook ping received');
      return { status: 200, body: { ok: true, event: 'ping' } };
    case 'other':
      metrics.incWebhook(provider, 'ignored');
      // a hook subscribed to every event sends many of these: not worth a warning each
      log.debug({ provider, reason: event.reason }, 'webhook event ignored');
      return { status: 202, body: { accepted: true, triggered: false, reason: event.reason } };
    case 'invalid':
      metrics.incWebhook(provider, 'invalid');
      log.warn({ provider, reason: event.message }, 'webhook payload invalid');
      return { status: 400, body: { error: `invalid payload: ${event.message}` } };
    case 'push':
      return answerPush(context, provider, event);
    default:
      return assertNever(event, 'webhook event');
  }
}

/** Triggers the source for a push that is ours; says why not otherwise. */
function answerPush(context: WebhookReceiverDeps, provider: WebhookProvider, push: PushFacts): WebhookReply {
  const { target, metrics, log } = context;
  const watched = target.watchedRef();
  const match = matchPush(push, { url: target.url, ref: watched.ref, pinned: watched.pinned });
  if (match.kind === 'mismatch') {
    metrics.incWebhook(provider, 'ignored');
    log.warn({ provider, reason: match.reason, ref: push.ref, watchedRef: watched.ref, repository: target.url }, 'webhook matched nothing');
    return { status: 202, body: { accepted: true, triggered: false, reason: match.reason } };
  }
  target.trigger();
  metrics.incWebhook(provider, 'triggered');
  log.info({ provider, ref: push.ref ?? watched.ref, repository: target.url }, 'webhook push accepted: fetching');
  return { status: 202, body: { accepted: true, triggered: true } };
}

/** True for a provider with a receiver (`webhookProviders`). */
export function isWebhookProvider(name: string): name is WebhookProvider {
  return (webhookProviders as readonly string[]).includes(name);
}
