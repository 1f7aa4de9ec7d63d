import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));

/** Collects a child's output and resolves with its first stdout line. */
function firstLine(child: ChildProcess, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no URL line within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, newline));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${String(code)} before printing its URL; stderr: ${err}`));
    });
  });
}

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

describe('rancher-reconciler emulator (built CLI)', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    child = undefined;
  });

  const run = (args: string[]): ChildProcess => {
    if (!existsSync(cli)) throw new Error(`dist/cli.js is missing: run \`npm run build\` before the tests (${cli})`);
    child = spawn(process.execPath, [cli, 'emulator', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    return child;
  };

  it('prints exactly its base URL, serves the API, and exits 0 on SIGTERM', async () => {
    const emulatorProcess = run(['--port', '0', '--transition-ms', '10', '--hosts', '2']);
    const url = await firstLine(emulatorProcess);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const response = await fetch(`${url}/hosts`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: unknown[] }).data).toHaveLength(2);
    emulatorProcess.kill('SIGTERM');
    expect(await exited(emulatorProcess)).toBe(0);
  });

  it('lists every bad flag on stderr and exits 1', async () => {
    const emulatorProcess = run(['--port', 'x', '--hosts', '-1', '--secret-key', 's']);
    let stderr = '';
    emulatorProcess.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    expect(await exited(emulatorProcess)).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'error: Expected `--port` to be an integer from 0 to 65535, got `x`',
      'error: Expected `--hosts` to be an integer from 0 to 1000, got `-1`',
      'error: Expected `--access-key` and `--secret-key` together, got only one of them',
    ]);
  });

  it('--data: the store survives a restart of the process; a corrupt file fails the start naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emulator-cli-data-'));
    const file = join(dir, 'store.json');
    try {
      const first = run(['--port', '0', '--transition-ms', '10', '--data', file]);
      const url = await firstLine(first);
      const created = await fetch(`${url}/containers`, { method: 'POST', body: JSON.stringify({ imageUuid: 'docker:nginx', name: 'kept' }) });
      expect(created.status).toBe(201);
      const id = ((await created.json()) as { id: string }).id;
      first.kill('SIGTERM');
      expect(await exited(first)).toBe(0);

      const second = run(['--port', '0', '--transition-ms', '10', '--data', file]);
      const again = await firstLine(second);
      expect(((await (await fetch(`${again}/containers/${id}`)).json()) as { name: string }).name).toBe('kept');
      const raw = (await (await fetch(`${again.replace(/\/v1$/, '')}/_emulator/containers`)).json()) as { createIndex: number }[];
      expect(raw.map((container) => container.createIndex)).toEqual([1]);
      second.kill('SIGTERM');
      expect(await exited(second)).toBe(0);

      await writeFile(file, 'not json');
      const broken = run(['--port', '0', '--data', file]);
      let stderr = '';
      broken.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      expect(await exited(broken)).toBe(1);
      expect(stderr).toContain(`error: emulator data file ${file} is corrupt: not JSON`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
