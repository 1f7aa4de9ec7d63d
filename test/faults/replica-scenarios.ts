/**
 * Issue 16's replica faults, one body for both shared stores (replicas-mysql.test.ts and
 * replicas-etcd.test.ts): real replica processes (test/helpers/replicas.ts) against one emulator in this
 * process, whose request log names the replica of every mutation (its User-Agent) with its arrival time.
 * Moments are awaited in that log (a count of creates, a replica's first mutation) or in `/status`;
 * the only waits of a fixed length are fault durations (the 30 s SIGSTOP). Measured failover times go
 * to the report; the assertions bound them generously, for a loaded machine.
 *
 * Timings and sizes: the SIGKILL trials use the daemon's default lease (15 s lease, 10 s renew deadline,
 * 2 s retry: "a standby takes over within 15 s") and the 300 instances the issue asks for; so does the
 * SIGTERM trial's lease (a clean stop must hand over within 2 s with the defaults, not with a short retry
 * period). The SIGSTOP and database-cut trials prove orderings, not durations of the defaults: zero
 * mutations from the frozen leader after its lease moved (it sits out 30 s, several leases), and the cut
 * leader's last mutation within its renew deadline and before the other's first; they run with a shorter
 * lease (`shortLease`: 8 s lease, 5 s renew deadline, 1 s retry; the 3 s between a cut leader's fence
 * and the lease's expiry stay) and 120 instances, which saves CI time and proves the same. Restarts:
 * strictly at most one per container and token; one not sent when its leader died must be reported by
 * the new leader's `/status` as not confirmed, at most `--concurrency` of them per kill.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { post, startTestEmulator } from '../helpers/emulator.js';
import { checkOutcome, listContainers, type Outcome } from '../helpers/fault-checks.js';
import { FaultReport } from '../helpers/fault-report.js';
import { makeWorkspace, names, writeManifestFile } from '../helpers/manifest-tree.js';
import { actionsPerContainer, countBy, mutations, mutationsFrom, whenMutation, type Mutation } from '../helpers/replica-log.js';
import { ReplicaSet, type EnvironmentView, type Replica } from '../helpers/replicas.js';
import { engineInstalled, startSharedStore, type Backend, type SharedStore } from '../helpers/shared-store.js';
import { TrialGuard } from '../helpers/trial-guard.js';
import { until } from '../helpers/until.js';

/** Lease settings of a trial: the flags given to every replica. */
type Lease = Readonly<{ leaseMs: number; renewDeadlineMs: number; retryPeriodMs: number }>;
/** controller-runtime's defaults, which the daemon uses unless told otherwise (leader/elector.ts). */
const defaultLease: Lease = { leaseMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
/** For the trials that prove an ordering rather than the defaults' durations (see the file's doc). */
const shortLease: Lease = { leaseMs: 8_000, renewDeadlineMs: 5_000, retryPeriodMs: 1_000 };
const leaseArgs = (l: Lease): string[] => ['--lease-duration', `${l.leaseMs}ms`, '--renew-deadline', `${l.renewDeadlineMs}ms`, '--retry-period', `${l.retryPeriodMs}ms`];
/** Kill to the new leader's first mutation: the lease (15 s) plus a generous margin for a loaded machine. */
const takeoverBoundMs = 45_000;
/** SIGTERM to the other replica's role `leader`: the 2 s plus generous slack for a loaded machine. */
const handoverBoundMs = 6_000;
/** SIGTERM to the other replica's first mutation (the role, then its reload of records and a fresh list). */
const firstMutationBoundMs = 10_000;
/** After a cut, the last mutation of the cut replica arrives within the renew deadline plus this. */
const fenceSlackMs = 3_000;
/** The daemon's --concurrency in the SIGKILL trials (its default): at most this many restarts in flight at a kill. */
const concurrency = 8;
/** One deadline for each awaited event (a replica starting, a takeover, a converge of what is left). */
const eventMs = 120_000;

type Trial = Readonly<{ emu: EmulatorHandle; store: SharedStore; set: ReplicaSet; keys: string[]; manifests: string }>;

type TrialOptions = Readonly<{ replicas: number; qps: number; instances: number; lease: Lease; extraArgs?: readonly string[] }>;

async function withTrial(backend: Backend, options: TrialOptions, body: (trial: Trial) => Promise<void>): Promise<void> {
  const started = await startSharedStore(backend);
  if ('unavailable' in started) throw new Error(`${backend} became unavailable: ${started.unavailable}`);
  const store = started;
  const emu = await startTestEmulator({ transitionMs: 15, eventCoalesceMs: 15 });
  const ws = await makeWorkspace(`rr-faults-replicas-${backend}-`);
  const extraArgs = [...leaseArgs(options.lease), ...(options.extraArgs ?? [])];
  const set = new ReplicaSet({ emu, store, root: ws.root, manifests: ws.manifests, qps: options.qps, extraArgs });
  try {
    const keys = names('r', options.instances);
    await writeTokens(ws.manifests, keys, 't1');
    await Promise.all(Array.from({ length: options.replicas }, (_, i) => set.spawn(`r${i + 1}`)));
    await body({ emu, store, set, keys, manifests: ws.manifests });
  } finally {
    // a failed trial leaves no process behind: each one is killed and reaped before the engines close
    await set.stop();
    await emu.close();
    await store.stop();
    await ws.cleanup();
  }
}

/** The manifests: `keys` in files of 20, every instance with restart token `token`. */
async function writeTokens(manifests: string, keys: readonly string[], token: string): Promise<void> {
  for (let f = 0; f * 20 < keys.length; f++) await writeManifestFile(manifests, `g-${f}.yaml`, keys.slice(f * 20, f * 20 + 20).map((name) => ({ name, restartToken: token })));
}

const isCreate = (m: Mutation): boolean => m.method === 'POST' && m.action === null && m.path === '/v1/containers';

/** Resolves once `count` creates (by any replica) have reached the emulator; answers how many there are then. */
async function afterCreates(emu: EmulatorHandle, count: number): Promise<number> {
  let seen = 0;
  await whenMutation(emu, (m) => isCreate(m) && ++seen >= count, { timeoutMs: eventMs, what: `create number ${count}` });
  return mutations(emu).filter(isCreate).length;
}

/** Waits until every declared name exists, each in `running` (the converge completed), and returns the outcome. */
async function converged(emu: EmulatorHandle, keys: readonly string[]): Promise<Outcome> {
  return until(() => checkOutcome(emu, keys, []), (o) => o.missing.length === 0 && o.wrongState.length === 0, 3 * eventMs);
}

/** The first mutation after `at` by a replica other than `old`. */
function firstMutationOfOthers(emu: EmulatorHandle, old: Replica, at: number, what: string): Promise<Mutation> {
  return whenMutation(emu, (m) => m.replica !== null && m.replica !== old.id && m.at >= at, { timeoutMs: eventMs, what });
}

const oneEach = (instances: number): Outcome => ({ exactlyOne: instances, missing: [], duplicated: [], wrongState: [], unmanagedTouched: [] });

/** Ms from `at` until the running replicas agree on one leader (polled in `/status`, to within 250 ms). */
async function leaderSeenAfter(set: ReplicaSet, at: number): Promise<number> {
  await set.oneLeader(eventMs);
  return Date.now() - at;
}

/** The ISO `time` of `replica`'s last log line `msg` as epoch ms, or undefined when it has not logged it. */
function loggedAt(set: ReplicaSet, replica: Replica, msg: string): number | undefined {
  const time = set.logged(replica, msg).at(-1)?.['time'];
  return typeof time === 'string' ? Date.parse(time) : undefined;
}

/**
 * After the restart phase settled on `leader`: each container restarted at most once (strict), and every
 * one not restarted is one the daemon reports as not confirmed in `/status` (a restart recorded but maybe
 * not sent when the leader died: "change restartToken again if it never happened"), and vice versa.
 */
type RestartCheck = Readonly<{ twice: [string, number][]; notRestarted: string[]; unconfirmed: string[] }>;

function restartCheck(emu: EmulatorHandle, view: EnvironmentView, token: string): RestartCheck {
  const restarts = actionsPerContainer(emu, 'restart');
  const ids = view.instances.map((i) => i.id).filter((id): id is string => id !== null);
  const notice = `restart for token "${token}" is not confirmed`;
  return {
    twice: [...restarts].filter(([, n]) => n > 1),
    notRestarted: ids.filter((id) => !restarts.has(id)).sort(),
    unconfirmed: view.instances.filter((i) => i.notices.some((n) => n.startsWith(notice))).map((i) => i.id ?? i.name).sort(),
  };
}

/** The leader's view once every instance is in sync and each one is either restarted or reported unconfirmed. */
async function restartsSettled(emu: EmulatorHandle, set: ReplicaSet, leader: Replica, instances: number, token: string): Promise<RestartCheck> {
  const view = await until(() => set.status(leader), (v) => {
    if (v?.summary['in-sync'] !== instances || v.instances.length !== instances) return false;
    const check = restartCheck(emu, v, token);
    return check.notRestarted.every((id) => check.unconfirmed.includes(id));
  }, 3 * eventMs);
  return restartCheck(emu, view!, token);
}

export function describeReplicaFaults(backend: Backend): void {
  const installed = engineInstalled(backend);
  const report = new FaultReport({ title: `replicas on ${backend}: leader faults (issue 16)`, file: fileURLToPath(new URL(`../../.ci/out/faults-replicas-${backend}.json`, import.meta.url)) });
  const guard = new TrialGuard();
  if (!installed) console.warn(`replica fault tests on ${backend} SKIPPED: the engine is not installed (.ci/run installs it)`);
  const test = installed ? it : it.skip;
  const label = installed ? '' : ` (SKIPPED: ${backend} not installed)`;

  describe(`replicas sharing a ${backend} state store${label}`, () => {
    afterAll(async () => {
      await report.publish();
    });
    afterEach(() => guard.settle(), 60_000);

    for (const replicas of [2, 3]) {
      const instances = 300;
      test(`${replicas} replicas, SIGKILL of the leader mid-converge, then mid-restart: a standby takes over, one container per name, at most one restart per token`, () => guard.run(() =>
        withTrial(backend, { replicas, qps: 20, instances, lease: defaultLease, extraArgs: ['--concurrency', String(concurrency)] }, async ({ emu, set, keys, manifests }) => {
          const leader = await set.oneLeader(eventMs);
          const createdAtKill = await afterCreates(emu, instances / 3);
          const killedAt = Date.now();
          set.signal(leader, 'SIGKILL');
          await leader.cli.exited;
          expect(createdAtKill).toBeLessThan(instances);
          const [first, leadMs] = await Promise.all([
            firstMutationOfOthers(emu, leader, killedAt, 'mutation by a new leader after the SIGKILL'),
            leaderSeenAfter(set, killedAt),
          ]);
          const takeoverMs = first.at - killedAt;
          const outcome = await converged(emu, keys);
          // from the new leader's first mutation on, it alone acts (3 replicas: the other standby stays put)
          const afterKill = mutations(emu, first.seq - 1);
          // and every create landed once: none repeated by the new leader
          expect(countBy(afterKill)).toEqual({ [first.replica!]: afterKill.length });
          expect(outcome).toEqual(oneEach(instances));
          expect(mutations(emu).filter((m) => isCreate(m) && m.committed)).toHaveLength(instances);

          // the killed replica comes back (a restarted pod); the tokens change; the leader dies mid-restart
          await set.spawn(leader.id);
          const second = await set.oneLeader(eventMs);
          await writeTokens(manifests, keys, 't2');
          let restarts = 0;
          await whenMutation(emu, (m) => m.action === 'restart' && ++restarts >= instances / 3, { timeoutMs: eventMs, what: `restart number ${instances / 3}` });
          const secondKilledAt = Date.now();
          set.signal(second, 'SIGKILL');
          await second.cli.exited;
          const [third, secondLeadMs] = await Promise.all([
            firstMutationOfOthers(emu, second, secondKilledAt, 'mutation by a new leader after the second SIGKILL'),
            leaderSeenAfter(set, secondKilledAt),
          ]);
          const secondTakeoverMs = third.at - secondKilledAt;
          const thirdLeader = set.running.find((r) => r.id === third.replica)!;
          // the new leader says every instance is in sync; each was restarted, or is reported unconfirmed
          const check = await restartsSettled(emu, set, thirdLeader, instances, 't2');
          report.add({
            trial: `SIGKILL x2, ${replicas} replicas`,
            faults: `SIGKILL ${leader.id} after ${createdAtKill} creates; SIGKILL ${second.id} after ${restarts} restarts`,
            instances,
            outcome: check.twice.length > 0
              ? `restarted more than once: ${JSON.stringify(check.twice).slice(0, 200)}`
              : `converged; ${instances - check.notRestarted.length} restarted once, ${check.unconfirmed.length} reported unconfirmed (--concurrency ${concurrency})`,
            detail: `kill -> ${first.replica} leader in /status ${leadMs} ms, first mutation ${takeoverMs} ms; second kill -> ${third.replica}: ${secondLeadMs} ms, ${secondTakeoverMs} ms (lease ${defaultLease.leaseMs} ms)`,
          });
          console.log(`[${backend}, ${replicas} replicas] SIGKILL -> new leader in /status ${leadMs} ms, first mutation ${takeoverMs} ms; second kill: ${secondLeadMs} ms, ${secondTakeoverMs} ms (bound ${takeoverBoundMs} ms, lease ${defaultLease.leaseMs} ms); ${check.unconfirmed.length} restarts unconfirmed after the second kill`);
          expect(check.twice).toEqual([]);
          expect(check.notRestarted).toEqual(check.unconfirmed);
          expect(check.unconfirmed.length).toBeLessThanOrEqual(concurrency);
          expect(await checkOutcome(emu, keys, [])).toEqual(oneEach(instances));
          expect(takeoverMs).toBeLessThan(takeoverBoundMs);
          expect(secondTakeoverMs).toBeLessThan(takeoverBoundMs);
        })), 12 * 60_000);
    }

    test('SIGSTOP of the leader for 30 s, then SIGCONT: not one mutation from it after its lease moved; it resumes as standby', () => guard.run(() =>
      withTrial(backend, { replicas: 2, qps: 10, instances: 120, lease: shortLease }, async ({ emu, set, keys }) => {
        const leader = await set.oneLeader(eventMs);
        const other = set.running.find((r) => r !== leader)!;
        const createdAtStop = await afterCreates(emu, 30);
        const stoppedAt = Date.now();
        set.signal(leader, 'SIGSTOP');
        const first = await firstMutationOfOthers(emu, leader, stoppedAt, 'mutation by the standby while the leader is frozen');
        await set.whenRole(other, 'leader', eventMs);
        const roleAt = Date.now();
        // the lease had moved by the new leader's first mutation at the latest
        const movedAt = Math.min(first.at, roleAt);
        // the fault's duration: the frozen process must sit out well past its lease
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, stoppedAt + 30_000 - Date.now())));
        const resumedAt = Date.now();
        set.signal(leader, 'SIGCONT');
        await set.whenRole(leader, 'standby', eventMs);
        // drift after the resume: both replicas see it; only the new leader may repair it
        const drifted = (await listContainers(emu)).filter((c) => c.state === 'running').slice(0, 5);
        for (const c of drifted) expect((await post(`${emu.url}/containers/${c.id}?action=stop`, {})).status).toBeLessThan(300);
        const outcome = await converged(emu, keys);
        const late = mutationsFrom(emu, leader.id).filter((m) => m.at >= movedAt);
        report.add({
          trial: 'SIGSTOP 30 s',
          faults: `SIGSTOP ${leader.id} after ${createdAtStop} creates, SIGCONT 30 s later, 5 containers stopped by hand`,
          instances: keys.length,
          outcome: late.length === 0 ? `0 mutations from ${leader.id} after its lease moved` : `${late.length} mutations from ${leader.id} after its lease moved`,
          detail: `stop -> first mutation by ${other.id}: ${first.at - stoppedAt} ms (lease ${shortLease.leaseMs} ms); ${leader.id} resumed ${resumedAt - stoppedAt} ms after the stop`,
        });
        console.log(`[${backend}] SIGSTOP: ${other.id} mutated ${first.at - stoppedAt} ms after the stop (lease ${shortLease.leaseMs} ms); ${late.length} late mutations from ${leader.id}`);
        expect(late).toEqual([]);
        expect(outcome).toEqual(oneEach(keys.length));
        expect(set.logged(leader, 'leadership lost').length).toBeGreaterThan(0);
      })), 8 * 60_000);

    test('the leader cut off the database (blackholed): it stops mutating within the renew deadline, the other takes over', () => guard.run(() =>
      withTrial(backend, { replicas: 2, qps: 10, instances: 120, lease: shortLease }, async ({ emu, set, keys }) => {
        const { renewDeadlineMs } = shortLease;
        const leader = await set.oneLeader(eventMs);
        const createdAtCut = await afterCreates(emu, 30);
        const cutAt = Date.now();
        // a partition: open connections hang (a query in flight never answers), new ones are held
        leader.proxy.cut('blackhole', { freezeOpen: true });
        const first = await firstMutationOfOthers(emu, leader, cutAt, 'mutation by the other replica after the cut');
        await set.whenRole(leader, 'standby', eventMs);
        const outcome = await converged(emu, keys);
        const fromCut = mutationsFrom(emu, leader.id);
        const lastAt = fromCut.at(-1)?.at ?? 0;
        report.add({
          trial: 'database cut',
          faults: `${leader.id}'s store connection blackholed after ${createdAtCut} creates`,
          instances: keys.length,
          outcome: lastAt < first.at ? 'no overlap: the cut leader stopped before the other started' : `OVERLAP: ${leader.id} mutated until ${lastAt - cutAt} ms after the cut`,
          detail: `cut -> last mutation by ${leader.id}: ${lastAt - cutAt} ms (renew deadline ${renewDeadlineMs}, lease ${shortLease.leaseMs}); cut -> first by ${first.replica}: ${first.at - cutAt} ms`,
        });
        console.log(`[${backend}] database cut: last mutation by the cut leader ${lastAt - cutAt} ms after the cut (renew deadline ${renewDeadlineMs} ms), first by ${first.replica} at ${first.at - cutAt} ms`);
        expect(lastAt - cutAt).toBeLessThan(renewDeadlineMs + fenceSlackMs);
        expect(lastAt).toBeLessThan(first.at);
        expect(outcome).toEqual(oneEach(keys.length));
      })), 8 * 60_000);

    test('a clean SIGTERM of the leader hands over within 2 s (bounded at 6 s for a loaded machine)', () => guard.run(() =>
      withTrial(backend, { replicas: 2, qps: 10, instances: 120, lease: defaultLease }, async ({ emu, set, keys }) => {
        const leader = await set.oneLeader(eventMs);
        const other = set.running.find((r) => r !== leader)!;
        const createdAtTerm = await afterCreates(emu, 30);
        const termAt = Date.now();
        set.signal(leader, 'SIGTERM');
        const [first, roleAt] = await Promise.all([
          firstMutationOfOthers(emu, leader, termAt, 'mutation by the other replica after the SIGTERM'),
          set.whenRole(other, 'leader', eventMs).then(() => Date.now()),
        ]);
        const code = await leader.cli.exited;
        const outcome = await converged(emu, keys);
        const lastOld = mutationsFrom(emu, leader.id).at(-1)?.at ?? 0;
        const actingAt = loggedAt(set, other, 'acting as leader');
        // where the time goes: the old leader's drain before it releases, the take, the takeover's reload
        const since = (at: number | undefined): string => (at === undefined ? '?' : String(at - termAt));
        const steps = `released by ${leader.id} ${since(loggedAt(set, leader, 'leadership released'))} ms, acquired by ${other.id} ${since(loggedAt(set, other, 'leadership acquired'))} ms`;
        const roleMs = roleAt - termAt;
        const actingMs = actingAt === undefined ? undefined : actingAt - termAt;
        const firstMs = first.at - termAt;
        report.add({
          trial: 'SIGTERM',
          faults: `SIGTERM ${leader.id} after ${createdAtTerm} creates`,
          instances: keys.length,
          outcome: code === 0 && roleMs < handoverBoundMs ? `handed over: ${other.id} leader ${roleMs} ms after the signal` : `exit ${code}, role moved after ${roleMs} ms`,
          detail: `SIGTERM -> ${other.id} role leader in /status: ${roleMs} ms; 'acting as leader' logged: ${actingMs ?? '?'} ms; first mutation: ${firstMs} ms (${steps}; default lease, retry ${defaultLease.retryPeriodMs} ms)`,
        });
        console.log(`[${backend}] SIGTERM handover: role leader seen ${roleMs} ms, 'acting as leader' ${actingMs ?? '?'} ms, first mutation ${firstMs} ms after the signal (${steps}; bound ${handoverBoundMs} ms; the issue: 2 s)`);
        expect(code).toBe(0);
        expect(lastOld).toBeLessThan(first.at);
        expect(roleMs).toBeLessThan(handoverBoundMs);
        expect(actingMs).toBeDefined();
        expect(actingMs!).toBeLessThan(handoverBoundMs);
        expect(firstMs).toBeLessThan(firstMutationBoundMs);
        expect(outcome).toEqual(oneEach(keys.length));
        expect(set.logged(leader, 'leadership released').length).toBe(1);
      })), 6 * 60_000);
  });
}
