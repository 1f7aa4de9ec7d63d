/**
 * The built CLI on the git source, end to end: a daemon polling only every hour converges a push at
 * once when a signed GitHub webhook arrives; a forged signature is refused and changes nothing; a push
 * for another branch is answered with the reason. `plan --git-url --git-ref` previews a commit from CI.
 * Real processes: the daemon, `git http-backend` behind a bearer-token check, the emulator over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { runCli, spawnCli, stopCli, type SpawnedCli } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { startHttpGitServer, type HttpGitServer } from '../helpers/git-server.js';
import { createBareRepo, WorkClone } from '../helpers/git-work.js';
import { instanceYaml, makeWorkspace } from '../helpers/manifest-tree.js';
import { aGithubPush } from '../helpers/webhook-payloads.js';
import { until as untilHolds } from '../helpers/until.js';

const token = 'git-bearer-SECRET-3390';
const hookSecret = 'hook-SECRET-5521';
const untilMs = 60_000;

const until = <T>(probe: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs = untilMs): Promise<T> => untilHolds(probe, predicate, timeoutMs);

describe('the daemon on the git source with webhooks (built CLI)', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let server: HttpGitServer;
  let work: WorkClone;
  let daemon: SpawnedCli;
  let base: string;
  let repoUrl: string;

  const status = async (): Promise<any> => (await fetch(`${base}/status/default`)).json();
  const hook = (body: unknown, secret = hookSecret, event = 'push'): Promise<Response> => {
    const text = JSON.stringify(body);
    const signature = `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;
    return fetch(`${base}/hooks/github`, { method: 'POST', body: text, headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-hub-signature-256': signature } });
  };
  const ourPush = (ref = 'refs/heads/main'): Record<string, unknown> => aGithubPush({ ref, repository: { host: new URL(repoUrl).host, fullName: 'manifests' } });

  beforeAll(async () => {
    emu = await startTestEmulator({ transitionMs: 20, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-git-e2e-');
    await mkdir(join(ws.root, 'repos'));
    const bare = await createBareRepo(join(ws.root, 'repos'), 'manifests.git');
    server = await startHttpGitServer({ root: join(ws.root, 'repos'), auth: { kind: 'bearer', token } });
    repoUrl = server.url('manifests.git');
    work = await WorkClone.create(bare, join(ws.root, 'work'));
    await work.write({ 'web.yaml': instanceYaml({ name: 'web-1' }) });
    await work.commit('web-1');
    await work.push();
    await writeFile(join(ws.root, 'token'), token);
    await writeFile(join(ws.root, 'hook'), hookSecret);
    daemon = spawnCli(['run', '--url', emu.url, '--git-url', repoUrl, '--git-bearer-token-file', join(ws.root, 'token'), '--git-interval', '1h',
      '--webhook-github-secret-file', join(ws.root, 'hook'), '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--log-level', 'info'], {
      cwd: ws.root, env: { RECONCILER_LOG_FORMAT: 'json', HOME: ws.root },
    });
    const match = await daemon.waitFor(/status server listening[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"|"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*status server listening/, untilMs);
    base = match[1] ?? match[2] ?? '';
    await until(status, (doc) => doc.summary?.['in-sync'] === 1 && doc.source?.ready === true);
  }, 120_000);

  afterAll(async () => {
    if (daemon !== undefined) await stopCli(daemon);
    await server?.stop();
    await emu?.close();
    await ws?.cleanup();
  });

  it('a signed push for our branch converges without waiting for the interval', async () => {
    await work.write({ 'web.yaml': instanceYaml({ name: 'web-1' }) + '---\n' + instanceYaml({ name: 'web-2' }) });
    const sha = await work.commit('web-2');
    await work.push();
    const answer = await hook(ourPush());
    expect(answer.status).toBe(202);
    expect(await answer.json()).toMatchObject({ accepted: true, triggered: true });
    const doc = await until(status, (d) => d.revision === `main@sha1:${sha}` && d.summary['in-sync'] === 2);
    expect(doc.source).toMatchObject({ commit: sha, subject: 'web-2', ready: true });
  }, 120_000);

  it('answers a ping with 200 and a forged signature with 401, changing nothing', async () => {
    const ping = await hook({ zen: 'Keep it logically awesome.', hook_id: 1 }, hookSecret, 'ping');
    expect(ping.status).toBe(200);
    const before = (await status()).revision;
    await work.write({ 'web.yaml': instanceYaml({ name: 'web-1' }) + '---\n' + instanceYaml({ name: 'web-2' }) + '---\n' + instanceYaml({ name: 'web-3' }) });
    const sha = await work.commit('web-3');
    await work.push();
    const requestsBefore = server.requests();
    const forged = await hook(ourPush(), 'not-the-secret');
    expect(forged.status).toBe(401);
    expect(await forged.text()).not.toContain(hookSecret);
    // a round trip through the daemon after the refusal: a wrongly triggered fetch would have started by now
    expect((await status()).revision).toBe(before);
    expect(server.requests()).toBe(requestsBefore);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('rancher_reconciler_webhook_requests_total{provider="github",result="unauthorized"} 1');
    // the commit was there all along: a genuine hook fetches it
    expect((await hook(ourPush())).status).toBe(202);
    await until(status, (d) => d.revision === `main@sha1:${sha}` && d.summary['in-sync'] === 3);
  }, 120_000);

  it('a push for another branch is answered 202 with the reason and logged as matching nothing', async () => {
    const answer = await hook(ourPush('refs/heads/dev'));
    expect(answer.status).toBe(202);
    const body = (await answer.json()) as { reason: string };
    expect(body).toMatchObject({ accepted: true, triggered: false });
    expect(body.reason).toContain('refs/heads/dev');
    expect(body.reason).toContain('refs/heads/main');
    await daemon.waitFor(/webhook matched nothing/, untilMs);
    expect(daemon.stdout() + daemon.stderr()).not.toContain(token);
    expect(daemon.stdout() + daemon.stderr()).not.toContain(hookSecret);
  }, 120_000);

  it('plan --git-url --git-ref previews a commit of another branch against the live state, writing nothing', async () => {
    await work.write({ 'web.yaml': instanceYaml({ name: 'web-1', description: 'preview' }) });
    const sha = await work.commit('preview: describe web-1');
    await work.push({ branch: 'preview' });
    const plan = await runCli(['plan', '--url', emu.url, '--git-url', repoUrl, '--git-ref', 'preview', '--git-bearer-token-file', join(ws.root, 'token'), '--state-dir', ws.state, '--log-level', 'warn'], { cwd: ws.root });
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('~ web-1');
    expect(plan.stdout).toContain(`Plan for revision preview@sha1:${sha}`);
    expect(plan.stdout).toContain(`Commit ${sha} (`);
    expect(plan.stdout).toContain('preview: describe web-1');
    const pinned = await runCli(['plan', '--url', emu.url, '--git-url', repoUrl, '--git-ref', sha, '--git-bearer-token-file', join(ws.root, 'token'), '--state-dir', ws.state, '--output', 'json', '--log-level', 'warn'], { cwd: ws.root });
    expect(pinned.code).toBe(2);
    expect(JSON.parse(pinned.stdout)).toMatchObject({ revision: `sha1:${sha}`, source: { commit: sha, kind: 'git' } });
    const refused = await runCli(['plan', '--url', emu.url, '--git-url', repoUrl, '--git-ref', 'no-such-branch', '--git-bearer-token-file', join(ws.root, 'token'), '--state-dir', ws.state, '--log-level', 'silent'], { cwd: ws.root });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: .*no-such-branch/m);
  }, 120_000);
});
