/**
 * Runs one chaos seed: the real daemon (`run`) against the real emulator, both child processes of the
 * built CLI, under the steps of a {@link Schedule}; then faults off, a bounded settle, and the invariant
 * check. Every child is killed in `finally`, whatever happened.
 *
 * The manifest tree is laid out as git-sync does it (`git/current -> .worktrees/rev-NNN`, swapped
 * atomically), so each version is one atomic revision whose name the daemon reports in `/status` and logs.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultPlan } from '../../src/emulator/faults.js';
import type { RawContainer } from '../../src/emulator/store.js';
import { checkInvariants, daemonConverged, storeProblems, type DaemonEvent, type Observations, type Stats, type StatusDoc, type Violation, type WrittenVersion } from './invariants.js';
import { adminGet, adminSend, RequestLogCollector, StoreSampler } from './observer.js';
import { startDaemonProcess, startEmulatorProcess, stopChild, type DaemonChild, type EmulatorChild, type LoggedChild } from './processes.js';
import { renderTree, versionsOf, type Schedule, type Step, type Version } from './schedule.js';

export type RunOptions = Readonly<{
  /** Path of the built CLI (`dist/cli.js`). */
  cli: string;
  /** Where the per-seed folder is made (default: the OS temp dir). */
  workRoot?: string;
  /** Bound of the settle phase after the chaos (default 120 s). */
  settleTimeoutMs?: number;
  /** Keep the seed's folder (logs, manifests, state): `on-failure` (default), `always` or `never`. */
  keep?: 'on-failure' | 'always' | 'never';
  /** Progress lines (step executed, settle reached). */
  log?: (line: string) => void;
  /** Told of every child process spawned (so that a signal to the runner can end them too). */
  onSpawn?: (child: ChildProcess) => void;
}>;

/** One step as it was executed (or skipped), for the failure report. */
export type Executed = Readonly<{ atMs: number; kind: Step['kind'] | 'settle'; note: string }>;

export type SeedResult = Readonly<{
  seed: number;
  ok: boolean;
  violations: Violation[];
  stats: Stats | undefined;
  wallMs: number;
  settleMs: number | undefined;
  workDir: string;
  timeline: Executed[];
}>;

/** How long after the last fault a settle check starts: the longest commit-late delay (5 s) plus margin. */
const quietMs = 6000;
const setupTimeoutMs = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The mutable state of one run: the live children and what is recorded. */
class Run {
  readonly schedule: Schedule;
  readonly options: RunOptions;
  readonly dir: string;
  readonly versions: readonly Version[];
  readonly written: WrittenVersion[] = [];
  readonly daemonEvents: DaemonEvent[] = [];
  readonly timeline: Executed[] = [];
  readonly background: Promise<void>[] = [];
  /** Children that exited while they should have run. */
  readonly unexpected: Violation[] = [];
  /** Set once the run tears its children down (their exits are then expected). */
  stopping = false;
  /** When the emulator was not serving: from just before its stop to its URL line after the restart. */
  readonly emulatorWindows: { from: number; to: number }[] = [];
  emulator: EmulatorChild | undefined;
  daemon: DaemonChild | undefined;
  emulatorDown = false;
  daemonDown = false;
  emulatorIncarnation = 0;
  daemonIncarnation = 0;
  port = 0;
  plan: FaultPlan = {};
  collector: RequestLogCollector | undefined;
  sampler: StoreSampler | undefined;
  chaosStart = 0;

  constructor(schedule: Schedule, options: RunOptions, dir: string) {
    this.schedule = schedule;
    this.options = options;
    this.dir = dir;
    this.versions = versionsOf(schedule);
  }

  spawnHook(): { onSpawn?: (child: ChildProcess) => void } {
    return this.options.onSpawn === undefined ? {} : { onSpawn: this.options.onSpawn };
  }

  get admin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  note(kind: Executed['kind'], note: string): void {
    const atMs = this.chaosStart === 0 ? 0 : Date.now() - this.chaosStart;
    this.timeline.push({ atMs, kind, note });
    this.options.log?.(`  [seed ${this.schedule.seed} +${(atMs / 1000).toFixed(1)}s] ${kind}: ${note}`);
  }

