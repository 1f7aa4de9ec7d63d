/**
 * `spec.prune: false` and `spec.suspend: true` end to end against the emulator: a protected instance
 * outlives its manifest under `--prune` (across a restart, from the inventory alone) and is no removal
 * of the delete budget; `apply` leaves a suspended instance alone and counts it as settled.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { runCli } from '../../helpers/cli.js';
import { get, mutationCount, startTestEmulator } from '../../helpers/emulator.js';
import { waitForEvent } from '../../helpers/events.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { instanceYaml, makeWorkspace } from '../../helpers/manifest-tree.js';

describe('spec.prune: false and spec.suspend: true', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App | undefined;

  const args = (): string[] => ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '500', '--log-level', 'warn'];
  const container = async (name: string) => (await get(`${emu.url}/containers?name=${name}`)).body.data[0];

  async function runDaemon(): Promise<App> {
    const config = loadConfig({ command: 'run', argv: [...args(), '--listen', '127.0.0.1:0', '--prune'], env: {}, cwd: ws.root });
    app = await createApp(config, 'run', { log: captureLogger('info').log });
    return app;
  }

  beforeEach(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-protect-');
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await emu.close();
    await ws.cleanup();
  });

  it('keeps a protected instance whose manifest is gone, across a restart, outside the delete budget', async () => {
    await writeFile(join(ws.manifests, 'keep.yaml'), instanceYaml({ name: 'keep', extra: '  prune: false' }));
    await writeFile(join(ws.manifests, 'web.yaml'), instanceYaml({ name: 'web' }));
    const first = await runDaemon();
    const converged = waitForEvent(first.events, 'revision:converged');
    await first.start();
    await converged;
    expect(first.inventory.get('keep')).toMatchObject({ prune: false });
    expect(first.inventory.get('web')?.prune).toBeUndefined();
    await first.stop();
    app = undefined;

    // both manifests go while the daemon is down: the protection is only in the inventory now.
    // Two orphans would be over the default budget of 1 (2 managed); the protected one is none.
    await rm(join(ws.manifests, 'keep.yaml'));
    await rm(join(ws.manifests, 'web.yaml'));
    const second = await runDaemon();
    const kept = waitForEvent(second.events, 'reconcile:finished', (e) => e.key === 'keep' && e.plan?.kind === 'in-sync' && e.plan.note === 'protected');
    const removed = waitForEvent(second.events, 'reconcile:finished', (e) => e.key === 'web' && e.plan?.kind === 'in-sync' && e.plan.note === 'gone');
    await second.start();
    await Promise.all([kept, removed]);
    expect((await container('keep')).state).toBe('running');
    expect(await container('web')).toBeUndefined();
    const doc = second.controller.status(true);
    expect(doc.removalsRefused).toBeNull();
    expect(doc.instances.find((i) => i.name === 'keep')).toMatchObject({ phase: 'in-sync', reason: 'PruneProtected' });
    expect(emu.counters()['POST /v1/containers/:id?action=stop']).toBe(1);

    const plan = await runCli(['plan', ...args(), '--prune', '--output', 'json'], { cwd: ws.root });
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ changes: [{ name: 'keep', action: 'kept', reason: 'spec.prune is false', steps: [] }], summary: { kept: 1, remove: 0 } });
  });

  it('apply leaves a suspended instance alone, reports it and exits 0', async () => {
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', description: 'one' }) + '---\n' + instanceYaml({ name: 'web-2', extra: '  suspend: true' }));
    const first = await runCli(['apply', ...args()], { cwd: ws.root });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(await container('web-2')).toBeUndefined();
    expect(first.stdout).toMatch(/web-2 +- +suspended +Suspended +spec\.suspend is true: no action is taken/);
    expect(first.stdout).toContain('2 instances: 1 in sync, 0 progressing, 0 waiting, 0 blocked, 0 failed, 1 suspended (spec.suspend)');

    emu.resetCounters();
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', description: 'two', extra: '  suspend: true' }));
    const second = await runCli(['apply', ...args()], { cwd: ws.root });
    expect(second.code).toBe(0);
    expect(mutationCount(emu.counters())).toBe(0);
    expect((await container('web-1')).description).toBe('one');
    expect(second.stdout).toMatch(/web-1 +1i\d+ +suspended +Suspended +spec\.suspend is true: no action is taken \(1i\d+ is running\)/);
  });
});
