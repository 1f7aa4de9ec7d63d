/**
 * Several environments in one daemon, each against its own emulator over HTTP: one whose keys the
 * config gets wrong, one under a 429 storm, one whose manifest tree is invalid, one healthy. The healthy
 * one converges without a single throttled call or retry (what it would do alone), the others are
 * reported as what they are in /status, /readyz, the metrics and the logs, and a restart of one
 * environment's live cache (a partition of its Rancher) lists nothing from another's.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App, type EnvironmentApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { get, startTestEmulator } from '../../helpers/emulator.js';
import { waitForEvent } from '../../helpers/events.js';
import { makeWorkspace, names, writeManifestFile } from '../../helpers/manifest-tree.js';
import { until } from '../../helpers/until.js';

const perEnvironment = 12;
const lists = (emulator: EmulatorHandle): number => emulator.counters()['GET /v1/containers'] ?? 0;

describe('three environments in one daemon: bad keys, a 429 storm, a healthy one', () => {
  let good: EmulatorHandle;
  let storm: EmulatorHandle;
  let bad: EmulatorHandle;
  let broken: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App;
  let starting: Promise<void>;
  const { log, sink } = captureLogger('info');
  const env = (name: string): EnvironmentApp => app.environments.find((environment) => environment.name === name) as EnvironmentApp;
  const text = async (path: string): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${app.statusUrl()}${path}`);
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    [good, storm, bad, broken] = await Promise.all([
      startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 }),
      startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10, faults: { rateLimit: { rps: 4 } } }),
      startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10, accessKey: 'right-access', secretKey: 'right-secret' }),
      startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 }),
    ]);
    ws = await makeWorkspace('rr-envs-');
    for (const name of ['good', 'storm', 'bad']) {
      await mkdir(join(ws.root, name));
      await writeManifestFile(join(ws.root, name), 'all.yaml', names(`${name}-web`, perEnvironment).map((n) => ({ name: n })));
    }
    await mkdir(join(ws.root, 'broken'));
    await writeFile(join(ws.root, 'broken', 'web.yaml'), 'apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: web\nspec:\n  imageUuid: [not, an, image]\n');
    const entry = (name: string, url: string, extra = ''): string => `  - name: ${name}\n    url: ${url}\n    manifests: ${name}\n    qps: 200\n    resync: 600\n${extra}`;
    await writeFile(join(ws.root, 'reconciler.yaml'), [
      'environments:',
      entry('good', good.url),
      entry('storm', storm.url),
      entry('bad', bad.url, '    accessKeyEnv: BAD_ACCESS\n    secretKeyEnv: BAD_SECRET\n'),
      entry('broken', broken.url),
    ].join('\n'));
    const config = loadConfig({
      command: 'run', argv: ['--config', join(ws.root, 'reconciler.yaml'), '--state-dir', ws.state, '--listen', '127.0.0.1:0'],
      env: { BAD_ACCESS: 'wrong-access', BAD_SECRET: 'wrong-secret' }, cwd: ws.root,
    });
    app = await createApp(config, 'run', { log });
    const converged = waitForEvent(env('good').events, 'revision:converged', () => true, 60_000);
    // start() waits for every environment; the one with bad keys never lists, so it is not awaited here
    starting = app.start();
    starting.catch(() => undefined);
    await converged;
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.all([good?.close(), storm?.close(), bad?.close(), broken?.close()]);
    await ws?.cleanup();
  });

  it('converges the healthy environment with no throttled call and no retry, as it would alone', async () => {
    const metrics = await env('good').metrics.render();
    expect(metrics).toContain(`rancher_reconciler_instances{phase="in-sync",environment="good"} ${perEnvironment}`);
    expect(metrics).not.toMatch(/code="429"/);
    expect(metrics).toContain('rancher_reconciler_queue_retries_total{environment="good"} 0');
    expect((await get(`${good.url}/containers?limit=100`)).body.data).toHaveLength(perEnvironment);
  });

  it('reports the environment whose keys Rancher rejects, in /status, /readyz and its log lines', async () => {
    const status = await until(() => text('/status/bad'), (answer) => JSON.parse(answer.body).api.condition === 'unauthorized', 30_000);
    expect(JSON.parse(status.body)).toMatchObject({ name: 'bad', ready: false, api: { condition: 'unauthorized', message: 'Rancher rejected the credentials (401)' } });
    const readyz = await text('/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.body).toContain('bad: Rancher rejected the credentials (401)');
    expect(readyz.body).not.toContain('good:');
    expect(sink.lines.find((line) => line.msg === 'Rancher API failing' && line.environment === 'bad')).toMatchObject({ level: 'error', condition: 'unauthorized' });
    expect(sink.lines.some((line) => line.msg === 'Rancher API failing' && line.environment !== 'bad')).toBe(false);
    expect(sink.text).not.toContain('wrong-secret');
    expect(bad.counters()['POST /v1/containers'] ?? 0).toBe(0);
  });

  it('lets the throttled environment converge in its own time, its 429s counted under its name only', async () => {
    await waitForEvent(env('storm').events, 'revision:converged', () => true, 120_000).catch(async (error: unknown) => {
      // it may have converged before this test subscribed
      if (!(await env('storm').metrics.render()).includes(`phase="in-sync",environment="storm"} ${perEnvironment}`)) throw error;
    });
    const all = (await text('/metrics')).body;
    expect(all).toMatch(/rancher_reconciler_api_requests_total\{method="[A-Z]+",route="[^"]+",code="429",environment="storm"\} [1-9]/);
    expect(all).not.toMatch(/code="429",environment="(good|bad)"/);
    const doc = JSON.parse((await text('/status')).body);
    expect(doc.environments.map((e: { name: string }) => e.name)).toEqual(['good', 'storm', 'bad', 'broken']);
    expect(doc.notReady).toEqual(['bad', 'broken']);
    expect(doc.ready).toBe(false);
  });

  it('reports the environment whose tree is invalid, with the located issue, and sends its Rancher nothing', async () => {
    const doc = JSON.parse((await text('/status/broken')).body);
    expect(doc).toMatchObject({ name: 'broken', complete: false, ready: false, api: { condition: 'ok' } });
    expect(doc.manifestIssues).toEqual([expect.objectContaining({ file: 'web.yaml', line: 6 })]);
    expect((await text('/readyz')).body).toContain('broken: manifests not parsed completely yet');
    expect(broken.counters()['POST /v1/containers'] ?? 0).toBe(0);
  });

  it('restarts one environment\'s live cache (its Rancher partitioned) without listing another\'s', async () => {
    const goodLists = lists(good);
    const stormLists = lists(storm);
    storm.setFaults({ partition: { durationMs: 1500 } });
    // the storm environment's cache loses its stream, reconnects and lists again once the partition ends
    await until(async () => lists(storm), (count) => count > stormLists, 60_000);
    expect(lists(good)).toBe(goodLists);
    expect(env('good').ready()).toBe(true);
  });
});
