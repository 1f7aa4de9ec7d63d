import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { startTestEmulator } from '../../helpers/emulator.js';
import { waitForEvent } from '../../helpers/events.js';
import { instanceYaml, makeWorkspace } from '../../helpers/manifest-tree.js';

describe('readiness waits for a complete parse of the manifests', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App;
  let manifests: string;

  beforeAll(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace();
    manifests = join(ws.root, 'not-cloned-yet');
    const config = loadConfig({ command: 'run', argv: ['--url', emu.url, '--manifests', manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0'], env: {}, cwd: ws.root });
    app = await createApp(config, 'run', { log: captureLogger('info').log });
    await app.start();
  });

  afterAll(async () => {
    await app.stop();
    await emu.close();
    await ws.cleanup();
  });

  it('is not ready while the manifests folder is missing, and becomes ready once it parses', async () => {
    const before = await fetch(`${app.statusUrl()}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.text()).toContain('manifests not parsed completely yet');

    await mkdir(manifests);
    await writeFile(join(manifests, 'a.yaml'), instanceYaml({ name: 'web-1' }));
    const converged = waitForEvent(app.events, 'revision:converged');
    const trigger = await fetch(`${app.statusUrl()}/reconcile`, { method: 'POST' });
    expect(trigger.status).toBe(202);
    await converged;
    const after = await fetch(`${app.statusUrl()}/readyz`);
    expect(after.status).toBe(200);
  });
});
