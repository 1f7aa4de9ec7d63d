/**
 * The whole daemon suspended and resumed over real HTTP (POST /suspend, /resume), wired in-process in
 * run mode against the emulator: the token checks, no call reaching Rancher while suspended, the
 * status and the metric, the resume converging, and the suspension surviving a restart.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { runCli } from '../../helpers/cli.js';
import { get, mutationCount, post, startTestEmulator } from '../../helpers/emulator.js';
import type { ReconcileFinishedEvent } from '../../../src/controller/events.js';
import { waitForEvent } from '../../helpers/events.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { instanceYaml, makeWorkspace } from '../../helpers/manifest-tree.js';

const token = 'control-token-0123456789';

describe('suspending the whole daemon', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App | undefined;
  let sink: ReturnType<typeof captureLogger>['sink'];

  /** Starts the daemon and waits until every instance is in sync, or for the first pass `until` matches. */
  async function startApp(options: Readonly<{ withToken?: boolean; until?: (e: ReconcileFinishedEvent) => boolean }> = {}): Promise<App> {
    const tokenArgs = options.withToken === false ? [] : ['--control-token-file', join(ws.root, 'token')];
    const config = loadConfig({
      command: 'run',
      argv: ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--qps', '500', ...tokenArgs],
      env: {},
      cwd: ws.root,
    });
    const logger = captureLogger('info');
    sink = logger.sink;
    const started = await createApp(config, 'run', { log: logger.log });
    app = started;
    const ready = options.until === undefined ? waitForEvent(started.events, 'revision:converged') : waitForEvent(started.events, 'reconcile:finished', options.until);
    await started.start();
    await ready;
    return started;
  }

  /** `bearer` null: no Authorization header. */
  const control = (action: 'suspend' | 'resume', body?: unknown, bearer: string | null = token) =>
    post(`${app!.statusUrl()}/${action}`, body, bearer === null ? {} : { Authorization: `Bearer ${bearer}` });
  const status = async () => (await get(`${app!.statusUrl()}/status/default`)).body;
  const metric = async (name: string): Promise<string | undefined> => (await (await fetch(`${app!.statusUrl()}/metrics`)).text()).split('\n').find((l) => l.startsWith(name));

  beforeEach(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-suspend-');
    await writeFile(join(ws.root, 'token'), `${token}\n`);
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', description: 'one' }));
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await emu.close();
    await ws.cleanup();
  });

  it('answers 403 without a control token, saying how to enable the endpoints', async () => {
    await startApp({ withToken: false });
    const answer = await control('suspend', { reason: 'x' });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toContain('--control-token-file PATH');
    expect((await control('resume')).status).toBe(403);
    expect((await status()).suspended).toBeNull();
    const cli = await runCli(['suspend', '--daemon', app!.statusUrl()!, '--control-token-file', 'token'], { cwd: ws.root });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe(`error: the daemon at ${app!.statusUrl()} refused (403): ${answer.body.error}\n`);
  });

  it('answers 401 to a missing or wrong token and 200 to the right one; the token is never logged', async () => {
    await startApp();
    expect((await control('suspend', undefined, null)).status).toBe(401);
    const wrong = await control('suspend', undefined, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="rancher-reconciler"');
    expect((await status()).suspended).toBeNull();
    const right = await control('suspend', { reason: 'incident 42', by: 'ann' });
    expect(right).toMatchObject({ status: 200, body: { changed: true, persisted: true, suspended: { reason: 'incident 42', by: 'ann' } } });
    expect((await control('suspend', { reason: 'again' })).body).toMatchObject({ changed: false, suspended: { reason: 'incident 42' } });
    expect((await control('suspend', '{"until": 1}')).status).toBe(400);
    expect((await control('suspend', JSON.stringify({ reason: 'r'.repeat(20_000) }))).status).toBe(413);
    const wrongMethod = await get(`${app!.statusUrl()}/suspend`);
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'POST']);
    expect(JSON.stringify(sink.lines)).not.toContain(token);
    expect(sink.lines.filter((l) => l.msg === 'control request rejected')).toHaveLength(2);
  });

  it('sends nothing to Rancher while suspended, shows it in /status and the metric, and converges on resume', async () => {
    await startApp();
    expect(await metric('rancher_reconciler_suspended ')).toBe('rancher_reconciler_suspended 0');
    expect((await control('suspend', { reason: 'db failover' })).status).toBe(200);
    emu.resetCounters();
    const held = waitForEvent(app!.events, 'reconcile:finished', (e) => e.key === 'web-1' && e.plan?.kind === 'in-sync' && e.plan.note === 'daemon-suspended');
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', description: 'two' }));
    await held;
    expect(mutationCount(emu.counters())).toBe(0);
    const doc = await status();
    expect(doc.suspended).toEqual({ since: expect.any(String), reason: 'db failover', by: null });
    expect(doc.summary).toMatchObject({ suspended: 1, 'in-sync': 0 });
    expect(doc.instances[0]).toMatchObject({ name: 'web-1', id: expect.stringMatching(/^1i/), phase: 'suspended', reason: 'DaemonSuspended', notices: [expect.stringMatching(/^suspended: would update 1i\d+ \(description\)$/)] });
    expect(doc.instances[0].message).toMatch(/no action is taken \(1i\d+ is running\)$/);
    expect(await metric('rancher_reconciler_suspended ')).toBe('rancher_reconciler_suspended 1');
    expect(await metric('rancher_reconciler_instances{phase="suspended",environment="default"}')).toBe('rancher_reconciler_instances{phase="suspended",environment="default"} 1');
    expect(sink.lines.find((l) => l.msg === 'daemon suspended')).toMatchObject({ level: 'warn', reason: 'db failover' });

    const converged = waitForEvent(app!.events, 'reconcile:finished', (e) => e.key === 'web-1' && e.phase === 'in-sync');
    expect((await control('resume')).body).toEqual({ suspended: null, changed: true, persisted: true });
    await converged;
    expect(emu.counters()['PUT /v1/containers/:id']).toBe(1);
    expect((await get(`${emu.url}/containers?name=web-1`)).body.data[0].description).toBe('two');
    expect(await metric('rancher_reconciler_suspended ')).toBe('rancher_reconciler_suspended 0');
    expect((await status()).suspended).toBeNull();
  });

  it('stays suspended across a restart until resumed', async () => {
    await startApp();
    const since = (await control('suspend', { reason: 'maintenance' })).body.suspended.since;
    await app!.stop();
    app = undefined;
    expect(existsSync(join(ws.state, 'suspended.json'))).toBe(true);
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', description: 'after restart' }));
    emu.resetCounters();

    const started = await startApp({ until: (e) => e.key === 'web-1' && e.phase === 'suspended' });
    expect((await status()).suspended).toEqual({ since, reason: 'maintenance', by: null });
    expect(mutationCount(emu.counters())).toBe(0);
    expect(sink.lines.some((l) => l.msg === 'daemon starts suspended: POST /resume to reconcile again')).toBe(true);

    const converged = waitForEvent(started.events, 'reconcile:finished', (e) => e.key === 'web-1' && e.phase === 'in-sync');
    await control('resume');
    await converged;
    expect(existsSync(join(ws.state, 'suspended.json'))).toBe(false);
    expect((await get(`${emu.url}/containers?name=web-1`)).body.data[0].description).toBe('after restart');
  });
});
