/**
 * The webhook receivers on the real status server, driven over HTTP: what each provider's push, ping,
 * forgery and oversize body gets back, what it triggers, what it logs and how it is counted.
 */
import { afterAll, beforeAll, describe, expect, it, test } from '@jest/globals';
import { request } from 'node:http';
import type { StatusSource } from '../../../src/domain/status.js';
import { startStatusServer, type StatusServer } from '../../../src/http/status-server.js';
import { createWebhookReceiver, webhookBodyLimitBytes, type WebhookSecrets } from '../../../src/http/webhooks/receiver.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import type { WebhookProvider, WebhookResult } from '../../../src/observability/source-metrics.js';
import type { WebhookTarget } from '../../../src/source/source.js';
import { aDaemonStatus } from '../../helpers/builders.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { aGiteaPush, aGithubPing, aGithubPush, aGitlabPush, providerHeaders } from '../../helpers/webhook-payloads.js';

const secrets = {
  github: 'gh-whsec-7d3f0a91c2',
  gitlab: 'gl-token-51be8e04aa',
  gitea: 'gt-whsec-0c6d2e9f17',
  generic: 'gen-whsec-e4a1b83d55',
} as const satisfies WebhookSecrets;

/** A git source as the receiver sees it; counts triggers. */
const target: WebhookTarget & { watched: ReturnType<WebhookTarget['watchedRef']>; triggers: number } = {
  url: 'https://github.com/org/repo.git',
  watched: { ref: 'refs/heads/main', pinned: false },
  triggers: 0,
  watchedRef: () => target.watched,
  trigger: () => {
    target.triggers += 1;
  },
};

const source: StatusSource = {
  status: () => aDaemonStatus(),
  health: () => ({ ok: true }),
  readiness: () => ({ ready: true, reasons: [] }),
  requestReconcile: () => undefined,
};

type Answer = Readonly<{ status: number; body: Record<string, unknown>; headers: Headers }>;

