import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mutationCount, startTestEmulator } from '../helpers/emulator.js';
import { runCli } from '../helpers/cli.js';
import { checkOutcome, createUnmanaged, listContainers } from '../helpers/fault-checks.js';
import { FaultReport } from '../helpers/fault-report.js';
import { makeWorkspace, names, writeManifestFile } from '../helpers/manifest-tree.js';
import { TrialGuard } from '../helpers/trial-guard.js';

const report = new FaultReport({ title: 'State faults: lost inventory, instances stuck in error', file: fileURLToPath(new URL('../../.ci/out/faults-state.json', import.meta.url)) });

const mutations = mutationCount;
/** The `--timeout` of each apply run; each test runs two in sequence. */
const applyTimeoutSec = 30;
/** Two apply runs of up to `applyTimeoutSec` each, plus set-up and checks on a loaded machine. */
const testTimeoutMs = 2 * applyTimeoutSec * 1000 + 60_000;
const guard = new TrialGuard();

describe('state faults', () => {
  afterAll(async () => {
    await report.publish();
  });
  // after a jest timeout: interrupt the test's in-process apply and wait for its body before the next test
  afterEach(() => guard.settle(), 30_000);

  it('inventory file deleted between runs: what we created is owned again by its labels; over budget nothing is removed; a hand-made container is never touched', () => guard.run(async (signal) => {
    const emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    const ws = await makeWorkspace('rr-faults-state-');
    try {
      const keys = names('inv', 30);
      await writeManifestFile(ws.manifests, 'a.yaml', keys.slice(0, 20).map((name) => ({ name, restartToken: 't1' })));
      await writeManifestFile(ws.manifests, 'b.yaml', keys.slice(20).map((name) => ({ name })));
      const unmanaged = [await createUnmanaged(emu, 'hand-made')];
      const args = ['apply', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '1000', '--log-level', 'silent', '--timeout', String(applyTimeoutSec)];
      expect((await runCli(args, { cwd: ws.root, signal })).code).toBe(0);
      // the state is lost, and in the same change b.yaml is deleted: the new inventory knows none of its 10
      // instances, but their labels say we created them: they are orphans again, and 10 is over the budget (7)
      await rm(join(ws.state, 'inventory.json'));
      await rm(join(ws.manifests, 'b.yaml'));
      emu.resetCounters();
      const second = await runCli([...args, '--prune'], { cwd: ws.root, signal });
      const changed = mutations(emu.counters());
      const kept = await checkOutcome(emu, keys, unmanaged);
      report.add({
        trial: 'state 1',
        faults: 'inventory.json deleted + b.yaml (10 instances) deleted, apply --prune',
        instances: 30,
        outcome: second.code === 1 && changed === 0 && kept.exactlyOne === 30 ? 'as expected: 20 owned again, 10 orphans over budget (kept), 0 mutations' : `NOT as expected: exit ${second.code}, ${changed} mutations, ${JSON.stringify(kept).slice(0, 160)}`,
        detail: `${emu.counters()['total'] ?? 0} requests`,
      });
      // apply exits 1: the revision's removals are refused (OverDeleteBudget), and nothing was touched
      expect(second.code).toBe(1);
      expect(second.stdout).toMatch(/inv-020 +1i\d+ +blocked +OverDeleteBudget/);
      expect(changed).toBe(0);
      // every instance still there exactly once (nothing restarted for the token, nothing pruned), hand-made untouched
      expect(kept).toEqual({ exactlyOne: 30, missing: [], duplicated: [], wrongState: [], unmanagedTouched: [] });
      // within the budget the recovered orphans are pruned; the hand-made container still is not
      emu.resetCounters();
      const third = await runCli([...args, '--prune', '--max-delete', '10'], { cwd: ws.root, signal });
      expect(third.code).toBe(0);
      const after = await checkOutcome(emu, keys.slice(0, 20), unmanaged);
      expect(after).toMatchObject({ exactlyOne: 20, unmanagedTouched: [] });
      expect(emu.counters()['POST /v1/containers/:id?action=stop'] ?? 0).toBe(10);
    } finally {
      await emu.close();
      await ws.cleanup();
    }
  }), testTimeoutMs);

  it('instances stuck in error: reported as not converged (exit 1), never duplicated or replaced', () => guard.run(async (signal) => {
    const broken = 'docker:broken:1.0';
    const emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10, faults: { failStartImages: [broken] } });
    const ws = await makeWorkspace('rr-faults-state-');
    try {
      const good = names('ok', 20);
      const bad = names('bad', 3);
      await writeManifestFile(ws.manifests, 'a.yaml', [...good.map((name) => ({ name })), ...bad.map((name) => ({ name, image: broken }))]);
      const unmanaged = [await createUnmanaged(emu, 'hand-made')];
      const args = ['apply', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '1000', '--log-level', 'silent', '--timeout', String(applyTimeoutSec)];
      const first = await runCli(args, { cwd: ws.root, signal });
      const second = await runCli(args, { cwd: ws.root, signal });
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
  }), testTimeoutMs);
});
