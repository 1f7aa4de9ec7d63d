import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { get, mutationCount, post, startTestEmulator } from '../../helpers/emulator.js';
import { waitForEvent } from '../../helpers/events.js';
import { instanceYaml, makeWorkspace } from '../../helpers/manifest-tree.js';

const mutations = (emu: EmulatorHandle): number => mutationCount(emu.counters());

describe('the daemon wired in-process (run mode) against the emulator', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App;

  async function startApp(): Promise<void> {
    const config = loadConfig({
      command: 'run',
      argv: ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--qps', '500', '--resync', '60'],
      env: {},
      cwd: ws.root,
    });
    app = await createApp(config, 'run', { log: captureLogger('info').log });
    const converged = waitForEvent(app.events, 'revision:converged');
    await app.start();
    await converged;
  }

  const statusOf = (name: string) => app.controller.status(true).instances.find((i) => i.name === name);

  beforeEach(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10, faults: { failStartImages: ['docker:broken:1'] } });
    ws = await makeWorkspace();
  });

  afterEach(async () => {
    await app?.stop();
    await emu.close();
    await ws.cleanup();
  });

  it('heals drift made behind its back and counts it', async () => {
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1' }) + '---\n' + instanceYaml({ name: 'web-2' }));
    await startApp();
    const id = statusOf('web-2')?.id;
    expect(id).toMatch(/^1i\d+$/);
    const healed = waitForEvent(app.events, 'reconcile:finished', (e) => e.key === 'web-2' && e.action?.kind === 'start');
    expect((await post(`${emu.url}/containers/${id}/?action=stop`, {})).status).toBe(202);
    await healed;
    await waitForEvent(app.events, 'reconcile:finished', (e) => e.key === 'web-2' && e.phase === 'in-sync');
    expect((await get(`${emu.url}/containers/${id}`)).body.state).toBe('running');
    expect(await app.metrics.render()).toMatch(/rancher_reconciler_drift_detected_total\{environment="default"\} 1/);
  });

  it('blocks a create-only change, then recreates once the manifest allows it', async () => {
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', image: 'docker:nginx:1.25' }));
    await startApp();
    const oldId = statusOf('web-1')?.id;
    emu.resetCounters();
    const blocked = waitForEvent(app.events, 'reconcile:finished', (e) => e.key === 'web-1' && e.phase === 'blocked');
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', image: 'docker:nginx:1.27' }));
    await blocked;
    expect(statusOf('web-1')).toMatchObject({ phase: 'blocked', reason: 'ImmutableFieldChanged' });
    expect(statusOf('web-1')?.message).toContain("imageUuid: 'docker:nginx:1.25' -> 'docker:nginx:1.27'");
    expect(mutations(emu)).toBe(0);

    const recreated = waitForEvent(app.events, 'reconcile:finished', (e) => e.key === 'web-1' && e.phase === 'in-sync' && e.plan?.kind === 'in-sync');
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', image: 'docker:nginx:1.27', extra: '  onImmutableChange: recreate' }));
    await recreated;
    const live = (await get(`${emu.url}/containers?name=web-1`)).body.data;
    expect(live).toHaveLength(1);
    expect(live[0].imageUuid).toBe('docker:nginx:1.27');
    expect(live[0].id).not.toBe(oldId);
    expect(emu.counters()['POST /v1/containers/:id?action=stop']).toBe(1);
    expect(emu.counters()['POST /v1/containers']).toBe(1);
    expect(app.inventory.get('web-1')?.id).toBe(live[0].id);
  });

  it('reports an instance stuck in error as blocked with Rancher\'s message', async () => {
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'ok-1' }));
    await startApp();
    const blocked = waitForEvent(app.events, 'reconcile:finished', (e) => e.key === 'bad-1' && e.phase === 'blocked');
    await writeFile(join(ws.manifests, 'b.yaml'), instanceYaml({ name: 'bad-1', image: 'docker:broken:1' }));
    await blocked;
    expect(statusOf('bad-1')).toMatchObject({ phase: 'blocked', reason: 'LiveInError' });
    expect(statusOf('bad-1')?.message).toContain('Failing [compute.instance.activate]');
    expect(emu.counters()['POST /v1/containers']).toBe(2);
  });

  it('blocks the instances of a broken file only, and leaves them alone', async () => {
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', description: 'one' }));
    await writeFile(join(ws.manifests, 'b.yaml'), instanceYaml({ name: 'web-2', description: 'two' }));
    await startApp();
    emu.resetCounters();
    const blocked = waitForEvent(app.events, 'reconcile:finished', (e) => e.key === 'web-2' && e.phase === 'blocked');
    const updated = waitForEvent(app.events, 'reconcile:finished', (e) => e.key === 'web-1' && e.action?.kind === 'update');
    await writeFile(join(ws.manifests, 'b.yaml'), instanceYaml({ name: 'web-2', description: 'changed' }) + '  bogusField: 1\n');
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', description: 'uno' }));
    await Promise.all([blocked, updated]);
    expect(statusOf('web-2')).toMatchObject({ phase: 'blocked', reason: 'ManifestInvalid' });
    expect(statusOf('web-2')?.message).toMatch(/b\.yaml:\d+:\d+: .*bogusField/);
    expect(app.controller.status(true).complete).toBe(false);
    expect(emu.counters()['PUT /v1/containers/:id']).toBe(1);
  });
});
