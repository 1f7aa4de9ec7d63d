/**
 * The `npm run test:chaos` command line (started by run.mjs): `--seeds N` runs seeds `--first` (default 1)
 * to first+N-1 strictly one after the other; `--seed S` runs exactly seed S; `--schedule FILE` replays a
 * schedule JSON printed by a failure. A failing seed prints its seed, its violations, the schedule JSON
 * and the folder with its logs; the exit code is 1 when any seed failed.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSeed, type SeedResult } from './runner.js';
import { generateSchedule, type Schedule } from './schedule.js';

export type MainDeps = Readonly<{ cli: string; out: (line: string) => void; build: string }>;

type Args = { seeds: number[]; schedule?: string; keep: boolean; results: string; settleTimeoutMs: number; verbose: boolean };

const usage = 'usage: npm run test:chaos -- (--seeds N [--first F] | --seed S | --schedule FILE) [--keep] [--verbose] [--results FILE] [--settle-timeout SEC]';

function parseArgs(argv: readonly string[]): Args {
  let count: number | undefined;
  let first = 1;
  let single: number | undefined;
  const args: Args = { seeds: [], keep: false, results: join(tmpdir(), `rr-chaos-results-${Date.now()}.jsonl`), settleTimeoutMs: 120_000, verbose: false };
  const int = (flag: string, value: string | undefined): number => {
    if (value === undefined || !/^\d+$/.test(value)) throw new Error(`${flag}: expected a non-negative integer, got ${JSON.stringify(value)}\n${usage}`);
    return Number(value);
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--seeds') count = int(flag, argv[++i]);
    else if (flag === '--first') first = int(flag, argv[++i]);
    else if (flag === '--seed') single = int(flag, argv[++i]);
    else if (flag === '--schedule') args.schedule = argv[++i];
    else if (flag === '--keep') args.keep = true;
    else if (flag === '--verbose') args.verbose = true;
    else if (flag === '--results') args.results = argv[++i] ?? args.results;
    else if (flag === '--settle-timeout') args.settleTimeoutMs = int(flag, argv[++i]) * 1000;
    else throw new Error(`unknown argument ${flag}\n${usage}`);
  }
  if ([count, single, args.schedule].filter((x) => x !== undefined).length !== 1) throw new Error(usage);
  if (single !== undefined) args.seeds = [single];
  if (count !== undefined) args.seeds = Array.from({ length: count }, (_, i) => first + i);
  return args;
}

function summary(result: SeedResult, schedule: Schedule): string {
  const s = result.stats;
  const kinds = (k: string): number => schedule.steps.filter((x) => x.kind === k).length;
  const world = `${schedule.settings.instances} instances, ${kinds('manifest')} revisions, ${kinds('kill-daemon')} kills, ${kinds('restart-emulator')} emulator restarts, ${kinds('partition')} partitions`;
  const facts = s === undefined ? '' : `; ${s.requests} requests (${s.faulted} faulted), ${s.restarts} restarts (${s.restartsWithLostAnswer} lost), ${s.prunes} prunes, ${s.recreates} recreates (max down ${s.maxRecreateDown}/${schedule.settings.maxUnavailable}), ${s.twinsRemoved} twins removed`;
  return `${(result.wallMs / 1000).toFixed(1)} s, settle ${result.settleMs === undefined ? '-' : (result.settleMs / 1000).toFixed(1)} s; ${world}${facts}`;
}

/** Runs the seeds; resolves with the process exit code. */
export async function main(argv: readonly string[], deps: MainDeps): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error: unknown) {
    deps.out(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const schedules: Schedule[] = args.schedule !== undefined
    ? [JSON.parse(await readFile(args.schedule, 'utf8')) as Schedule]
    : args.seeds.map((seed) => generateSchedule(seed));
  const children = new Set<ChildProcess>();
  const onSignal = (signal: NodeJS.Signals): void => {
    deps.out(`received ${signal}: killing ${children.size} child process(es)`);
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const startedAt = Date.now();
  deps.out(`chaos: ${schedules.length} seed(s) [${schedules.slice(0, 3).map((s) => s.seed).join(', ')}${schedules.length > 3 ? ', ...' : ''}] on ${availableParallelism()} cores, node ${process.version}, build ${deps.build}; results in ${args.results}`);
  const failed: number[] = [];
  const tally = new Map<string, number[]>();
  let wall = 0;
  for (const [i, schedule] of schedules.entries()) {
    const result = await runSeed(schedule, {
      cli: deps.cli, keep: args.keep ? 'always' : 'on-failure', settleTimeoutMs: args.settleTimeoutMs,
      onSpawn: (child) => {
        children.add(child);
        child.once('exit', () => children.delete(child));
      },
      ...(args.verbose ? { log: deps.out } : {}),
    });
    wall += result.wallMs;
    await appendFile(args.results, `${JSON.stringify({ seed: result.seed, ok: result.ok, wallMs: result.wallMs, settleMs: result.settleMs, stats: result.stats, violations: result.violations, workDir: result.ok && !args.keep ? null : result.workDir })}\n`);
    const head = `[${i + 1}/${schedules.length}] seed ${schedule.seed}: ${result.ok ? 'ok' : 'FAILED'} (${summary(result, schedule)})`;
    deps.out(head);
    if (!result.ok) {
      failed.push(schedule.seed);
      for (const kind of new Set(result.violations.map((v) => `${v.invariant}${v.cause === undefined ? '' : ` (${v.cause})`}`))) tally.set(kind, [...(tally.get(kind) ?? []), schedule.seed]);
      for (const v of result.violations) deps.out(`  violation ${v.invariant}: ${v.message}${v.evidence === undefined ? '' : `\n    evidence: ${JSON.stringify(v.evidence)}`}`);
      deps.out(`  logs, manifests and state: ${result.workDir} (result.json, daemon.log, emulator.log)`);
      deps.out(`  rerun: npm run test:chaos -- ${args.schedule === undefined ? `--seed ${schedule.seed}` : `--schedule ${args.schedule}`}`);
      deps.out(`  schedule: ${JSON.stringify(schedule)}`);
    }
  }
  const total = Date.now() - startedAt;
  deps.out(`chaos: ${schedules.length} seed(s), ${failed.length} failed${failed.length > 0 ? ` (seeds ${failed.join(', ')})` : ''}; wall ${(total / 1000).toFixed(0)} s, ${(wall / schedules.length / 1000).toFixed(1)} s per seed`);
  for (const [kind, seeds] of tally) deps.out(`  ${kind}: ${seeds.length} seed(s): ${seeds.join(', ')}`);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  return failed.length === 0 ? 0 : 1;
}
