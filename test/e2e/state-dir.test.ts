import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { runCli, spawnCli, type SpawnedCli } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { instanceYaml, makeWorkspace } from '../helpers/manifest-tree.js';

const env = { RECONCILER_LOG_FORMAT: 'json' };

/** Resolves with the exit code, or rejects when the process has not exited within `timeoutMs`. */
function exitWithin(cli: SpawnedCli, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms; stderr: ${cli.stderr()}`)), timeoutMs);
    void cli.exited.then((code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('one writer per state dir (built CLI)', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  const spawned: SpawnedCli[] = [];

  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(async () => {
    ws = await makeWorkspace('rr-e2e-state-');
    await writeFile(join(ws.manifests, 'web.yaml'), instanceYaml({ name: 'web-1' }));
  });
  afterEach(async () => {
    for (const cli of spawned.splice(0)) {
      if (cli.child.exitCode === null && cli.child.signalCode === null) {
        cli.child.kill('SIGKILL');
        await cli.exited;
      }
    }
    await ws.cleanup();
  });

  const spawnCommand = (command: 'run' | 'apply', ...extra: string[]): SpawnedCli => {
    const cli = spawnCli([command, '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, ...extra], { cwd: ws.root, env });
    spawned.push(cli);
    return cli;
  };

  it('apply fails at once with the holder named while run holds the state dir; after run stops, the next apply takes it', async () => {
    const daemon = spawnCommand('run', '--listen', '127.0.0.1:0');
    await daemon.waitFor(/"msg":"reconciler running"/, 60_000);

    const apply = spawnCommand('apply', '--timeout', '60');
    expect(await exitWithin(apply, 30_000)).toBe(1);
    const pattern = `error: state dir ${ws.state} is locked by pid ${daemon.child.pid} on host ${hostname()} since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\(another run or apply\\): stop it or use another --state-dir\\n`;
    expect(apply.stderr()).toMatch(new RegExp(pattern));
    expect(apply.stdout()).toBe('');

    daemon.child.kill('SIGTERM');
    expect(await exitWithin(daemon, 60_000)).toBe(0);
    const left = await readdir(ws.state);
    expect(left).not.toContain('lock');
    expect(left).not.toContain('lock.owner.json');

    // the next writer gets past the lock (convergence itself is apply-plan.test.ts's subject)
    const next = spawnCommand('apply', '--timeout', '60');
    await next.waitFor(/"msg":"inventory loaded"/, 60_000);
    await exitWithin(next, 90_000);
    expect(next.stderr()).not.toContain('is locked');
    expect(await readdir(ws.state)).not.toContain('lock');
  });
});

describe('plan is read-only (in-process)', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;

  beforeAll(async () => {
    emu = await startTestEmulator();
    ws = await makeWorkspace('rr-e2e-plan-ro-');
    await writeFile(join(ws.manifests, 'web.yaml'), instanceYaml({ name: 'web-1' }));
  });
  afterAll(async () => {
    await emu.close();
    await ws.cleanup();
  });

  const plan = (stateDir: string) => runCli(['plan', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', stateDir, '--log-level', 'silent'], { cwd: ws.root });

  it('a --state-dir that does not exist stays missing', async () => {
    const missing = join(ws.root, 'no-such-state');
    const result = await plan(missing);
    expect(result.code).toBe(2); // web-1 would be created
    expect(result.stdout).toContain('web-1');
    expect(existsSync(missing)).toBe(false);
  });

  it("a writer's temp file is left alone, and no lock is taken", async () => {
    await mkdir(ws.state, { recursive: true });
    await writeFile(join(ws.state, 'inventory.json.tmp-123'), '{"version":1,"ent');
    const result = await plan(ws.state);
    expect(result.code).toBe(2);
    expect(await readdir(ws.state)).toEqual(['inventory.json.tmp-123']);
  });
});
