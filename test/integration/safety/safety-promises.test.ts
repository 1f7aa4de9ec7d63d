/**
 * The README's safety rules, each under the fault that used to break it (issue: "Every safety promise
 * holds under the faults that break it"): a late-committed create, a lost restart answer followed by
 * failing reads, a recreate of many instances at once.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { AvailabilityWatch } from '../../helpers/availability-watch.js';
import { runCli } from '../../helpers/cli.js';
import { get, mutationCount, startTestEmulator } from '../../helpers/emulator.js';
import { waitForEvent } from '../../helpers/events.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { instanceYaml, makeWorkspace } from '../../helpers/manifest-tree.js';

type Container = { id: string; name: string; state: string; labels?: Record<string, string> };

async function containersNamed(emu: EmulatorHandle, name: string): Promise<Container[]> {
  return (await get(`${emu.url}/containers?name=${encodeURIComponent(name)}&limit=1000`)).body.data as Container[];
}

describe('safety promises under the faults that break them', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App | undefined;

  beforeEach(async () => {
    emu = await startTestEmulator({ transitionMs: 20, eventCoalesceMs: 10 });
    ws = await makeWorkspace();
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await emu.close();
    await ws.cleanup();
  });

  const baseArgs = (): string[] => ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '500', '--log-level', 'warn'];

  it('a create committed after the client gave up leaves no twin: apply removes the surplus one and exits 0', async () => {
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1' }));
    // the first POST is committed 2.5 s late whatever the client does; the client gives up after 1 s
    emu.setFaults({ rules: [{ method: 'POST', path: '^/v1/containers$', effect: 'commit-late', delayMs: 2500, times: 1 }] });
    const first = await runCli(['apply', ...baseArgs(), '--request-timeout', '1', '--timeout', '60'], { cwd: ws.root });
    expect(first.code).toBe(0);
    const left = (await containersNamed(emu, 'web-1')).filter((c) => c.state !== 'removed' && c.state !== 'removing');
    expect(left).toHaveLength(1);
    expect(left[0]?.labels).toMatchObject({ 'rancher-reconciler.created-by': 'rancher-reconciler', 'rancher-reconciler.key': 'web-1' });
    expect(first.stderr).toContain('surplus twin removed');
    // both POSTs landed: one of them was the twin
    expect(emu.counters()['POST /v1/containers']).toBe(2);

    emu.resetCounters();
    const second = await runCli(['apply', ...baseArgs(), '--timeout', '60'], { cwd: ws.root });
    expect(second.code).toBe(0);
    expect(mutationCount(emu.counters())).toBe(0);
  }, 150_000);

  it('a restart whose answer is lost, then ~8 s of failing reads, restarts exactly once for the token', async () => {
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', restartToken: 't1' }));
    const config = (): ReturnType<typeof loadConfig> =>
      loadConfig({ command: 'run', argv: [...baseArgs(), '--listen', '127.0.0.1:0', '--resync', '60'], env: {}, cwd: ws.root });
    app = await createApp(config(), 'run', { log: captureLogger('info').log });
    await app.start();
    await waitForEvent(app.events, 'revision:converged', () => true, 60_000);
    const [container] = await containersNamed(emu, 'web-1');
    expect(container).toBeDefined();
    // the restart is processed, its answer lost; then every read of the container fails for a while
    emu.setFaults({
      rules: [
        { method: 'POST', action: 'restart', effect: 'drop-after', times: 1 },
        { method: 'GET', path: `^/v1/containers/${container!.id}$`, effect: 'error', status: 503 },
      ],
    });
    emu.resetCounters();
    const recorded = waitForEvent(app.events, 'reconcile:finished', (e) => e.key === 'web-1' && e.error !== undefined, 60_000);
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', restartToken: 't2' }));
    // the client's verification reads give up: the pass fails with the outcome unknown
    await recorded;
    emu.setFaults({});
    expect(app.inventory.get('web-1')).toMatchObject({ restartToken: 't2', pendingRestart: { token: 't2' } });
    await waitForEvent(app.events, 'reconcile:finished', (e) => e.key === 'web-1' && e.phase === 'in-sync', 90_000);
    expect(emu.counters()['POST /v1/containers/:id?action=restart']).toBe(1);
    // a new process with the same state dir does not restart again either
    await app.stop();
    emu.setFaults({});
    emu.resetCounters();
    app = await createApp(config(), 'run', { log: captureLogger('info').log });
    await app.start();
    await waitForEvent(app.events, 'revision:converged', () => true, 60_000);
    expect(emu.counters()['POST /v1/containers/:id?action=restart'] ?? 0).toBe(0);
    expect(app.inventory.get('web-1')?.pendingRestart).toBeUndefined();
  }, 180_000);

  it('recreating twelve instances keeps at most --max-unavailable (1) of them down at once', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `web-${String(i).padStart(2, '0')}`);
    const write = (image: string): Promise<void> =>
      writeFile(join(ws.manifests, 'a.yaml'), names.map((name) => instanceYaml({ name, image, extra: '  onImmutableChange: recreate' })).join('---\n'));
    await write('docker:nginx:1.25');
    expect((await runCli(['apply', ...baseArgs(), '--timeout', '60'], { cwd: ws.root })).code).toBe(0);
    const watch = await AvailabilityWatch.open(emu.url, names);
    try {
      await write('docker:nginx:1.27');
      const applied = await runCli(['apply', ...baseArgs(), '--timeout', '120'], { cwd: ws.root });
      expect(applied.code).toBe(0);
      expect(watch.events).toBeGreaterThan(0);
      expect(watch.maxDown).toBe(1);
    } finally {
      watch.close();
    }
    const live = (await get(`${emu.url}/containers?limit=1000`)).body.data as (Container & { imageUuid: string })[];
    const current = live.filter((c) => c.state === 'running');
    expect(current.map((c) => c.name).sort()).toEqual(names);
    expect(current.every((c) => c.imageUuid === 'docker:nginx:1.27')).toBe(true);
  }, 300_000);
});