describe('webhook receivers on the status server', () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const { log, sink } = captureLogger('debug');
  const answers: string[] = [];
  let server: StatusServer;
  let githubOnly: StatusServer;
  let noGitSource: StatusServer;

  beforeAll(async () => {
    const webhooks = createWebhookReceiver({ secrets, target, log, metrics: metrics.source });
    const onlyGithub = createWebhookReceiver({ secrets: { github: secrets.github, gitlab: '' }, target, log, metrics: metrics.source });
    server = await startStatusServer({ host: '127.0.0.1', port: 0, log, metrics, source, webhooks });
    githubOnly = await startStatusServer({ host: '127.0.0.1', port: 0, log, metrics, source, webhooks: onlyGithub });
    noGitSource = await startStatusServer({ host: '127.0.0.1', port: 0, log, metrics, source });
  });
  afterAll(async () => {
    await Promise.all([server.close(), githubOnly.close(), noGitSource.close()]);
  });

  async function send(base: string, path: string, init: RequestInit): Promise<Answer> {
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    answers.push(text);
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers };
  }

  /** POSTs `body` to /hooks/<provider> with the provider's own headers, signed with its secret unless `headers` overrides. */
  function deliver(provider: WebhookProvider, body: string, options: Readonly<{ event?: string; headers?: Record<string, string>; base?: string }> = {}): Promise<Answer> {
    const headers = { ...providerHeaders(provider, secrets[provider], body, options.event), ...options.headers };
    return send(options.base ?? server.url, `/hooks/${provider}`, { method: 'POST', headers, body });
  }

  async function counted(provider: WebhookProvider, result: WebhookResult): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = new RegExp(`^rancher_reconciler_webhook_requests_total\\{provider="${provider}",result="${result}"\\} (\\d+)$`, 'm').exec(text);
    return Number(line?.[1]);
  }

  /** Runs `act` and checks it triggered `triggers` fetches and counted one `result` for `provider`. */
  async function expectEffect(provider: WebhookProvider, result: WebhookResult, triggers: number, act: () => Promise<Answer>): Promise<Answer> {
    const [countBefore, triggersBefore] = [await counted(provider, result), target.triggers];
    const answer = await act();
    expect({ triggers: target.triggers - triggersBefore, counted: (await counted(provider, result)) - countBefore }).toEqual({ triggers, counted: 1 });
    return answer;
  }

  const lastLine = (msg: string): Record<string, unknown> | undefined => sink.lines.filter((line) => line.msg === msg).at(-1);

  it('triggers one fetch for a signed GitHub push to our branch, and says so at info', async () => {
    const answer = await expectEffect('github', 'triggered', 1, () => deliver('github', JSON.stringify(aGithubPush())));
    expect([answer.status, answer.body]).toEqual([202, { accepted: true, triggered: true }]);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(lastLine('webhook push accepted: fetching')).toMatchObject({ level: 'info', component: 'webhooks', provider: 'github', ref: 'refs/heads/main', repository: target.url });
  });

  it('triggers for a GitHub push sent form-encoded (payload=...)', async () => {
    const body = new URLSearchParams({ payload: JSON.stringify(aGithubPush()) }).toString();
    const answer = await expectEffect('github', 'triggered', 1, () => deliver('github', body, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }));
    expect([answer.status, answer.body]).toEqual([202, { accepted: true, triggered: true }]);
  });

  it('answers a GitHub ping with 200 and triggers nothing', async () => {
    const answer = await expectEffect('github', 'ping', 0, () => deliver('github', JSON.stringify(aGithubPing()), { event: 'ping' }));
    expect([answer.status, answer.body]).toEqual([200, { ok: true, event: 'ping' }]);
  });

  test.each<[string, Record<string, string>, (body: string) => string]>([
    ['signed with another secret', { 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` }, (body) => body],
    ['without a signature', { 'X-Hub-Signature-256': '' }, (body) => body],
    ['with a signature of a shorter length', { 'X-Hub-Signature-256': 'sha256=abcd' }, (body) => body],
    ['whose body was changed after signing', {}, (body) => body.replace('refs/heads/main', 'refs/heads/evil')],
  ])('refuses a GitHub push %s with 401, changes nothing and warns without saying why', async (_case, headers, tamper) => {
    const body = JSON.stringify(aGithubPush());
    const signed = providerHeaders('github', secrets.github, body);
    const answer = await expectEffect('github', 'unauthorized', 0, () =>
      send(server.url, '/hooks/github', { method: 'POST', headers: { ...signed, ...headers }, body: tamper(body) }));
    expect([answer.status, answer.body]).toEqual([401, { error: 'invalid signature' }]);
    expect(lastLine('webhook rejected: bad signature')).toMatchObject({ level: 'warn', provider: 'github', remoteAddress: '127.0.0.1' });
  });

  test.each<[string, () => void, string, string]>([
    ['another branch', () => undefined, JSON.stringify(aGithubPush({ ref: 'refs/heads/dev' })),
      'push for ref refs/heads/dev but the source follows refs/heads/main'],
    ['another repository', () => undefined, JSON.stringify(aGithubPush({ repository: { host: 'github.com', fullName: 'org/other' } })),
      'push for repository https://github.com/org/other.git but the source is https://github.com/org/repo.git'],
    ['a source pinned to a commit', () => { target.watched = { ref: undefined, pinned: true }; }, JSON.stringify(aGithubPush()),
      'push for ref refs/heads/main but the source is pinned to a commit (--git-ref): no push can move it'],
  ])('accepts but ignores a push for %s, with the reason in the answer and a warning', async (_case, arrange, body, reason) => {
    arrange();
    try {
      const answer = await expectEffect('github', 'ignored', 0, () => deliver('github', body));
      expect([answer.status, answer.body]).toEqual([202, { accepted: true, triggered: false, reason }]);
      expect(lastLine('webhook matched nothing')).toMatchObject({ level: 'warn', provider: 'github', reason });
    } finally {
      target.watched = { ref: 'refs/heads/main', pinned: false };
    }
  });

  it('triggers for any branch of our repository while the watched ref is not known yet', async () => {
    target.watched = { ref: undefined, pinned: false };
    try {
      const answer = await expectEffect('github', 'triggered', 1, () => deliver('github', JSON.stringify(aGithubPush({ ref: 'refs/heads/whatever' }))));
      expect(answer.body).toEqual({ accepted: true, triggered: true });
    } finally {
      target.watched = { ref: 'refs/heads/main', pinned: false };
    }
  });

  it('ignores a GitHub event that is not a push', async () => {
    const answer = await expectEffect('github', 'ignored', 0, () => deliver('github', JSON.stringify({ action: 'opened' }), { event: 'issues' }));
    expect([answer.status, answer.body]).toEqual([202, { accepted: true, triggered: false, reason: 'the github event "issues" is not a push' }]);
  });

  it('answers 400 for a signed push whose body is not JSON', async () => {
    const answer = await expectEffect('github', 'invalid', 0, () => deliver('github', '{"ref": "refs/heads/main"'));
    expect([answer.status, answer.body]).toEqual([400, { error: 'invalid payload: the body is not JSON' }]);
  });

  describe('GitLab', () => {
    const ourProject = { host: 'github.com', fullName: 'org/repo' };

    it('triggers for a Push Hook with the right X-Gitlab-Token', async () => {
      const answer = await expectEffect('gitlab', 'triggered', 1, () => deliver('gitlab', JSON.stringify(aGitlabPush({ repository: ourProject }))));
      expect([answer.status, answer.body]).toEqual([202, { accepted: true, triggered: true }]);
    });

    it('refuses a wrong X-Gitlab-Token with 401', async () => {
      const answer = await expectEffect('gitlab', 'unauthorized', 0, () =>
        deliver('gitlab', JSON.stringify(aGitlabPush({ repository: ourProject })), { headers: { 'X-Gitlab-Token': `${secrets.gitlab}-guess` } }));
      expect([answer.status, answer.body]).toEqual([401, { error: 'invalid signature' }]);
    });

    it('ignores a Tag Push Hook while the source follows a branch', async () => {
      const answer = await expectEffect('gitlab', 'ignored', 0, () =>
        deliver('gitlab', JSON.stringify(aGitlabPush({ kind: 'tag_push', repository: ourProject })), { event: 'Tag Push Hook' }));
      expect(answer.body).toEqual({ accepted: true, triggered: false, reason: 'push for ref refs/tags/v1.0.0 but the source follows refs/heads/main' });
    });
  });

  describe('Gitea', () => {
    const ourRepository = { host: 'github.com', fullName: 'org/repo' };

    it('triggers for a signed push (both signature headers, as Gitea sends them)', async () => {
      const answer = await expectEffect('gitea', 'triggered', 1, () => deliver('gitea', JSON.stringify(aGiteaPush({ repository: ourRepository }))));
      expect([answer.status, answer.body]).toEqual([202, { accepted: true, triggered: true }]);
    });

    it('triggers with X-Gitea-Signature alone', async () => {
      const answer = await expectEffect('gitea', 'triggered', 1, () =>
        deliver('gitea', JSON.stringify(aGiteaPush({ repository: ourRepository })), { headers: { 'X-Hub-Signature-256': '' } }));
      expect(answer.status).toBe(202);
    });

    it('refuses a push signed with another secret', async () => {
      const body = JSON.stringify(aGiteaPush({ repository: ourRepository }));
      const forged = providerHeaders('gitea', 'not-the-secret', body);
      const answer = await expectEffect('gitea', 'unauthorized', 0, () => send(server.url, '/hooks/gitea', { method: 'POST', headers: forged, body }));
      expect(answer.status).toBe(401);
    });
  });

  describe('generic', () => {
    test.each<[string, string]>([
      ['an empty body (look now)', ''],
      ['our repository in another transport and our branch by short name', JSON.stringify({ repository: 'git@github.com:org/repo.git', ref: 'main' })],
      ['only our full ref', JSON.stringify({ ref: 'refs/heads/main' })],
    ])('triggers for a signed request with %s', async (_case, body) => {
      const answer = await expectEffect('generic', 'triggered', 1, () => deliver('generic', body));
      expect([answer.status, answer.body]).toEqual([202, { accepted: true, triggered: true }]);
    });

    it('ignores a signed request for another branch', async () => {
      const answer = await expectEffect('generic', 'ignored', 0, () => deliver('generic', JSON.stringify({ ref: 'dev' })));
      expect(answer.body).toEqual({ accepted: true, triggered: false, reason: 'push for ref dev but the source follows refs/heads/main' });
    });

    it('refuses an unsigned empty request', async () => {
      const answer = await expectEffect('generic', 'unauthorized', 0, () => send(server.url, '/hooks/generic', { method: 'POST' }));
      expect(answer.status).toBe(401);
    });
  });

  describe('body limit', () => {
    const oversize = 'x'.repeat(webhookBodyLimitBytes + 1);

    it('answers 413 to a body over 1 MiB by Content-Length, closes the connection and changes nothing', async () => {
      const answer = await expectEffect('github', 'invalid', 0, () => deliver('github', oversize));
      expect([answer.status, answer.body]).toEqual([413, { error: `payload too large: the limit is ${webhookBodyLimitBytes} bytes` }]);
      expect(answer.headers.get('connection')).toBe('close');
      expect(lastLine('webhook rejected: body too large')).toMatchObject({ level: 'warn', provider: 'github', limitBytes: webhookBodyLimitBytes });
    });

    it('answers 413 to a chunked body once the bytes that arrived pass 1 MiB', async () => {
      const before = await counted('generic', 'invalid');
      const answer = await postChunked(`${server.url}/hooks/generic`, webhookBodyLimitBytes * 2);
      expect(answer.status).toBe(413);
      expect(await counted('generic', 'invalid')).toBe(before + 1);
    });

    it('accepts a body of exactly 1 MiB (then reads it as the provider would)', async () => {
      const body = JSON.stringify({ ref: 'refs/heads/main', pad: '' });
      const padded = body.replace('"pad":""', `"pad":"${'p'.repeat(webhookBodyLimitBytes - body.length)}"`);
      expect(Buffer.byteLength(padded)).toBe(webhookBodyLimitBytes);
      const answer = await expectEffect('generic', 'triggered', 1, () => deliver('generic', padded));
      expect(answer.status).toBe(202);
    });

    it('keeps serving after a 413', async () => {
      const res = await fetch(`${server.url}/healthz`);
      expect([res.status, await res.text()]).toEqual([200, 'ok\n']);
    });
  });

  describe('routes', () => {
    it('answers 404 for a provider without a secret (an empty one counts as none), counted disabled', async () => {
      const answer = await deliver('gitea', JSON.stringify(aGiteaPush()), { base: githubOnly.url });
      expect([answer.status, answer.body]).toEqual([404, { error: 'the gitea webhook receiver is not configured (--webhook-gitea-secret-file)' }]);
      const empty = await deliver('gitlab', JSON.stringify(aGitlabPush()), { base: githubOnly.url });
      expect(empty.body).toEqual({ error: 'the gitlab webhook receiver is not configured (--webhook-gitlab-secret-file)' });
      expect(await counted('gitea', 'disabled')).toBe(1);
    });

    it('answers 404 on /hooks/* when there is no git source', async () => {
      const answer = await deliver('github', JSON.stringify(aGithubPush()), { base: noGitSource.url });
      expect([answer.status, answer.body]).toEqual([404, { error: 'webhooks need the git source (--git-url)' }]);
    });

    test.each<[string, string, string, number, string | null]>([
      ['an unknown provider', 'POST', '/hooks/bitbucket', 404, null],
      ['a path below a provider', 'POST', '/hooks/github/push', 404, null],
      ['GET on a receiver', 'GET', '/hooks/github', 405, 'POST'],
    ])('answers %s', async (_case, method, path, status, allow) => {
      const answer = await send(server.url, path, { method });
      expect(answer.status).toBe(status);
      expect(answer.headers.get('allow')).toBe(allow);
      expect(answer.body).toHaveProperty('error');
    });

    it('still answers the other routes as before', async () => {
      const res = await fetch(`${server.url}/reconcile`, { method: 'POST', body: 'ignored' });
      expect([res.status, await res.json()]).toEqual([202, { accepted: true }]);
    });
  });

  it('exports the counters with provider and result labels', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('# TYPE rancher_reconciler_webhook_requests_total counter');
    expect(text).toMatch(/^rancher_reconciler_webhook_requests_total\{provider="github",result="triggered"\} [1-9]\d*$/m);
    expect(text).toMatch(/^rancher_reconciler_webhook_requests_total\{provider="gitlab",result="unauthorized"\} 1$/m);
    expect(text).toMatch(/^rancher_reconciler_webhook_requests_total\{provider="gitea",result="disabled"\} 1$/m);
    expect(text).toMatch(/^rancher_reconciler_webhook_requests_total\{provider="generic",result="ping"\} 0$/m);
  });

  it('never shows a secret in a log line or an answer', () => {
    expect(answers.length).toBeGreaterThan(20);
    for (const secret of Object.values(secrets)) {
      expect(sink.text).not.toContain(secret);
      expect(answers.join('\n')).not.toContain(secret);
    }
  });
});

/** POSTs `totalBytes` without a Content-Length (chunked), as fast as the socket takes them; resolves with the answer. */
function postChunked(url: string, totalBytes: number): Promise<{ status: number | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
    });
    // the server closes the connection after its 413 while we may still be writing: that is the point
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = (): void => {
      while (sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}
