/**
 * Verifying that a webhook request comes from whoever holds the provider's secret, in constant time.
 * Pure apart from hashing: no I/O, clock or logger, and neither the secret nor the signature is ever
 * returned, logged or echoed.
 *
 * | provider | header | value |
 * |---|---|---|
 * | github | `X-Hub-Signature-256` | `sha256=<hex HMAC-SHA256 of the raw body>` |
 * | gitlab | `X-Gitlab-Token` | the secret itself |
 * | gitea | `X-Gitea-Signature` (or `X-Hub-Signature-256`, which Gitea sends too) | `<hex HMAC-SHA256>` (`sha256=<hex>`) |
 * | generic | `X-Signature` | `sha256=<hex HMAC-SHA256>` |
 *
 * Sources: GitHub, "Validating webhook deliveries" (docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries);
 * GitLab, "Webhooks: secret token" (docs.gitlab.com/user/project/integrations/webhooks/); Gitea, "Webhooks"
 * (docs.gitea.com/usage/webhooks).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { assertNever } from '../../errors.js';
import type { WebhookProvider } from '../../observability/source-metrics.js';

/** An HMAC-SHA256 in hex: exactly 64 hex digits (its length is public, so checking it first leaks nothing). */
const hexDigest = /^[0-9a-f]{64}$/i;

/**
 * True when the request carries a valid signature (github, gitea, generic) or token (gitlab) for `body`
 * under `secret`. `body` is the raw bytes as received: the providers sign those, not a re-encoded JSON.
 * An empty `secret` never verifies (anyone could sign with it).
 */
export function hasValidWebhookSignature(provider: WebhookProvider, headers: IncomingHttpHeaders, body: Buffer, secret: string): boolean {
  if (secret === '') return false;
  switch (provider) {
    case 'github':
      return hasValidHmac(withPrefix(header(headers, 'x-hub-signature-256'), 'sha256='), body, secret);
    case 'gitlab':
      return isSameSecret(header(headers, 'x-gitlab-token'), secret);
    case 'gitea': {
      // evaluate both so a request costs the same whichever header it carries
      const bare = hasValidHmac(header(headers, 'x-gitea-signature'), body, secret);
      const prefixed = hasValidHmac(withPrefix(header(headers, 'x-hub-signature-256'), 'sha256='), body, secret);
      return bare || prefixed;
    }
    case 'generic':
      return hasValidHmac(withPrefix(header(headers, 'x-signature'), 'sha256='), body, secret);
    default:
      return assertNever(provider, 'webhook provider');
  }
}

/**
 * True when `given` is the hex HMAC-SHA256 of `body` under `secret`. Compared with `timingSafeEqual` on
 * the 32 decoded bytes; a value that is not 64 hex digits is refused before any comparison.
 */
export function hasValidHmac(given: string | undefined, body: Buffer, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  if (given === undefined || !hexDigest.test(given.trim())) return false;
  return timingSafeEqual(Buffer.from(given.trim(), 'hex'), expected);
}

/**
 * True when `given` equals `secret`. Both are hashed to SHA-256 first so `timingSafeEqual` compares equal
 * lengths and the time taken says nothing about either length or content.
 */
export function isSameSecret(given: string | undefined, secret: string): boolean {
  const a = createHash('sha256').update(given ?? '', 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  // compare even when nothing was given, so a missing header costs the same as a wrong one
  return timingSafeEqual(a, b) && given !== undefined && given !== '';
}

/** The hex after `prefix` (case-insensitive), or undefined when the value lacks the prefix. */
function withPrefix(value: string | undefined, prefix: string): string | undefined {
  if (value === undefined || value.slice(0, prefix.length).toLowerCase() !== prefix) return undefined;
  return value.slice(prefix.length);
}

/** One header's value; a repeated header (node joins those, or gives an array) is not a signature. */
function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}
