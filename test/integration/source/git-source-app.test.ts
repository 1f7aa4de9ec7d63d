/**
 * The daemon's app on the git source, against a real git http-backend (with basic auth) and the
 * emulator over HTTP: a push converges with the commit in /status and in the logs; a force-push back
 * converges back; a deleted branch, rejected credentials and a stopped server keep everything running,
 * remove nothing (with --prune on) and report the source not ready; drift is still healed meanwhile.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { runCli } from '../../helpers/cli.js';
import { get, post, startTestEmulator } from '../../helpers/emulator.js';
import { waitForEvent } from '../../helpers/events.js';
import { startHttpGitServer, type HttpGitServer } from '../../helpers/git-server.js';
import { createBareRepo, WorkClone } from '../../helpers/git-work.js';
import { captureLogger, type LogSink } from '../../helpers/log-sink.js';
import { instanceYaml, makeWorkspace } from '../../helpers/manifest-tree.js';

type Container = { id: string; name: string; state: string; description?: string };
const password = 'pw-git-SECRET-7781';

async function live(emu: EmulatorHandle): Promise<Container[]> {
  const data = (await get(`${emu.url}/containers?limit=1000`)).body.data as Container[];
  return data.filter((c) => c.state !== 'removed' && c.state !== 'purged');
}

describe('the app on the git source', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let server: HttpGitServer;
  let work: WorkClone;
  let app: App | undefined;
  let sink: LogSink;

  beforeEach(async () => {
    emu = await startTestEmulator({ transitionMs: 20, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-git-app-');
    await mkdir(join(ws.root, 'repos'));
    const bare = await createBareRepo(join(ws.root, 'repos'), 'manifests.git');
    server = await startHttpGitServer({ root: join(ws.root, 'repos'), auth: { kind: 'basic', username: 'git', password } });
    work = await WorkClone.create(bare, join(ws.root, 'work'));
    await writeFile(join(ws.root, 'password'), `${password}\n`);
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await server.stop();
    await emu.close();
    await ws.cleanup();
  });

  async function startApp(extra: string[] = []): Promise<App> {
    const argv = [
      '--url', emu.url, '--git-url', server.url('manifests.git'), '--git-path', 'prod', '--git-username', 'git', '--git-password-file', join(ws.root, 'password'),
      '--git-interval', '300ms', '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--qps', '500', '--resync', '2', ...extra,
    ];
    const captured = captureLogger('info');
    sink = captured.sink;
    app = await createApp(loadConfig({ command: 'run', argv, env: {}, cwd: ws.root }), 'run', { log: captured.log });
    await app.start();
    return app;
  }

  async function status(a: App): Promise<any> {
    return (await fetch(`${a.statusUrl()}/status/default`)).json();
  }

  it('a push converges; /status, the logs and the metrics carry the commit; a force-push back converges back', async () => {
    await work.write({ 'prod/web.yaml': instanceYaml({ name: 'web-1', description: 'one' }), 'README.md': 'not a manifest\n' });
    const first = await work.commit('web-1');
    await work.push();
    const a = await startApp();
    await waitForEvent(a.events, 'revision:converged', (e) => e.revision === `main@sha1:${first}`, 60_000);

    await work.write({ 'prod/web.yaml': instanceYaml({ name: 'web-1', description: 'two' }) + '---\n' + instanceYaml({ name: 'web-2' }) });
    const second = await work.commit('web-2 and a new description');
    await work.push();
    await waitForEvent(a.events, 'revision:converged', (e) => e.revision === `main@sha1:${second}`, 60_000);
    const containers = await live(emu);
    expect(containers.map((c) => c.name).sort()).toEqual(['web-1', 'web-2']);
    expect(containers.find((c) => c.name === 'web-1')?.description).toBe('two');

    const doc = await status(a);
    expect(doc.revision).toBe(`main@sha1:${second}`);
    expect(doc.source).toMatchObject({
      kind: 'git', url: server.url('manifests.git'), ref: 'main', commit: second, subject: 'web-2 and a new description', ready: true, lastError: null,
      fetchedAt: expect.any(String), appliedAt: expect.any(String), convergedAt: expect.any(String),
    });
    const succeeded = sink.lines.filter((l) => l.msg === 'action succeeded' && l.key === 'web-2');
    expect(succeeded[0]?.revision).toBe(`main@sha1:${second}`);
    expect(sink.lines.filter((l) => l.msg === 'phase changed' && l.key === 'web-2').every((l) => l.revision === `main@sha1:${second}`)).toBe(true);
    const metrics = await (await fetch(`${a.statusUrl()}/metrics`)).text();
    expect(metrics).toContain(`commit="${second}",environment="default"} 1`);
    expect(metrics).toMatch(/rancher_reconciler_git_fetch_duration_seconds_count\{result="ok",environment="default"\} \d+/);
    expect(metrics).toMatch(/rancher_reconciler_revision_converge_seconds_count\{environment="default"\} \d+/);

    // force-push the branch back to the first commit: its tree is the desired state again
    await work.resetHard(first);
    await work.push({ force: true });
    await waitForEvent(a.events, 'revision:converged', (e) => e.revision === `main@sha1:${first}`, 60_000);
    expect((await live(emu)).find((c) => c.name === 'web-1')?.description).toBe('one');
    expect(sink.text).not.toContain(password);
  }, 180_000);

  it('a deleted branch, rejected credentials and a stopped server remove nothing, keep healing drift and report not ready', async () => {
    await work.write({ 'prod/web.yaml': instanceYaml({ name: 'web-1', description: 'one' }) + '---\n' + instanceYaml({ name: 'web-2' }) });
    const head = await work.commit('two instances');
    await work.push();
    // a release branch (the remote's default branch cannot be deleted)
    await work.push({ branch: 'release' });
    const a = await startApp(['--prune', '--git-ref', 'release']);
    const revision = `release@sha1:${head}`;
    await waitForEvent(a.events, 'revision:converged', (e) => e.revision === revision, 60_000);

    const notReady = async (reason: string): Promise<any> => {
      const line = await sink.waitForNext('git source not ready', 60_000);
      expect(line).toMatchObject({ reason, keeping: revision });
      const readyz = await fetch(`${a.statusUrl()}/readyz`);
      expect(readyz.status).toBe(503);
      expect(await readyz.text()).toContain(`git source not ready (${reason})`);
      const doc = await status(a);
      expect(doc.source).toMatchObject({ ready: false, revision, lastError: { reason } });
      expect((await live(emu)).map((c) => c.name).sort()).toEqual(['web-1', 'web-2']);
      return doc;
    };
    const recovered = async (): Promise<void> => {
      await sink.waitForNext('git source ready again', 60_000);
    };

    await work.deleteRemoteBranch('release');
    await notReady('ref-not-found');
    // drift is still healed while the source fails: the last good commit is the desired state
    const web1 = (await live(emu)).find((c) => c.name === 'web-1') as Container;
    const healed = waitForEvent(a.events, 'reconcile:finished', (e) => e.key === 'web-1' && e.action?.kind === 'start', 60_000);
    expect((await post(`${emu.url}/containers/${web1.id}/?action=stop`, {})).status).toBe(202);
    await healed;
    await work.push({ branch: 'release' });
    await recovered();

    server.setAuth({ kind: 'basic', username: 'git', password: 'another-password' });
    const doc = await notReady('auth');
    expect(JSON.stringify(doc)).not.toContain(password);
    server.setAuth({ kind: 'basic', username: 'git', password });
    await recovered();

    await server.stop();
    await notReady('unreachable');
    const metrics = await (await fetch(`${a.statusUrl()}/metrics`)).text();
    expect(metrics).toContain('rancher_reconciler_source_ready{environment="default"} 0');
    expect(metrics).toMatch(/rancher_reconciler_git_fetch_errors_total\{reason="unreachable",environment="default"\} [1-9]/);
    expect(metrics).toMatch(/rancher_reconciler_git_fetch_errors_total\{reason="auth",environment="default"\} [1-9]/);
    expect(sink.text).not.toContain(password);
    // one line per change of condition, not one per failed poll
    expect(sink.lines.filter((l) => l.msg === 'git source not ready')).toHaveLength(3);
  }, 240_000);

  it('apply converges a commit once and prints it; rejected credentials end it at once with advice', async () => {
    await work.write({ 'prod/web.yaml': instanceYaml({ name: 'web-1' }) });
    const sha = await work.commit('apply me');
    await work.push();
    const args = ['apply', '--url', emu.url, '--git-url', server.url('manifests.git'), '--git-path', 'prod', '--git-username', 'git', '--git-password-file', join(ws.root, 'password'), '--state-dir', ws.state, '--log-level', 'warn', '--timeout', '60'];
    const applied = await runCli(args, { cwd: ws.root });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain(`Revision main@sha1:${sha}\nCommit ${sha} (`);
    expect((await live(emu)).map((c) => c.name)).toEqual(['web-1']);
    server.setAuth({ kind: 'basic', username: 'git', password: 'rotated' });
    const refused = await runCli(args, { cwd: ws.root });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: git .*check --git-username and --git-password-file/m);
    expect(refused.stderr + refused.stdout).not.toContain(password);
  }, 120_000);
});
