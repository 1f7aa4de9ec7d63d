/**
 * `status` and `events` with `--ui-token-file` (or RECONCILER_UI_TOKEN_FILE) against a daemon running
 * in-process with `--ui-token-file`, over real HTTP: the token file read and sent as a bearer token,
 * and a clear error without it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { runCli } from '../../helpers/cli.js';
import { startTestEmulator } from '../../helpers/emulator.js';
import { waitForEvent } from '../../helpers/events.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { instanceYaml, makeWorkspace } from '../../helpers/manifest-tree.js';

const token = 'ui-token-for-the-cli-5150';

describe('the status and events commands against a daemon with --ui-token-file', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App;
  let url: string;
  let tokenFile: string;

  beforeAll(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-status-ui-token-');
    tokenFile = join(ws.root, 'ui-token');
    await writeFile(tokenFile, `${token}\n`);
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1' }));
    const argv = ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--ui-token-file', tokenFile];
    app = await createApp(loadConfig({ command: 'run', argv, env: {}, cwd: ws.root }), 'run', { log: captureLogger('info').log });
    const converged = waitForEvent(app.events, 'revision:converged');
    await app.start();
    await converged;
    url = app.statusUrl()!;
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await emu?.close();
    await ws?.cleanup();
  });

  it('prints the table with --ui-token-file', async () => {
    const result = await runCli(['status', '--daemon', url, '--ui-token-file', 'ui-token'], { cwd: ws.root });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^web-1 +1i\d+ +running +in-sync/m);
  });

  it('reads RECONCILER_UI_TOKEN_FILE when the flag is not given', async () => {
    const result = await runCli(['status', '--daemon', url, '-o', 'json'], { cwd: ws.root, env: { RECONCILER_UI_TOKEN_FILE: tokenFile } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ environments: [{ name: 'default', instances: [expect.objectContaining({ name: 'web-1' })] }] });
  });

  it('prints the event history with --ui-token-file', async () => {
    const result = await runCli(['events', '--daemon', url, '--ui-token-file', tokenFile, '--key', 'web-1'], { cwd: ws.root });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/ web-1 /);
  });

  it('exits 1 naming the option without a token, and never prints the token', async () => {
    const result = await runCli(['status', '--daemon', url], { cwd: ws.root });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('needs a token for /status (401): --ui-token-file PATH');
    const events = await runCli(['events', '--daemon', url], { cwd: ws.root });
    expect(events.code).toBe(1);
    expect(events.stderr).toContain('needs a token for /events (401)');
    expect(result.stderr + events.stderr).not.toContain(token);
  });

  it('names the flag when the token file cannot be read', async () => {
    const result = await runCli(['status', '--daemon', url, '--ui-token-file', 'missing'], { cwd: ws.root });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--ui-token-file: cannot read');
  });
});