  async startEmulator(): Promise<void> {
    this.emulatorIncarnation += 1;
    let lastError: unknown;
    // a restarted emulator must get the same port back (the daemon's --url); retry while it is in use
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const emulator = await startEmulatorProcess(this.options.cli, { cwd: this.dir, port: this.port, dataFile: this.path('emulator.json'), logFile: this.path('emulator.log'), incarnation: this.emulatorIncarnation, ...this.spawnHook() });
        this.emulator = emulator;
        this.port = emulator.port;
        this.emulatorDown = false;
        this.watchExit('emulator', this.emulatorIncarnation, emulator.proc, () => this.emulator === emulator && !this.emulatorDown);
        return;
      } catch (error: unknown) {
        lastError = error;
        await sleep(250);
      }
    }
    throw lastError;
  }

  daemonArgs(url: string): string[] {
    const { maxDelete, maxUnavailable } = this.schedule.settings;
    return [
      '--url', url, '--manifests', this.path('git', 'current'), '--state-dir', this.path('state'), '--listen', '127.0.0.1:0',
      '--prune', '--max-delete', String(maxDelete), '--max-unavailable', String(maxUnavailable), '--qps', '200', '--resync', '5',
      '--request-timeout', '2', '--log-level', 'info', '--log-format', 'json',
    ];
  }

  async startDaemon(): Promise<void> {
    this.daemonIncarnation += 1;
    const incarnation = this.daemonIncarnation;
    const daemon = await startDaemonProcess(this.options.cli, this.daemonArgs(`${this.admin}/v1`), {
      cwd: this.dir, logFile: this.path('daemon.log'), incarnation, onEvent: (e) => this.daemonEvents.push(e), ...this.spawnHook(),
    });
    this.daemon = daemon;
    this.daemonDown = false;
    this.watchExit('daemon', incarnation, daemon.proc, () => this.daemon === daemon && !this.daemonDown);
  }

  /** Records a child that exits while it should be running (a crash, or a refused lock): a violation. */
  watchExit(kind: 'daemon' | 'emulator', incarnation: number, proc: LoggedChild, expectedUp: () => boolean): void {
    void proc.exited.then((code) => {
      if (!expectedUp() || this.stopping) return;
      // The run sends only SIGKILL during the chaos: a graceful stop means a signal from outside the run
      // (another user's pkill), which spoils the seed but is no fault of the daemon.
      const signalled = kind === 'daemon' ? /"msg":"shutting down"/.test(proc.tail(8000)) : code === 0;
      this.unexpected.push(signalled
        ? { invariant: 'run', cause: 'external-signal', message: `${kind} #${incarnation} was stopped by a signal from outside the run (exit ${code}): the seed is void, rerun it` }
        : { invariant: 'no-crash', message: `${kind} #${incarnation} exited by itself with code ${code}`, evidence: proc.tail(1500) });
    });
  }

  async writeVersion(index: number): Promise<void> {
    const version = this.versions[index]!;
    const folder = this.path('git', '.worktrees', version.revision);
    await mkdir(folder, { recursive: true });
    for (const [file, text] of renderTree(version.decls)) await writeFile(join(folder, file), text);
    const temp = this.path('git', `.current-${index}`);
    await symlink(join('.worktrees', version.revision), temp);
    const swappedAt = Date.now();
    await rename(temp, this.path('git', 'current'));
    this.written.push({ ...version, swappedAt });
  }

  async status(): Promise<StatusDoc | undefined> {
    if (this.daemon === undefined || this.daemonDown) return undefined;
    try {
      const response = await fetch(this.daemon.statusUrl, { signal: AbortSignal.timeout(3000) });
      return response.ok ? ((await response.json()) as StatusDoc) : undefined;
    } catch {
      // the daemon is restarting or busy: no answer this time
      return undefined;
    }
  }

  async containers(): Promise<RawContainer[]> {
    return adminGet<RawContainer[]>(`${this.admin}/_emulator/containers`);
  }
}

/** Polls `probe` every `intervalMs` until it returns true twice in a row, or `timeoutMs` passes. */
async function settled(probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  while (Date.now() < deadline) {
    streak = (await probe()) ? streak + 1 : 0;
    if (streak >= 2) return true;
    await sleep(intervalMs);
  }
  return false;
}

