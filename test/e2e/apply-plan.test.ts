import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { get, mutationCount, post, startTestEmulator } from '../helpers/emulator.js';
import { runCli } from '../helpers/cli.js';
import { makeWorkspace, names, writeManifestFile } from '../helpers/manifest-tree.js';

type Container = { id: string; name: string; state: string; description: string | null };

async function listAll(emu: EmulatorHandle): Promise<Container[]> {
  const result = await get(`${emu.url}/containers?limit=3000`);
  return result.body.data as Container[];
}

function countOf(emu: EmulatorHandle, key: string): number {
  return emu.counters()[key] ?? 0;
}

const mutations = (emu: EmulatorHandle): number => mutationCount(emu.counters());

/** `--timeout` of every apply run here (the 600 s default is far beyond any jest timeout). */
const applyTimeoutSec = 60;
/** Jest timeout of a test with `applies` apply runs in sequence, plus plan runs and checks on a loaded machine. */
const budget = (applies: number): number => applies * applyTimeoutSec * 1000 + 60_000;

describe('apply and plan against the emulator', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  const keys = names('app', 200);
  let args: string[];
  let applyArgs: string[];

  beforeAll(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace();
    for (let f = 0; f < 20; f++) {
      await writeManifestFile(ws.manifests, `group-${f}.yaml`, keys.slice(f * 10, f * 10 + 10).map((name) => ({ name, description: `d-${name}` })));
    }
    args = ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '1000', '--concurrency', '16', '--log-level', 'warn'];
    applyArgs = [...args, '--timeout', String(applyTimeoutSec)];
  });

  afterAll(async () => {
    await emu.close();
    await ws.cleanup();
  });

  it('converges 200 manifests with apply, then plan reports no changes', async () => {
    const applied = await runCli(['apply', ...applyArgs], { cwd: ws.root });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('200 instances: 200 in sync');
    // not a terminal: one plain line per action instead of a progress bar
    expect(applied.stdout).toMatch(/^app-000: create 'app-000' \(started\)$/m);
    expect(applied.stdout).toMatch(/^NAME +ID +PHASE +REASON +MESSAGE$/m);
    const live = await listAll(emu);
    expect(live.map((c) => c.name).sort()).toEqual(keys);
    expect(live.every((c) => c.state === 'running')).toBe(true);
    expect(countOf(emu, 'POST /v1/containers')).toBe(200);

    const planned = await runCli(['plan', ...args], { cwd: ws.root });
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('0 to create, 0 to update, 0 to start, 0 to stop, 0 to restart, 0 to remove');
  }, budget(1));

  it('plans a description change (exit 2), then applies it with exactly one PUT', async () => {
    await writeManifestFile(ws.manifests, 'group-0.yaml', keys.slice(0, 10).map((name, i) => ({ name, description: i === 3 ? 'changed' : `d-${name}` })));
    const planned = await runCli(['plan', ...args, '--output', 'json'], { cwd: ws.root });
    expect(planned.code).toBe(2);
    const report = JSON.parse(planned.stdout);
    expect(report.changes).toEqual([
      expect.objectContaining({ name: 'app-003', action: 'update', fields: [{ field: 'description', from: 'd-app-003', to: 'changed' }] }),
    ]);
    const text = await runCli(['plan', ...args], { cwd: ws.root });
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^~ app-003: update 1i\d+ \(description\)\n {4}description: 'd-app-003' -> 'changed'\n/);
    expect(text.stdout).toContain('0 to create, 1 to update, 0 to start');
    emu.resetCounters();
    const applied = await runCli(['apply', ...applyArgs], { cwd: ws.root });
    expect(applied.code).toBe(0);
    expect(countOf(emu, 'PUT /v1/containers/:id')).toBe(1);
    expect(mutations(emu)).toBe(1);
    const live = await listAll(emu);
    expect(live.find((c) => c.name === 'app-003')?.description).toBe('changed');
  }, budget(1));

  it('restarts exactly once per new restartToken, also across processes', async () => {
    await writeManifestFile(ws.manifests, 'group-1.yaml', keys.slice(10, 20).map((name, i) => ({ name, description: `d-${name}`, ...(i === 0 ? { restartToken: 'r1' } : {}) })));
    emu.resetCounters();
    expect((await runCli(['apply', ...applyArgs], { cwd: ws.root })).code).toBe(0);
    expect(countOf(emu, 'POST /v1/containers/:id?action=restart')).toBe(1);
    expect(mutations(emu)).toBe(1);
    emu.resetCounters();
    expect((await runCli(['apply', ...applyArgs], { cwd: ws.root })).code).toBe(0);
    expect(mutations(emu)).toBe(0);
  }, budget(2));

  it('never touches an unmanaged container with an undeclared name', async () => {
    const created = await post(`${emu.url}/containers`, { name: 'hand-made', imageUuid: 'docker:busybox:1.36' });
    expect(created.status).toBe(201);
    emu.resetCounters();
    expect((await runCli(['apply', ...applyArgs, '--prune'], { cwd: ws.root })).code).toBe(0);
    expect(mutations(emu)).toBe(0);
    const live = await listAll(emu);
    expect(live.filter((c) => c.name === 'hand-made')).toHaveLength(1);
  }, budget(1));

  it('with --prune removes exactly the instances of a deleted file', async () => {
    await rm(join(ws.manifests, 'group-19.yaml'));
    emu.resetCounters();
    const applied = await runCli(['apply', ...applyArgs, '--prune'], { cwd: ws.root });
    expect(applied.code).toBe(0);
    const live = await listAll(emu);
    expect(live.map((c) => c.name).filter((n) => n.startsWith('app-')).sort()).toEqual(keys.slice(0, 190));
    expect(countOf(emu, 'POST /v1/containers/:id?action=stop')).toBe(10);
    expect(mutations(emu)).toBe(10);
  }, budget(1));

  it('deleting every file removes nothing and says why', async () => {
    for (let f = 0; f < 19; f++) await rm(join(ws.manifests, `group-${f}.yaml`));
    emu.resetCounters();
    const applied = await runCli(['apply', ...applyArgs, '--prune'], { cwd: ws.root });
    expect(applied.code).toBe(1);
    // it settled on the refusal: not the --timeout ending (which the 600 s default used to leave to jest)
    expect(applied.stderr).not.toContain('not converged within');
    expect(applied.stdout).toContain('OverDeleteBudget');
    expect(applied.stdout).toContain('delete budget');
    expect(mutations(emu)).toBe(0);
    expect((await listAll(emu)).filter((c) => c.name.startsWith('app-'))).toHaveLength(190);
  }, budget(1));
});

