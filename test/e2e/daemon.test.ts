import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { get, startTestEmulator } from '../helpers/emulator.js';
import { spawnCli, stopCli, type SpawnedCli } from '../helpers/cli.js';
import { instanceYaml, makeWorkspace, writeManifestFile } from '../helpers/manifest-tree.js';
import { until as untilHolds } from '../helpers/until.js';

const accessKey = 'AK-e2e-access-1234';
const secretKey = 'SK-e2e-very-secret-5678';
const basic = Buffer.from(`${accessKey}:${secretKey}`).toString('base64');

async function fetchText(url: string, init?: RequestInit): Promise<{ status: number; text: string }> {
  const response = await fetch(url, init);
  return { status: response.status, text: await response.text() };
}

/** Default deadline of one `until` and of one `waitFor` (spawnCli's default). */
const untilMs = 15_000;
/** Jest timeout of a test that waits for `waits` such deadlines in sequence, plus spawn and exit time on a loaded machine. */
const budget = (waits: number): number => waits * untilMs + 30_000;

const until = <T>(probe: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs = untilMs): Promise<T> => untilHolds(probe, predicate, timeoutMs);

describe('rancher-reconciler run (built CLI) against an emulator', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let daemon: SpawnedCli;
  let base: string;

  beforeAll(async () => {
    emu = await startTestEmulator({ accessKey, secretKey, transitionMs: 20, eventCoalesceMs: 20 });
    // the first list is slow, so /readyz can be seen turning ready only after it (5 s: the first /readyz must
    // come before the list ends, even when a loaded machine is slow to start the daemon's status server)
    emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/containers/?$', effect: 'latency', latencyMs: 5000, times: 1 }] });
    ws = await makeWorkspace();
    await writeFile(join(ws.manifests, 'web.yaml'), instanceYaml({ name: 'web-1', description: 'one' }) + '---\n' + instanceYaml({ name: 'web-2', state: 'stopped' }));
    daemon = spawnCli(['run', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--log-level', 'debug', '--resync', '30'], {
      cwd: ws.root,
      env: { RANCHER_ACCESS_KEY: accessKey, RANCHER_SECRET_KEY: secretKey, RECONCILER_LOG_FORMAT: 'json' },
    });
    const match = await daemon.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*status server listening|status server listening[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
    base = match[1] ?? match[2] ?? '';
  }, budget(1));

  afterAll(async () => {
    // kill and reap it, so that a failed test leaves no daemon running beside the next file
    if (daemon !== undefined) await stopCli(daemon);
    await emu.close();
    await ws.cleanup();
  });

  it('answers /readyz 503 before the first sync and 200 after it', async () => {
    const first = await fetchText(`${base}/readyz`);
    expect(first.status).toBe(503);
    expect(first.text).toContain('live state not listed yet');
    await until(() => fetchText(`${base}/readyz`), (r) => r.status === 200);
  }, budget(1));

  it('converges, and reports it in /status, /metrics and /healthz', async () => {
    const status = await until(
      async () => JSON.parse((await fetchText(`${base}/status/default`)).text),
      (doc) => doc.instances.length === 2 && doc.instances.every((i: { phase: string }) => i.phase === 'in-sync'),
    );
    expect(status.ready).toBe(true);
    expect(status.complete).toBe(true);
    expect(status.instances.map((i: { name: string }) => i.name)).toEqual(['web-1', 'web-2']);
    const metrics = await fetchText(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/rancher_reconciler_instances\{phase="in-sync",environment="default"\} 2/);
    expect(metrics.text).toMatch(/rancher_reconciler_api_requests_total\{method="POST",route="\/v1\/containers",code="201",environment="default"\} 2/);
    expect((await fetchText(`${base}/healthz`)).status).toBe(200);
    expect((await fetchText(`${base}/nope`)).status).toBe(404);
  }, budget(1));

  it('converges a manifest edit and shows it in /status and /metrics', async () => {
    await writeFile(join(ws.manifests, 'web.yaml'), instanceYaml({ name: 'web-1', description: 'two' }) + '---\n' + instanceYaml({ name: 'web-2', state: 'running' }));
    const list = await until(
      async () => (await get(`${emu.url}/containers?limit=100`, { Authorization: `Basic ${basic}` })).body.data as { name: string; state: string; description: string }[],
      (data) => data.some((c) => c.name === 'web-1' && c.description === 'two') && data.some((c) => c.name === 'web-2' && c.state === 'running'),
    );
    expect(list).toHaveLength(2);
    const status = await until(
      async () => JSON.parse((await fetchText(`${base}/status/default`)).text),
      (doc) => doc.instances.every((i: { phase: string }) => i.phase === 'in-sync') && doc.instances.find((i: { name: string }) => i.name === 'web-2').lastAction === 'start',
    );
    expect(status.instances.find((i: { name: string }) => i.name === 'web-1').lastAction).toBe('update');
    // convergence is recorded just after the last pass: poll until it shows
    const metrics = await until(() => fetchText(`${base}/metrics`), (m) => /rancher_reconciler_revision_converge_seconds_count\{environment="default"\} 2/.test(m.text));
    expect(metrics.text).toMatch(/rancher_reconciler_api_requests_total\{method="PUT",route="\/v1\/containers\/:id",code="200",environment="default"\} 1/);
    expect(metrics.text).toMatch(/rancher_reconciler_last_applied_revision_info\{revision="sha256:[0-9a-f]+",environment="default"\} 1/);
  }, budget(3));

  it('re-reads the manifests on SIGHUP', async () => {
    daemon.child.kill('SIGHUP');
    await daemon.waitFor(/"reason":"signal"[^\n]*"msg":"manifests loaded"/);
  }, budget(1));

  it('accepts POST /reconcile', async () => {
    expect((await fetchText(`${base}/reconcile`, { method: 'POST' })).status).toBe(202);
  });

  // 25 s: a generous bound under the 30 s stop grace of deploy/ (docker-compose stop_grace_period, kubernetes
  // terminationGracePeriodSeconds), which is what a slow exit would break; an idle daemon exits in well under 1 s
  it('exits 0 on SIGTERM within 25 s with the inventory intact, and never prints a credential', async () => {
    const started = Date.now();
    daemon.child.kill('SIGTERM');
    const code = await daemon.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(25_000);
    const inventory = JSON.parse(await readFile(join(ws.state, 'inventory.json'), 'utf8'));
    expect(Object.keys(inventory.entries).sort()).toEqual(['web-1', 'web-2']);
    const output = daemon.stdout() + daemon.stderr();
    expect(output).toContain('"level":"debug"');
    // the startup line says what is configured, and whether credentials are set, never what they are
    expect(output).toMatch(/"msg":"configuration loaded"/);
    expect(output).not.toContain(secretKey);
    expect(output).not.toContain(basic);
    expect(output).not.toContain(accessKey);
  }, 25_000 + 30_000);
});