async function createForeign(run: Run): Promise<RawContainer[]> {
  const ids: string[] = [];
  for (const name of run.schedule.foreign) {
    const response = await fetch(`${run.admin}/v1/containers`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, description: 'made by hand', imageUuid: 'docker:busybox:1.36' }),
    });
    if (response.status !== 201) throw new Error(`creating foreign ${name}: ${response.status}`);
    ids.push(((await response.json()) as { id: string }).id);
  }
  const ready = await settled(async () => (await run.containers()).filter((c) => ids.includes(c.id)).every((c) => c.state === 'running'), 15_000, 50);
  if (!ready) throw new Error('foreign containers did not reach running');
  return (await run.containers()).filter((c) => ids.includes(c.id));
}

async function execute(run: Run, step: Step): Promise<void> {
  switch (step.kind) {
    case 'manifest': {
      const index = run.written.length;
      await run.writeVersion(index);
      return run.note('manifest', `${run.versions[index]!.revision}: ${step.ops.map((o) => ('name' in o ? `${o.kind} ${o.name}` : o.kind === 'mass-delete' ? `mass-delete ${o.names.join(',')}` : o.kind === 'add' ? `add ${o.decl.name}` : `restore ${o.decls.map((d) => d.name).join(',')}`)).join('; ')}`);
    }
    case 'faults':
      run.plan = step.plan;
      if (run.emulatorDown) return run.note('faults', 'emulator down: applied when it is back');
      await adminSend('PUT', `${run.admin}/_emulator/faults`, step.plan);
      return run.note('faults', `${step.plan.rules?.length ?? 0} rules${step.plan.rateLimit ? ', rate limit' : ''}${step.plan.stallStream ? ', stalled stream' : ''}`);
    case 'partition':
      if (run.emulatorDown) return run.note('partition', 'skipped: emulator down');
      await adminSend('POST', `${run.admin}/_emulator/partition`, { durationMs: step.durationMs });
      return run.note('partition', `${step.durationMs} ms`);
    case 'kill-daemon': {
      if (run.daemonDown || run.daemon === undefined) return run.note('kill-daemon', 'skipped: daemon already down');
      run.daemonDown = true;
      await stopChild(run.daemon.proc, 'SIGKILL');
      run.note('kill-daemon', `SIGKILL; restart in ${step.downMs} ms`);
      run.background.push((async () => {
        await sleep(step.downMs);
        await run.startDaemon();
        run.note('kill-daemon', `daemon #${run.daemonIncarnation} started`);
      })());
      return;
    }
    case 'restart-emulator': {
      if (run.emulatorDown || run.emulator === undefined) return run.note('restart-emulator', 'skipped: emulator already down');
      run.emulatorDown = true;
      // Freeze the daemon while the log is read for the last time, so that no request reaches the old
      // emulator after that read (the log lives in its memory only); it resumes at once after the stop.
      const frozen = !run.daemonDown && run.daemon !== undefined && !run.daemon.proc.done() ? run.daemon.proc : undefined;
      frozen?.child.kill('SIGSTOP');
      let from = Date.now();
      try {
        await sleep(50);
        await run.collector!.poll();
        from = Date.now();
        await stopChild(run.emulator.proc, 'SIGTERM');
      } finally {
        frozen?.child.kill('SIGCONT');
      }
      run.collector!.emulatorStopped();
      run.note('restart-emulator', `stopped; restart in ${step.downMs} ms`);
      run.background.push((async () => {
        await sleep(step.downMs);
        await run.startEmulator();
        run.emulatorWindows.push({ from, to: Date.now() });
        const { partition: _partition, ...plan } = run.plan;
        await adminSend('PUT', `${run.admin}/_emulator/faults`, plan);
        run.note('restart-emulator', `emulator #${run.emulatorIncarnation} started`);
      })());
      return;
    }
  }
}

