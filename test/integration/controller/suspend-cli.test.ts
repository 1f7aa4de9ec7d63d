/**
 * `rancher-reconciler suspend` and `resume` (in-process) against a daemon running in-process over real
 * HTTP: the token from the environment or the flag, what they print, and their errors and exit codes.
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
import { closedPort } from '../../helpers/ports.js';

describe('the suspend and resume commands', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App;
  let env: Record<string, string>;

  beforeAll(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-suspend-cli-');
    await writeFile(join(ws.root, 'token'), 'the-token\n');
    await writeFile(join(ws.root, 'wrong'), 'not-the-token\n');
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1' }));
    const argv = ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--control-token-file', join(ws.root, 'token')];
    app = await createApp(loadConfig({ command: 'run', argv, env: {}, cwd: ws.root }), 'run', { log: captureLogger('info').log });
    const converged = waitForEvent(app.events, 'revision:converged');
    await app.start();
    await converged;
    env = { RECONCILER_CONTROL_TOKEN_FILE: 'token' };
  });

  afterAll(async () => {
    await app?.stop();
    await emu?.close();
    await ws?.cleanup();
  });

  const cli = (args: string[], extraEnv: Record<string, string> = env) => runCli([...args, '--daemon', app.statusUrl()!], { env: extraEnv, cwd: ws.root });

  it('suspends with a reason and who, says so once, and resumes', async () => {
    const suspended = await cli(['suspend', '--reason', 'incident 42', '--by', 'ann']);
    expect(suspended).toEqual({ code: 0, stdout: expect.stringMatching(/^suspended since \d{4}-\d\d-\d\dT[\d:.]+Z \(reason: incident 42, by ann\)\n$/), stderr: '' });
    const again = await cli(['suspend', '--reason', 'other']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^already suspended since .* \(reason: incident 42, by ann\)\n$/);

    expect(await cli(['resume'])).toEqual({ code: 0, stdout: 'resumed: the daemon reconciles again\n', stderr: '' });
    expect(await cli(['resume'])).toEqual({ code: 0, stdout: 'not suspended: nothing changed\n', stderr: '' });
  });

  it('names user@host when no --by is given', async () => {
    const suspended = await cli(['suspend']);
    expect(suspended.stdout).toMatch(/^suspended since \S+ \(by \S+@\S+\)\n$/);
    await cli(['resume']);
  });

  it('takes --control-token-file over the environment, and a wrong token is exit 1 with the 401 explained', async () => {
    const wrong = await cli(['suspend', '--control-token-file', 'wrong']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(`error: the daemon at ${app.statusUrl()} rejected the control token (401): use the file the daemon reads with --control-token-file\n`);
    expect((await cli(['resume', '--control-token-file', 'token'], {})).code).toBe(0);
  });

  it('without a token file it says where the token comes from', async () => {
    const none = await cli(['suspend'], {});
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toBe('error: the control token is needed: --control-token-file PATH or RECONCILER_CONTROL_TOKEN_FILE (the file the daemon reads)\n');
    const missing = await cli(['suspend', '--control-token-file', 'nope']);
    expect(missing.stderr).toBe('error: --control-token-file: cannot read `' + join(ws.root, 'nope') + '` (ENOENT)\n');
  });

  it('a daemon that is not there is exit 1 with the URL and the cause', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await runCli(['suspend', '--daemon', url], { env, cwd: ws.root });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: cannot reach the daemon at ${url} (ECONNREFUSED): is \`rancher-reconciler run\` listening there? (--daemon URL)\n`);
  });
});