describe('rancher-reconciler run with bad options', () => {
  it('exits non-zero with one line per problem', async () => {
    const ws = await makeWorkspace();
    let spawned: SpawnedCli | undefined;
    try {
      const cli = spawnCli(['run', '--qps', 'abc', '--listen', 'nowhere', '--bogus'], { cwd: ws.root, env: { RECONCILER_CONCURRENCY: '-3' } });
      spawned = cli;
      const code = await cli.exited;
      expect(code).toBe(1);
      const lines = cli.stderr().trim().split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(4);
      expect(lines.every((l) => l.startsWith('error: '))).toBe(true);
      expect(cli.stderr()).toContain('--qps');
      expect(cli.stderr()).toContain('--listen');
      expect(cli.stderr()).toContain('--bogus');
      expect(cli.stderr()).toContain('RECONCILER_CONCURRENCY');
      expect(cli.stdout()).toBe('');
    } finally {
      if (spawned !== undefined) await stopCli(spawned);
      await ws.cleanup();
    }
  });
});

describe('rancher-reconciler run, interrupted twice', () => {
  it('exits at once on a second SIGTERM while the first is still draining', async () => {
    const emu = await startTestEmulator({ transitionMs: 20, eventCoalesceMs: 20 });
    const ws = await makeWorkspace();
    let spawned: SpawnedCli | undefined;
    try {
      // every create hangs for 20 s, so the first SIGTERM has an in-flight call to drain
      emu.setFaults({ rules: [{ method: 'POST', path: '^/v1/containers/?$', effect: 'latency', latencyMs: 20_000 }] });
      await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'slow-1' }));
      const cli = spawnCli(['run', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--log-format', 'json'], { cwd: ws.root });
      spawned = cli;
      await cli.waitFor(/"msg":"reconciler running"/);
      await until(async () => emu.counters()['POST /v1/containers'] ?? 0, (n) => n >= 1);
      cli.child.kill('SIGTERM');
      await cli.waitFor(/"msg":"shutting down"/);
      const second = Date.now();
      cli.child.kill('SIGTERM');
      const code = await cli.exited;
      expect(code).toBe(143);
      // "at once": well before the 5 s shutdown grace a drain could wait out (4 s bounds a loaded machine's delay)
      expect(Date.now() - second).toBeLessThan(4000);
      expect(cli.stderr()).toContain('received SIGTERM again: exiting now');
      expect(cli.stdout() + cli.stderr()).not.toContain('shutdown grace period over');
    } finally {
      if (spawned !== undefined) await stopCli(spawned);
      await emu.close();
      await ws.cleanup();
    }
  }, budget(3));
});