/** Runs one seed end to end and checks it; never throws for a failed run (the result says why). */
export async function runSeed(schedule: Schedule, options: RunOptions): Promise<SeedResult> {
  const started = Date.now();
  const dir = await mkdtemp(join(options.workRoot ?? tmpdir(), `rr-chaos-${schedule.seed}-`));
  const run = new Run(schedule, options, dir);
  const violations: Violation[] = [];
  let stats: Stats | undefined;
  let settleMs: number | undefined;
  let pollLoop: Promise<void> | undefined;
  let polling = true;
  try {
    await mkdir(run.path('git', '.worktrees'), { recursive: true });
    await mkdir(run.path('state'));
    await run.startEmulator();
    const collector = new RequestLogCollector(run.admin);
    run.collector = collector;
    const foreign = await createForeign(run);
    await run.writeVersion(0);
    run.sampler = new StoreSampler(run.admin);
    run.sampler.start();
    pollLoop = (async () => {
      while (polling) {
        if (!run.emulatorDown) await collector.poll().catch(() => undefined);
        await sleep(1000);
      }
    })();
    await run.startDaemon();
    const first = run.versions[0]!;
    if (!(await settled(async () => daemonConverged(await run.status(), first).ok, setupTimeoutMs))) {
      throw new Error(`setup: the daemon did not converge on ${first.revision} within ${setupTimeoutMs} ms`);
    }

    run.chaosStart = Date.now();
    for (const step of schedule.steps) {
      await sleep(run.chaosStart + step.atMs - Date.now());
      await execute(run, step);
    }
    await sleep(run.chaosStart + schedule.settings.chaosMs - Date.now());
    run.plan = {};
    await Promise.all(run.background);
    await adminSend('PUT', `${run.admin}/_emulator/faults`, {});
    await adminSend('POST', `${run.admin}/_emulator/partition`, { durationMs: 0 });
    run.note('settle', 'faults off');

    const settleStart = Date.now();
    await sleep(quietMs);
    const last = run.versions[run.versions.length - 1]!;
    const ok = await settled(async () => {
      const status = await run.status();
      return daemonConverged(status, last).ok && storeProblems(await run.containers(), last, foreign).length === 0;
    }, (options.settleTimeoutMs ?? 120_000) - quietMs);
    settleMs = Date.now() - settleStart;
    run.note('settle', ok ? `converged after ${(settleMs / 1000).toFixed(1)} s` : `NOT converged within ${settleMs} ms`);

    polling = false;
    await pollLoop;
    await run.sampler.stop();
    await collector.poll();
    const observations: Observations = {
      schedule, versions: run.written, requests: collector.entries(), containers: await run.containers(), foreign,
      samples: run.sampler.samples, status: await run.status(), daemonEvents: run.daemonEvents, emulatorDown: run.emulatorWindows,
    };
    const result = checkInvariants(observations);
    violations.push(...result.violations);
    stats = result.stats;
    // what the checker saw, for diagnosing a failure (a few MB: only when the folder is kept anyway)
    if (violations.length > 0 || options.keep === 'always') await writeFile(run.path('observations.json'), JSON.stringify(observations));
  } catch (error: unknown) {
    violations.push({ invariant: 'run', message: error instanceof Error ? error.message : String(error) });
  } finally {
    run.stopping = true;
    violations.push(...run.unexpected);
    polling = false;
    await pollLoop?.catch(() => undefined);
    await run.sampler?.stop().catch(() => undefined);
    await Promise.allSettled(run.background);
    await stopChild(run.daemon?.proc, 'SIGTERM', 10_000);
    await stopChild(run.emulator?.proc, 'SIGTERM', 10_000);
  }
  const ok = violations.length === 0;
  const result: SeedResult = { seed: schedule.seed, ok, violations, stats, wallMs: Date.now() - started, settleMs, workDir: dir, timeline: run.timeline };
  await writeFile(join(dir, 'result.json'), `${JSON.stringify({ ...result, schedule, versions: run.written.map((v) => ({ revision: v.revision, swappedAt: v.swappedAt })), daemonEvents: run.daemonEvents }, null, 2)}\n`).catch(() => undefined);
  const keep = options.keep ?? 'on-failure';
  if (keep === 'never' || (keep === 'on-failure' && ok)) await rm(dir, { recursive: true, force: true });
  return result;
}
