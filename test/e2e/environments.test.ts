/**
 * `plan`, `apply` and `export` on a config file listing three environments, each its own emulator over
 * real HTTP (issue 15): one section per environment, in file order; the environment whose keys the
 * emulator rejects reports that in its section while the others still run; the exit code is the worst.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { get, startTestEmulator } from '../helpers/emulator.js';
import { makeWorkspace, writeManifestFile } from '../helpers/manifest-tree.js';

type Container = { name: string; state: string };

/** `--timeout` of every apply here; the jest timeouts are well above it. */
const applyTimeoutSec = 60;
const budgetMs = applyTimeoutSec * 1000 + 60_000;

/** The sections of `text`, by environment name, in the order they appear. */
function sections(text: string): [string, string][] {
  const parts = text.split(/^== environment ([a-z0-9-]+) ==\n/m);
  const result: [string, string][] = [];
  for (let i = 1; i < parts.length; i += 2) result.push([parts[i] ?? '', parts[i + 1] ?? '']);
  return result;
}

describe('plan, apply and export per environment', () => {
  const emulators: Record<'dev' | 'bad' | 'prod', EmulatorHandle | undefined> = { dev: undefined, bad: undefined, prod: undefined };
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let base: string[];
  const badAuth = { Authorization: `Basic ${Buffer.from('right-access:right-secret').toString('base64')}` };

  const emulator = (name: keyof typeof emulators): EmulatorHandle => {
    const handle = emulators[name];
    if (handle === undefined) throw new Error(`emulator ${name} did not start`);
    return handle;
  };
  const containers = async (name: keyof typeof emulators): Promise<Container[]> => {
    const result = await get(`${emulator(name).url}/containers?limit=3000`, name === 'bad' ? badAuth : {});
    return (result.body.data as Container[]).map(({ name: n, state }) => ({ name: n, state })).sort((a, b) => a.name.localeCompare(b.name));
  };
  const cli = (args: string[]): Promise<CliResult> => runCli([...args, ...base], { cwd: ws.root });

  beforeAll(async () => {
    emulators.dev = await startTestEmulator();
    // the keys the config file gives for `bad` are not these: every request is refused with 401
    emulators.bad = await startTestEmulator({ accessKey: 'right-access', secretKey: 'right-secret' });
    emulators.prod = await startTestEmulator();
    ws = await makeWorkspace('rr-envs-');
    for (const name of ['dev', 'bad', 'prod']) await mkdir(join(ws.root, name));
    await writeManifestFile(join(ws.root, 'dev'), 'dev-web.yaml', [{ name: 'dev-web' }]);
    await writeManifestFile(join(ws.root, 'bad'), 'bad-web.yaml', [{ name: 'bad-web' }]);
    await writeManifestFile(join(ws.root, 'prod'), 'prod-web.yaml', [{ name: 'prod-web' }, { name: 'prod-api', description: 'api' }]);
    await writeFile(join(ws.root, 'bad-access'), 'wrong-access\n');
    await writeFile(join(ws.root, 'bad-secret'), 'wrong-secret\n');
    const config = [
      'environments:',
      '  - name: dev',
      `    url: ${emulator('dev').url}`,
      '    manifests: [dev]',
      '  - name: bad',
      `    url: ${emulator('bad').url}`,
      '    accessKeyFile: bad-access',
      '    secretKeyFile: bad-secret',
      '    manifests: [bad]',
      '  - name: prod',
      `    url: ${emulator('prod').url}`,
      '    manifests: [prod]',
      '',
    ].join('\n');
    await writeFile(join(ws.root, 'rr.yaml'), config);
    base = ['--config', join(ws.root, 'rr.yaml'), '--state-dir', ws.state, '--log-level', 'warn'];
  });

  afterAll(async () => {
    await Promise.all(Object.values(emulators).map((e) => e?.close()));
    await ws?.cleanup();
  });

  it('plan prints a section per environment in file order; the rejected keys are reported in theirs, exit 1', async () => {
    const planned = await cli(['plan']);
    expect(planned.code).toBe(1);
    const parts = sections(planned.stdout);
    expect(parts.map(([name]) => name)).toEqual(['dev', 'bad', 'prod']);
    expect(parts[0]?.[1]).toMatch(/^\+ dev-web: create/m);
    expect(parts[1]?.[1]).toBe('');
    expect(parts[2]?.[1]).toMatch(/^\+ prod-api: create/m);
    expect(parts[2]?.[1]).toMatch(/^\+ prod-web: create/m);
    expect(planned.stderr).toMatch(/^error: .*(401|authentic|Unauthorized)/im);
    expect(planned.stderr).toContain('error: 1 of 3 environments failed: bad\n');
  }, budgetMs);

  it('every log line of an environment carries its name', async () => {
    const planned = await runCli(['plan', ...base, '--log-level', 'debug', '--log-format', 'json'], { cwd: ws.root });
    const lines = planned.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { environment?: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(new Set(lines.map((line) => line.environment))).toEqual(new Set(['dev', 'bad', 'prod']));
  }, budgetMs);

  it('plan -o json prints one document with an entry per environment', async () => {
    const planned = await cli(['plan', '-o', 'json']);
    expect(planned.code).toBe(1);
    const document = JSON.parse(planned.stdout) as { environments: { name: string; changes?: { name: string }[]; problems?: string[]; error?: string }[] };
    expect(document.environments.map((e) => e.name)).toEqual(['dev', 'bad', 'prod']);
    const [dev, bad, prod] = document.environments;
    expect(dev?.changes?.map((c) => c.name)).toEqual(['dev-web']);
    expect(dev?.problems).toEqual([]);
    expect(bad?.error).toMatch(/401|authentic|Unauthorized/i);
    expect(bad?.changes).toBeUndefined();
    expect(prod?.changes?.map((c) => c.name).sort()).toEqual(['prod-api', 'prod-web']);
  }, budgetMs);

  it('plan --env dev works on dev only: its changes, exit 2', async () => {
    const planned = await cli(['plan', '--env', 'dev']);
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(2);
    expect(sections(planned.stdout).map(([name]) => name)).toEqual(['dev']);
  }, budgetMs);

  it('export refuses one --file for several environments, naming --env', async () => {
    const exported = await cli(['export', '--file', 'all.yaml']);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toMatch(/^error: --file all\.yaml is one file, but 3 environments are selected: choose one with --env NAME/m);
    expect(existsSync(join(ws.root, 'all.yaml'))).toBe(false);
  }, budgetMs);

  it('apply converges the two good environments and exits 1 naming the failing one; then plan --env dev,prod has nothing to do', async () => {
    const applied = await cli(['apply', '--timeout', String(applyTimeoutSec)]);
    expect(applied.code).toBe(1);
    const parts = sections(applied.stdout);
    expect(parts.map(([name]) => name)).toEqual(['dev', 'bad', 'prod']);
    expect(parts[0]?.[1]).toContain('1 instance: 1 in sync');
    expect(parts[2]?.[1]).toContain('2 instances: 2 in sync');
    expect(applied.stderr).toMatch(/^error: .*authentication failed, check the access and secret keys/m);
    expect(applied.stderr).toContain('error: 1 of 3 environments failed: bad\n');
    expect(await containers('dev')).toEqual([{ name: 'dev-web', state: 'running' }]);
    expect(await containers('prod')).toEqual([{ name: 'prod-api', state: 'running' }, { name: 'prod-web', state: 'running' }]);
    expect(await containers('bad')).toEqual([]);
    // each listed environment keeps its inventory in its own state folder
    expect(existsSync(join(ws.state, 'environments', 'dev', 'inventory.json'))).toBe(true);
    expect(existsSync(join(ws.state, 'environments', 'prod', 'inventory.json'))).toBe(true);

    const planned = await cli(['plan', '--env', 'dev,prod']);
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(0);
    expect(sections(planned.stdout).map(([name]) => name)).toEqual(['dev', 'prod']);
  }, 2 * budgetMs);

  it('export --output-dir writes a folder per environment; the failing one says so in its section', async () => {
    const exported = await cli(['export', '--output-dir', 'out']);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toMatch(/== environment dev ==\nexported 1 instance to out\/dev\n== environment bad ==\nerror: .*\n== environment prod ==\nexported 2 instances to out\/prod\n/);
    expect(exported.stderr).toContain('error: 1 of 3 environments failed: bad\n');
    expect(await readFile(join(ws.root, 'out', 'dev', 'dev-web.yaml'), 'utf8')).toMatch(/^ {2}name: dev-web$/m);
    expect(existsSync(join(ws.root, 'out', 'prod', 'prod-api.yaml'))).toBe(true);
    expect(existsSync(join(ws.root, 'out', 'bad'))).toBe(false);
  }, budgetMs);

  it('export --env dev writes into the folder dev reads by default', async () => {
    const exported = await cli(['export', '--env', 'dev', '--force']);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toBe('== environment dev ==\nexported 1 instance to dev\n');
    const text = await readFile(join(ws.root, 'dev', 'dev-web.yaml'), 'utf8');
    expect(text).toMatch(/^# yaml-language-server: \$schema=/);
    expect(text).toMatch(/^ {2}name: dev-web$/m);
  }, budgetMs);
});
