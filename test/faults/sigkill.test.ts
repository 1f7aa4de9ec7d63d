import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { startTestEmulator, whenCounted } from '../helpers/emulator.js';
import { spawnCli, stopCli } from '../helpers/cli.js';
import { checkOutcome, createUnmanaged, seededRandom, type ContainerView } from '../helpers/fault-checks.js';
import { FaultReport } from '../helpers/fault-report.js';
import { makeWorkspace, names, writeManifestFile } from '../helpers/manifest-tree.js';
import { TrialGuard } from '../helpers/trial-guard.js';

/** Change it to replay another schedule; every kill time derives from it. */
const seed = 20261127;
/** Trial 1 converges 300 instances; the other 19 use 60 each to keep the suite near a minute on 2 cores. */
const trials = Array.from({ length: 20 }, (_, i) => ({ trial: i + 1, instances: i === 0 ? 300 : 60 }));
const report = new FaultReport({ title: `SIGKILL during converge (seed ${seed})`, file: fileURLToPath(new URL('../../.ci/out/faults-sigkill.json', import.meta.url)) });
const random = seededRandom(seed);
// drawn up front so that each trial's kill point depends only on the seed and its index
const killFractions = trials.map(() => random());
/** The `--timeout` of each apply run; a trial runs two of them in sequence. */
const applyTimeoutSec = 60;
/**
 * Two apply runs of up to `applyTimeoutSec` each, plus spawn, emulator and check time on a loaded machine:
 * a trial that jest times out must not still be running when the next one starts (see TrialGuard).
 */
const trialTimeoutMs = 2 * applyTimeoutSec * 1000 + 60_000;
const guard = new TrialGuard();

type Workspace = Awaited<ReturnType<typeof makeWorkspace>>;

function applyArgs(emu: EmulatorHandle, ws: Workspace): string[] {
  return ['apply', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '2000', '--concurrency', '16', '--log-level', 'warn', '--timeout', String(applyTimeoutSec)];
}

describe(`the reconciler SIGKILLed at a random moment of a converge, then restarted (seed ${seed})`, () => {
  afterAll(async () => {
    await report.publish();
  });
  // after a jest timeout: kill the trial's processes and wait for its body before the next trial starts
  afterEach(() => guard.settle(), 30_000);

  it.each(trials)('trial $trial ($instances instances): one container per name, unmanaged untouched', ({ trial, instances }) => guard.run(async () => {
    const emu = await startTestEmulator({ transitionMs: 15, eventCoalesceMs: 15 });
    const ws = await makeWorkspace('rr-faults-kill-');
    const spawned: ReturnType<typeof spawnCli>[] = [];
    try {
      const keys = names(`k${trial}`, instances);
      for (let f = 0; f * 20 < instances; f++) await writeManifestFile(ws.manifests, `g-${f}.yaml`, keys.slice(f * 20, f * 20 + 20).map((name) => ({ name })));
      const unmanaged: ContainerView[] = [await createUnmanaged(emu, 'hand-made')];
      // the kill point: after a seeded number of creates (0 = during start-up, before any), while the rest are in flight
      const killAfter = Math.floor(killFractions[trial - 1]! * instances);
      const first = spawnCli(applyArgs(emu, ws), { cwd: ws.root });
      spawned.push(first);
      await whenCounted(emu, 'POST /v1/containers', killAfter + 1, first.exited); // +1: the hand-made container's POST
      const firstCode = await stopCli(first);
      const createdBeforeKill = emu.counters()['POST /v1/containers'] ?? 0;
      const second = spawnCli(applyArgs(emu, ws), { cwd: ws.root });
      spawned.push(second);
      const secondCode = await second.exited;
      const outcome = await checkOutcome(emu, keys, unmanaged);
      const creates = emu.counters()['POST /v1/containers'] ?? 0;
      const converged = secondCode === 0 && outcome.exactlyOne === instances && outcome.wrongState.length === 0 && outcome.unmanagedTouched.length === 0;
      report.add({
        trial: `kill ${trial}`,
        faults: `SIGKILL after ${killAfter} creates${firstCode === 0 ? ' (too late: first run had finished)' : ''}`,
        instances,
        outcome: converged ? 'converged' : `NOT converged: exit ${secondCode}, ${JSON.stringify(outcome).slice(0, 200)}`,
        detail: `${createdBeforeKill - 1} created before the kill, ${creates - 1} creates in all`,
      });
      expect(secondCode === 0 ? '' : second.stderr().slice(-1000)).toBe('');
      expect(outcome).toEqual({ exactlyOne: instances, missing: [], duplicated: [], wrongState: [], unmanagedTouched: [] });
      // one POST per instance plus the hand-made one: a create is never repeated across the restart
      expect(creates).toBe(instances + 1);
    } finally {
      // a failed trial leaves no process behind: each one is killed and reaped before the emulator closes
      await Promise.all(spawned.map((cli) => stopCli(cli)));
      await emu.close();
      await ws.cleanup();
    }
  }), trialTimeoutMs);
});