describe('rancher-reconciler run, stopped while starting', () => {
  it('exits 0 at once on SIGTERM while still waiting for the first list, and starts nothing after', async () => {
    const emu = await startTestEmulator({ transitionMs: 20, eventCoalesceMs: 20 });
    const ws = await makeWorkspace();
    let spawned: SpawnedCli | undefined;
    try {
      // the first list takes 20 s: start is still waiting for Rancher when the signal arrives
      emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/containers/?$', effect: 'latency', latencyMs: 20_000 }] });
      await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'never-1' }));
      const cli = spawnCli(['run', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--log-format', 'json'], { cwd: ws.root });
      spawned = cli;
      await cli.waitFor(/"msg":"status and metrics served"/);
      const sent = Date.now();
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
      // "at once": well before the 20 s list would end; waiting out the 5 s shutdown grace is caught by its log line
      expect(Date.now() - sent).toBeLessThan(12_000);
      expect(cli.stdout() + cli.stderr()).not.toContain('shutdown grace period over');
      expect(emu.counters()['POST /v1/containers'] ?? 0).toBe(0);
    } finally {
      if (spawned !== undefined) await stopCli(spawned);
      await emu.close();
      await ws.cleanup();
    }
  }, budget(1) + 12_000);

  it('exits 0 on SIGTERM while reading a large manifest tree, and never starts reconciling', async () => {
    const emu = await startTestEmulator({ transitionMs: 20, eventCoalesceMs: 20 });
    const ws = await makeWorkspace();
    let spawned: SpawnedCli | undefined;
    try {
      // 3,000 files: the watcher's first read is still running when the signal arrives
      for (let f = 0; f < 300; f++) {
        await writeManifestFile(ws.manifests, `f${f}.yaml`, Array.from({ length: 10 }, (_, i) => ({ name: `n-${f}-${i}` })));
      }
      const cli = spawnCli(['run', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--log-format', 'json'], { cwd: ws.root });
      spawned = cli;
      await cli.waitFor(/"msg":"live cache ready"/);
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
      expect(cli.stdout()).not.toContain('"msg":"action succeeded"');
      expect(emu.counters()['POST /v1/containers'] ?? 0).toBe(0);
    } finally {
      if (spawned !== undefined) await stopCli(spawned);
      await emu.close();
      await ws.cleanup();
    }
  }, budget(2));
});
