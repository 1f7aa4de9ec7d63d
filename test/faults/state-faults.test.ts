import { afterAll, describe, expect, it } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mutationCount, startTestEmulator } from '../helpers/emulator.js';
import { runCli } from '../helpers/cli.js';
import { checkOutcome, createUnmanaged, listContainers } from '../helpers/fault-checks.js';
import { FaultReport } from '../helpers/fault-report.js';
import { makeWorkspace, names, writeManifestFile } from '../helpers/manifest-tree.js';

const report = new FaultReport({ title: 'State faults: lost inventory, instances stuck in error', file: fileURLToPath(new URL('../../.ci/out/faults-state.json', import.meta.url)) });

const mutations = mutationCount;

describe('state faults', () => {
  afterAll(async () => {
    await report.publish();
  });

  it('inventory file deleted between runs: re-adopts by name with no mutation, prunes nothing it no longer knows', async () => {
    const emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    const ws = await makeWorkspace('rr-faults-state-');
    try {
      const keys = names('inv', 30);
      await writeManifestFile(ws.manifests, 'a.yaml', keys.slice(0, 20).map((name) => ({ name, restartToken: 't1' })));
      await writeManifestFile(ws.manifests, 'b.yaml', keys.slice(20).map((name) => ({ name })));
      const unmanaged = [await createUnmanaged(emu, 'hand-made')];
      const args = ['apply', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '1000', '--log-level', 'silent', '--timeout', '30'];
      expect((await runCli(args, { cwd: ws.root })).code).toBe(0);
      // the state is lost, and in the same change b.yaml is deleted: its 10 instances are unknown to the new inventory
      await rm(join(ws.state, 'inventory.json'));
      await rm(join(ws.manifests, 'b.yaml'));
      emu.resetCounters();
      const second = await runCli([...args, '--prune'], { cwd: ws.root });
      const changed = mutations(emu.counters());
      const kept = await checkOutcome(emu, keys, unmanaged);
      report.add({
        trial: 'state 1',
        faults: 'inventory.json deleted + b.yaml (10 instances) deleted, apply --prune',
        instances: 30,
        outcome: second.code === 0 && changed === 0 && kept.exactlyOne === 30 ? 'converged: 20 re-adopted, 10 kept (unknown), 0 mutations' : `NOT as expected: exit ${second.code}, ${changed} mutations, ${JSON.stringify(kept).slice(0, 160)}`,
        detail: `${emu.counters()['total'] ?? 0} requests`,
      });
      expect(second.code).toBe(0);
      expect(changed).toBe(0);
      // every instance still there exactly once (nothing restarted for the token, nothing pruned), hand-made untouched
      expect(kept).toEqual({ exactlyOne: 30, missing: [], duplicated: [], wrongState: [], unmanagedTouched: [] });
    } finally {
      await emu.close();
      await ws.cleanup();
    }
  });

  it('instances stuck in error: reported as not converged (exit 1), never duplicated or replaced', async () => {
    const broken = 'docker:broken:1.0';
    const emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10, faults: { failStartImages: [broken] } });
    const ws = await makeWorkspace('rr-faults-state-');
    try {
      const good = names('ok', 20);
      const bad = names('bad', 3);
      await writeManifestFile(ws.manifests, 'a.yaml', [...good.map((name) => ({ name })), ...bad.map((name) => ({ name, image: broken }))]);
      const unmanaged = [await createUnmanaged(emu, 'hand-made')];
      const args = ['apply', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '1000', '--log-level', 'silent', '--timeout', '30'];
      const first = await runCli(args, { cwd: ws.root });
      const second = await runCli(args, { cwd: ws.root });
      const outcome = await checkOutcome(emu, [...good, ...bad], unmanaged, { stateExceptions: new Set(bad) });
      const states = (await listContainers(emu)).filter((c) => c.name?.startsWith('bad-')).map((c) => c.state);
      const creates = emu.counters()['POST /v1/containers'] ?? 0;
      const starts = emu.counters()['POST /v1/containers/:id?action=start'] ?? 0;
      const asExpected = first.code === 1 && second.code === 1 && outcome.exactlyOne === 23 && creates === 24;
      report.add({
        trial: 'state 2',
        faults: `failStartImages ${broken} for 3 of 23 instances, apply twice`,
        instances: 23,
        outcome: asExpected ? `20 converged; 3 stuck in error, reported (exit 1), one container each` : `NOT as expected: exits ${first.code},${second.code}, ${JSON.stringify(outcome).slice(0, 160)}`,
        detail: `broken states ${[...new Set(states)].join('/')}, ${creates - 1} creates, ${starts} start retries`,
      });
      expect([first.code, second.code]).toEqual([1, 1]);
      expect(first.stdout).toMatch(/bad-000 +\S+ +(blocked|failed)/);
      expect(outcome).toEqual({ exactlyOne: 23, missing: [], duplicated: [], wrongState: [], unmanagedTouched: [] });
      // one create per name across both runs (plus the hand-made one): an errored instance is never replaced
      expect(creates).toBe(24);
    } finally {
      await emu.close();
      await ws.cleanup();
    }
  });
});
