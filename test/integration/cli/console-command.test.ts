/**
 * `rancher-reconciler console <name|id>` in-process against the emulator over real HTTP: a running
 * virtual machine's console URL and token are printed (exit 0); a container, a stopped VM or an unknown
 * name get one `error:` line saying why, and no console call is made (exit 1).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitTarget } from '../../../src/commands/console.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { runCli } from '../../helpers/cli.js';
import { post, startTestEmulator, waitForResource } from '../../helpers/emulator.js';

let emulator: EmulatorHandle;
let cwd: string;
let vm: any;
let stopped: any;

beforeAll(async () => {
  emulator = await startTestEmulator();
  cwd = await mkdtemp(join(tmpdir(), 'console-cli-'));
  const make = async (path: string, name: string): Promise<any> => {
    const made = await post(`${emulator.url}/${path}`, { name, imageUuid: 'docker:ubuntu' });
    return waitForResource(made.body.links.self, (body) => body.state === 'running');
  };
  vm = await make('virtualmachines', 'vm1');
  const second = await make('virtualmachines', 'vm2');
  await post(second.actions.stop, {});
  stopped = await waitForResource(second.links.self, (body) => body.state === 'stopped');
  await make('containers', 'web');
});
afterAll(async () => {
  await emulator.close();
  await rm(cwd, { recursive: true, force: true });
});

const consoleOf = (target: string) => runCli(['console', target, '--url', emulator.url, '--log-level', 'silent'], { cwd });

describe('console', () => {
  it('prints the console URL and token of a running virtual machine, by name or by id', async () => {
    for (const target of ['vm1', vm.id]) {
      const result = await consoleOf(target);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(new RegExp(`^console of vm1 \\(${vm.id}\\):\nurl: ws://127\\.0\\.0\\.1:\\d+/v1/console/\ntoken: [\\w-]+\\.[\\w-]+\\.[\\w-]+\n$`));
    }
  });

  it('says that containers have no console, and calls nothing', async () => {
    const before = emulator.counters();
    const result = await consoleOf('web');
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'error: containers have no console in Rancher 1.x; use execute\n' });
    const posts = Object.keys(emulator.counters()).filter((key) => key.startsWith('POST') && (emulator.counters()[key] ?? 0) !== (before[key] ?? 0));
    expect(posts).toEqual([]);
  });

  it('gives a virtual machine that is not running as its state', async () => {
    const result = await consoleOf('vm2');
    expect(result).toMatchObject({ code: 1, stderr: `error: virtual machine "vm2" (${stopped.id}) is stopped: console is offered only while it is running\n` });
  });

  it('says when nothing has the name or id', async () => {
    expect(await consoleOf('nope')).toMatchObject({ code: 1, stderr: 'error: no instance named "nope"\n' });
    expect(await consoleOf('1i999')).toMatchObject({ code: 1, stderr: 'error: no instance with id 1i999\n' });
  });

  it('finds the instance among the options whichever side it is given', () => {
    expect(splitTarget(['--url', 'http://x/v1', 'vm1', '--insecure-skip-tls-verify', '-u', 'y'])).toEqual({ target: 'vm1', rest: ['--url', 'http://x/v1', '--insecure-skip-tls-verify', '-u', 'y'] });
    expect(splitTarget(['--url=http://x/v1', 'vm1'])).toEqual({ target: 'vm1', rest: ['--url=http://x/v1'] });
  });
});
