/**
 * Webhook signature and token checks (src/http/webhooks/signatures.ts), one row per rule.
 *
 * The GitHub vector is the one GitHub publishes for checking an implementation ("Validating webhook
 * deliveries", docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation):
 * secret `It's a Secret to Everybody`, payload `Hello, World!`, signature `sha256=757107ea…3e17`.
 * GitLab sends the secret token as is in `X-Gitlab-Token` (docs.gitlab.com/user/project/integrations/webhooks/);
 * Gitea signs like GitHub, in `X-Gitea-Signature` without a prefix and in `X-Hub-Signature-256` with one
 * (docs.gitea.com/usage/webhooks).
 */
import { describe, expect, it, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { hasValidHmac, hasValidWebhookSignature, isSameSecret } from '../../../src/http/webhooks/signatures.js';
import type { WebhookProvider } from '../../../src/observability/source-metrics.js';

const githubSecret = "It's a Secret to Everybody";
const githubBody = Buffer.from('Hello, World!');
const githubVector = '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

const secret = 'whsec-4b1d9e7a';
const body = Buffer.from('{"ref":"refs/heads/main"}');
const hex = createHmac('sha256', secret).update(body).digest('hex');
const otherHex = createHmac('sha256', 'another secret').update(body).digest('hex');

describe('hasValidHmac', () => {
  test.each<[string, string | undefined, boolean]>([
    ['accepts GitHub\'s published vector', githubVector, true],
    ['accepts the vector in upper case', githubVector.toUpperCase(), true],
    ['refuses one digit changed', `${githubVector.slice(0, -1)}f`, false],
    ['refuses a truncated signature (length differs: refused before comparing)', githubVector.slice(0, 63), false],
    ['refuses a signature with extra digits', `${githubVector}00`, false],
    ['refuses non-hex of the right length', 'z'.repeat(64), false],
    ['refuses an empty value', '', false],
    ['refuses a missing value', undefined, false],
  ])('%s', (_rule, given, valid) => {
    expect(hasValidHmac(given, githubBody, githubSecret)).toBe(valid);
  });

  it('refuses the right signature of another body', () => {
    expect(hasValidHmac(githubVector, Buffer.from('Hello, World?'), githubSecret)).toBe(false);
  });
});

describe('isSameSecret', () => {
  test.each<[string, string | undefined, boolean]>([
    ['accepts the secret', secret, true],
    ['refuses a prefix of it', secret.slice(0, -1), false],
    ['refuses it with one more character', `${secret}x`, false],
    ['refuses another secret of the same length', secret.replace('4', '5'), false],
    ['refuses an empty token', '', false],
    ['refuses a missing token', undefined, false],
  ])('%s', (_rule, given, same) => {
    expect(isSameSecret(given, secret)).toBe(same);
  });
});

describe('hasValidWebhookSignature', () => {
  test.each<[string, WebhookProvider, IncomingHttpHeaders, boolean]>([
    ['github: X-Hub-Signature-256 with sha256=', 'github', { 'x-hub-signature-256': `sha256=${hex}` }, true],
    ['github: the prefix is case-insensitive', 'github', { 'x-hub-signature-256': `SHA256=${hex}` }, true],
    ['github: a bare hex is not enough', 'github', { 'x-hub-signature-256': hex }, false],
    ['github: signed with another secret', 'github', { 'x-hub-signature-256': `sha256=${otherHex}` }, false],
    ['github: the old sha1 header does not count', 'github', { 'x-hub-signature': `sha1=${hex}` }, false],
    ['github: no signature', 'github', {}, false],
    ['github: a repeated header is refused', 'github', { 'x-hub-signature-256': `sha256=${hex}, sha256=${hex}` }, false],
    ['gitlab: X-Gitlab-Token is the secret', 'gitlab', { 'x-gitlab-token': secret }, true],
    ['gitlab: a wrong token', 'gitlab', { 'x-gitlab-token': 'guess' }, false],
    ['gitlab: a GitHub-style signature does not count', 'gitlab', { 'x-hub-signature-256': `sha256=${hex}` }, false],
    ['gitlab: no token', 'gitlab', {}, false],
    ['gitea: X-Gitea-Signature is a bare hex', 'gitea', { 'x-gitea-signature': hex }, true],
    ['gitea: X-Hub-Signature-256 alone is accepted too', 'gitea', { 'x-hub-signature-256': `sha256=${hex}` }, true],
    ['gitea: both headers, as Gitea sends them', 'gitea', { 'x-gitea-signature': hex, 'x-hub-signature-256': `sha256=${hex}` }, true],
    ['gitea: a wrong X-Gitea-Signature', 'gitea', { 'x-gitea-signature': otherHex }, false],
    ['gitea: no signature', 'gitea', {}, false],
    ['generic: X-Signature with sha256=', 'generic', { 'x-signature': `sha256=${hex}` }, true],
    ['generic: X-Signature without the prefix', 'generic', { 'x-signature': hex }, false],
    ['generic: another provider\'s header does not count', 'generic', { 'x-hub-signature-256': `sha256=${hex}` }, false],
  ])('%s', (_rule, provider, headers, valid) => {
    expect(hasValidWebhookSignature(provider, headers, body, secret)).toBe(valid);
  });

  test.each<WebhookProvider>(['github', 'gitlab', 'gitea', 'generic'])('%s: an empty secret never verifies, even "signed" with it', (provider) => {
    const emptyHex = createHmac('sha256', '').update(body).digest('hex');
    const headers = { 'x-hub-signature-256': `sha256=${emptyHex}`, 'x-gitea-signature': emptyHex, 'x-signature': `sha256=${emptyHex}`, 'x-gitlab-token': '' };
    expect(hasValidWebhookSignature(provider, headers, body, '')).toBe(false);
  });
});