describe('plan on an invalid tree', () => {
  it('exits 1 and lists every manifest problem, even when nothing would change', async () => {
    const emu = await startTestEmulator();
    const ws = await makeWorkspace();
    try {
      await writeManifestFile(ws.manifests, 'a.yaml', [{ name: 'web-1', extra: '  imgeUuid: docker:typo' }]);
      const result = await runCli(['plan', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--output', 'json', '--log-level', 'silent'], { cwd: ws.root });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/a\.yaml:\d+:\d+: spec\.imgeUuid: unknown field/);
      const report = JSON.parse(result.stdout);
      expect(report.complete).toBe(false);
      expect(report.issues).toEqual([expect.stringMatching(/spec\.imgeUuid: unknown field/)]);
    } finally {
      await emu.close();
      await ws.cleanup();
    }
  });
});

describe('apply ends early and clearly', () => {
  it('exits 1 at once on a 401, saying the credentials are wrong', async () => {
    const emu = await startTestEmulator({ accessKey: 'ak', secretKey: 'right-secret' });
    const ws = await makeWorkspace();
    try {
      await writeManifestFile(ws.manifests, 'a.yaml', [{ name: 'web-1' }]);
      const result = await runCli(['apply', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--access-key', 'ak', '--secret-key', 'wrong-secret', '--log-level', 'silent'], { cwd: ws.root });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('401');
      expect(result.stderr).toContain('authentication failed');
      expect(result.stderr + result.stdout).not.toContain('wrong-secret');
      expect(emu.counters()['POST /v1/containers'] ?? 0).toBe(0);
    } finally {
      await emu.close();
      await ws.cleanup();
    }
  });

  it('exits 1 after --timeout when Rancher cannot be reached', async () => {
    const emu = await startTestEmulator();
    const url = emu.url;
    await emu.close(); // nothing listens on that port any more
    const ws = await makeWorkspace();
    try {
      await writeManifestFile(ws.manifests, 'a.yaml', [{ name: 'web-1' }]);
      const result = await runCli(['apply', '--url', url, '--manifests', ws.manifests, '--state-dir', ws.state, '--timeout', '1', '--log-level', 'silent'], { cwd: ws.root });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('not converged within 1s (--timeout)');
    } finally {
      await ws.cleanup();
    }
  });
});
