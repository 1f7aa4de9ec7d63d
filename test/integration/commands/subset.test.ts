/**
 * `plan` and `apply` on a subset (`--only`, `--selector`) against the emulator over HTTP: only the
 * subset is planned and acted on (the emulator's counters say which calls arrived), an orphan outside
 * it is never pruned, one named in `--only` is, and a key rename across the subset's edge does not move.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { runCli } from '../../helpers/cli.js';
import { get, mutationCount, put, startTestEmulator } from '../../helpers/emulator.js';
import { makeWorkspace, writeManifestFile, type InstanceDoc } from '../../helpers/manifest-tree.js';

type Container = { id: string; name: string; state: string; description: string | null };

const applyTimeoutSec = 60;
const budget = (applies: number): number => applies * applyTimeoutSec * 1000 + 60_000;

const labelled = (name: string, tier?: string): InstanceDoc => ({ name, description: `d-${name}`, ...(tier === undefined ? {} : { extra: `  labels:\n    tier: ${tier}` }) });

describe('plan and apply on a subset', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let args: string[];

  const live = async (): Promise<Container[]> => ((await get(`${emu.url}/containers?limit=3000`)).body.data as Container[]).filter((c) => c.state !== 'removed');
  const described = async (): Promise<Record<string, string | null>> => Object.fromEntries((await live()).map((c) => [c.name, c.description]));
  const cli = (command: 'plan' | 'apply', extra: string[]): ReturnType<typeof runCli> =>
    runCli([command, ...args, ...(command === 'apply' ? ['--timeout', String(applyTimeoutSec)] : []), ...extra], { cwd: ws.root });
  const mutations = (): number => mutationCount(emu.counters());

  beforeAll(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-subset-');
    args = ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '1000', '--log-level', 'warn'];
    await writeManifestFile(ws.manifests, 'web.yaml', [labelled('web-1', 'web'), labelled('web-2', 'web')]);
    await writeManifestFile(ws.manifests, 'db.yaml', [labelled('db-1', 'db')]);
    await writeManifestFile(ws.manifests, 'worker.yaml', [labelled('worker-1')]);
    await writeManifestFile(ws.manifests, 'old.yaml', [labelled('old-1'), labelled('old-2')]);
    const setup = await cli('apply', []);
    expect({ code: setup.code, stderr: setup.stderr }).toEqual({ code: 0, stderr: '' });
    // two orphans (owned, manifest gone) and live drift on three instances
    await rm(join(ws.manifests, 'old.yaml'));
    for (const c of (await live()).filter((c) => ['web-1', 'web-2', 'db-1'].includes(c.name))) {
      expect((await put(`${emu.url}/containers/${c.id}`, { description: 'drifted' })).status).toBe(200);
    }
  }, budget(1));

  afterAll(async () => {
    await emu?.close();
    await ws?.cleanup();
  });

  it('plan --only lists only the named instance and says how many it left out', async () => {
    const json = await cli('plan', ['--only', 'web-1', '--prune', '--output', 'json']);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout);
    expect(report.changes.map((c: { name: string; action: string }) => `${c.name} ${c.action}`)).toEqual(['web-1 update']);
    expect(report.subset).toEqual({ only: ['web-1'], selector: null, selected: 1, leftOut: 5 });
    const text = await cli('plan', ['--only', 'web-1', '--prune']);
    expect(text.stdout).toMatch(/^~ web-1: update 1i\d+ \(description\)$/m);
    expect(text.stdout).not.toMatch(/web-2|db-1|old-/);
    expect(text.stdout).toContain('5 instances outside --only web-1: not planned.\n');
  });

  it('apply --selector acts only on the matching instances and prunes no orphan', async () => {
    emu.resetCounters();
    const applied = await cli('apply', ['--selector', 'tier=web', '--prune']);
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });
    expect(applied.stdout).toContain('4 instances outside --selector tier=web: not applied.');
    expect(emu.counters()['PUT /v1/containers/:id']).toBe(2);
    expect(mutations()).toBe(2);
    expect(await described()).toEqual({ 'web-1': 'd-web-1', 'web-2': 'd-web-2', 'db-1': 'drifted', 'worker-1': 'd-worker-1', 'old-1': 'd-old-1', 'old-2': 'd-old-2' });
  }, budget(1));

  it('apply --prune --only an orphan removes that orphan and nothing else', async () => {
    emu.resetCounters();
    const applied = await cli('apply', ['--only', 'old-1', '--prune']);
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });
    expect(emu.counters()['POST /v1/containers/:id?action=stop']).toBe(1);
    expect(mutations()).toBe(1);
    expect(Object.keys(await described()).sort()).toEqual(['db-1', 'old-2', 'web-1', 'web-2', 'worker-1']);
    expect((await described())['db-1']).toBe('drifted');
  }, budget(1));

  it('an --only name nothing declares or owns is a usage error, planned or applied', async () => {
    emu.resetCounters();
    for (const command of ['plan', 'apply'] as const) {
      const result = await cli(command, ['--only', 'db-1,wbe-1,nope']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('error: --only: no declared or owned instance has the key or Rancher name `wbe-1`, `nope` (names are matched exactly)\n');
      expect(result.stdout).toBe('');
    }
    expect(mutations()).toBe(0);
  }, budget(1));

  it('a selector that matches nothing says so and exits 0, planned or applied', async () => {
    const planned = await cli('plan', ['--selector', 'tier=cache']);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('No instance matches --selector tier=cache (5 instances outside it: not planned).');
    emu.resetCounters();
    const applied = await cli('apply', ['--selector', 'tier=cache', '--prune']);
    expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });
    expect(applied.stdout).toContain('No instance matches --selector tier=cache (5 instances outside it: not applied).');
    expect(mutations()).toBe(0);
  }, budget(1));

  it('a key rename across the edge of the subset does not move; with both keys named it does', async () => {
    // web-2 is renamed to web-2b (same Rancher name): the container moves only when both keys are in the run
    await writeManifestFile(ws.manifests, 'web.yaml', [labelled('web-1', 'web'), { ...labelled('web-2b', 'web'), description: 'd-web-2', extra: '  name: web-2\n  labels:\n    tier: web' }]);
    const outside = await cli('plan', ['--selector', 'tier=web', '--output', 'json']);
    expect(outside.code).toBe(1);
    expect(JSON.parse(outside.stdout).changes).toEqual([expect.objectContaining({ name: 'web-2b', plan: 'blocked', reason: expect.stringContaining('owned by "web-2", whose manifest is gone: a rename moves it only when both keys are in the run (add "web-2" to --only)') })]);
    emu.resetCounters();
    const refused = await cli('apply', ['--only', 'web-2b']);
    expect(refused.code).toBe(1);
    expect(mutations()).toBe(0);
    const both = await cli('plan', ['--only', 'web-2b,web-2', '--output', 'json']);
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout).changes).toEqual([expect.objectContaining({ name: 'web-2b', steps: [expect.objectContaining({ action: 'move' })] })]);
  }, budget(1));
});
