/**
 * The chaos schedule: a pure, seeded description of one chaos run. The same seed always gives the same
 * schedule (mulberry32, the emulator's own PRNG), so a failing seed replays with `--seed S`, and the
 * schedule JSON a failure prints replays with `--schedule FILE` even after the generator changes.
 *
 * A run declares `instances` containers, creates a few foreign ones behind the reconciler's back, lets the
 * daemon converge, then plays `steps` for `chaosMs`: fault plans, partitions, SIGKILL+restart of the
 * daemon, restarts of the emulator and manifest edits. Each declared name gets at most one "major" change
 * (restart-token bump, recreate, key rename, deletion, mass deletion, or it is added during the run), so
 * the invariant checker can attribute every restart and removal without guessing; description edits can
 * land on any declared name at any time.
 */
import type { FaultPlan, FaultRule } from '../../src/emulator/faults.js';
import { seededRandom } from '../../src/emulator/faults.js';

/** One declared instance: `key` is `metadata.name`, `name` the Rancher name (`spec.name`). */
export type InstanceDecl = Readonly<{ key: string; name: string; image: string; description: string; token: string }>;

/** One change to the manifest tree; names are Rancher names (`spec.name`), which never change. */
export type ManifestOp =
  | Readonly<{ kind: 'describe'; name: string; description: string }>
  | Readonly<{ kind: 'bump'; name: string; token: string }>
  | Readonly<{ kind: 'recreate'; name: string; image: string }>
  | Readonly<{ kind: 'rename'; name: string; key: string }>
  | Readonly<{ kind: 'add'; decl: InstanceDecl }>
  /** Deletes one name for good (the single deletions of a run never exceed `maxDelete`). */
  | Readonly<{ kind: 'delete'; name: string }>
  /** Deletes `maxDelete + 1` names in one revision (over budget: nothing may be removed), restored later. */
  | Readonly<{ kind: 'mass-delete'; names: readonly string[] }>
  | Readonly<{ kind: 'restore'; decls: readonly InstanceDecl[] }>;

/** One timed step; `atMs` counts from the start of the chaos phase. */
export type Step =
  | Readonly<{ atMs: number; kind: 'manifest'; ops: readonly ManifestOp[] }>
  | Readonly<{ atMs: number; kind: 'faults'; plan: FaultPlan }>
  | Readonly<{ atMs: number; kind: 'partition'; durationMs: number }>
  | Readonly<{ atMs: number; kind: 'kill-daemon'; downMs: number }>
  | Readonly<{ atMs: number; kind: 'restart-emulator'; downMs: number }>;

/** The daemon options a run uses and the size of its world. */
export type ChaosSettings = Readonly<{ instances: number; maxDelete: number; maxUnavailable: number; chaosMs: number }>;

export type Schedule = Readonly<{
  seed: number;
  settings: ChaosSettings;
  /** Names of containers created directly in the emulator (no labels, in no manifest) before the daemon starts. */
  foreign: readonly string[];
  initial: readonly InstanceDecl[];
  /** Sorted by `atMs` (stable). */
  steps: readonly Step[];
}>;

/** Bounds of the generator; the defaults keep one seed near 45-60 s of wall time on 2 cores. */
export type ScheduleOptions = Readonly<{ chaosMs?: readonly [number, number]; instances?: readonly [number, number] }>;

export const defaultChaosMs: readonly [number, number] = [20_000, 28_000];
const defaultInstances: readonly [number, number] = [24, 40];
export const initialImage = 'docker:nginx:1.25';

/** A small helper over mulberry32: integers in [lo, hi], picks, coin flips and shuffles. */
type Rng = Readonly<{ float(): number; int(lo: number, hi: number): number; chance(p: number): boolean; pick<T>(items: readonly T[]): T; shuffle<T>(items: readonly T[]): T[] }>;

function rngOf(seed: number): Rng {
  const next = seededRandom(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return {
    float: next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(0, items.length - 1)]!,
    shuffle: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(0, i);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
}

const pad = (n: number): string => String(n).padStart(2, '0');
const createPath = '^/v1/containers$';
const resourcePath = '^/v1/containers/[^/]+$';

/** The fault rules a plan draws from: each breaks one promise the API makes. */
const ruleMenu: readonly ((r: Rng) => FaultRule)[] = [
  (r) => ({ effect: 'error', status: r.pick([500, 502, 503]), probability: r.int(5, 20) / 100 }),
  (r) => ({ method: 'POST', path: createPath, effect: 'error', status: 503, probability: r.int(20, 50) / 100 }),
  (r) => ({ effect: 'error', status: 429, retryAfterSec: 1, probability: r.int(5, 15) / 100 }),
  (r) => ({ method: 'POST', path: resourcePath, effect: 'drop-before', probability: r.int(20, 50) / 100 }),
  (r) => ({ method: 'POST', path: createPath, effect: 'drop-after', probability: r.int(30, 60) / 100 }),
  (r) => ({ method: 'POST', path: resourcePath, action: r.pick(['restart', 'stop', 'remove']), effect: 'drop-after', probability: r.int(30, 70) / 100 }),
  (r) => ({ method: 'POST', path: createPath, effect: 'commit-late', delayMs: r.int(3000, 5000), probability: r.int(30, 70) / 100 }),
  (r) => ({ method: 'POST', path: resourcePath, action: r.pick(['restart', 'stop', 'remove']), effect: 'commit-late', delayMs: r.int(3000, 5000), probability: r.int(30, 80) / 100 }),
  (r) => ({ method: 'PUT', path: resourcePath, effect: 'commit-late', delayMs: r.int(3000, 5000), probability: r.int(30, 70) / 100 }),
  (r) => (r.chance(0.3)
    ? { method: 'POST', effect: 'commit-then-fail', reset: true, probability: r.int(20, 50) / 100 }
    : { method: 'POST', effect: 'commit-then-fail', status: r.pick([502, 503, 504]), probability: r.int(20, 50) / 100 }),
  (r) => ({ method: 'GET', effect: 'latency', latencyMs: r.int(100, 1500), probability: r.int(20, 60) / 100 }),
  (r) => ({ effect: 'latency', latencyMs: r.int(300, 2500), probability: r.int(10, 30) / 100 }),
  (r) => ({ method: 'GET', path: '^/v1/containers', effect: 'error', status: 503, probability: r.int(20, 40) / 100 }),
  (r) => ({ method: 'GET', effect: 'drop-before', probability: r.int(5, 15) / 100 }),
  (r) => ({ path: '^/v1/subscribe', effect: 'error', status: 503, probability: r.int(30, 80) / 100 }),
];

function randomPlan(r: Rng): FaultPlan {
  if (r.chance(0.1)) return {};
  const rules = r.shuffle(ruleMenu).slice(0, r.int(2, 5)).map((make) => make(r));
  return {
    rules,
    ...(r.chance(0.15) ? { rateLimit: { rps: r.int(20, 60), retryAfterSec: 1 } } : {}),
    ...(r.chance(0.2) ? { stallStream: true } : {}),
    seed: r.int(1, 2 ** 31 - 1),
  };
}

/** Ops due at `atMs`; `pinned` ones (a trap's) are never merged into an earlier revision. */
type TimedOps = { atMs: number; ops: ManifestOp[]; pinned?: boolean };

/**
 * A trap: a short window that lines up one fault with the change it breaks and a crash at the worst
 * moment (random plans alone rarely do): a restart or create or removal that commits late while the
 * daemon is SIGKILLed, a recreate interrupted by a kill, a restart whose request never arrives.
 */
type Trap = { fromMs: number; toMs: number; ops: TimedOps[]; steps: Step[] };
export const trapKinds = ['late-restart-kill', 'late-create-kill', 'late-removal-kill', 'recreate-kill', 'restart-never-arrives'] as const;
const trapWindowMs = 6000;

function placeTraps(r: Rng, chaosMs: number, take: (n: number) => string[]): Trap[] {
  const traps: Trap[] = [];
  for (let i = 0, n = r.int(1, 2); i < n; i++) {
    const fromMs = r.int(1000, Math.max(1000, chaosMs - trapWindowMs - 1000));
    if (traps.some((t) => fromMs < t.toMs && t.fromMs < fromMs + trapWindowMs)) continue;
    const kind = r.pick(trapKinds);
    const late = (rule: Omit<FaultRule, 'effect' | 'delayMs'>): Step => ({ atMs: fromMs, kind: 'faults', plan: { rules: [{ ...rule, effect: 'commit-late', delayMs: r.int(3000, 5000) }], seed: r.int(1, 2 ** 31 - 1) } });
    const kill = (afterMs: number): Step => ({ atMs: fromMs + afterMs, kind: 'kill-daemon', downMs: r.int(300, 1200) });
    const change = (op: ManifestOp): TimedOps => ({ atMs: fromMs + 200, ops: [op], pinned: true });
    const trap: Trap = { fromMs, toMs: fromMs + trapWindowMs, ops: [], steps: [{ atMs: fromMs + trapWindowMs, kind: 'faults', plan: {} }] };
    switch (kind) {
      case 'late-restart-kill':
        trap.steps.push(late({ method: 'POST', path: resourcePath, action: 'restart' }), kill(r.int(1200, 2500)));
        trap.ops.push(change({ kind: 'bump', name: take(1)[0]!, token: `t1-trap-${i}` }));
        break;
      case 'late-create-kill':
        trap.steps.push(late({ method: 'POST', path: createPath }), kill(r.int(1200, 2500)));
        trap.ops.push(change({ kind: 'add', decl: { key: `new-${pad(10 + i)}`, name: `new-${pad(10 + i)}`, image: initialImage, description: 'v0', token: 't0' } }));
        break;
      case 'late-removal-kill':
        trap.steps.push(late({ method: 'POST', path: resourcePath, action: 'stop' }), kill(r.int(1200, 2500)));
        trap.ops.push(change({ kind: 'recreate', name: take(1)[0]!, image: 'docker:nginx:1.30' }));
        break;
      case 'recreate-kill':
        trap.steps.push({ atMs: fromMs, kind: 'faults', plan: {} }, kill(r.int(300, 1500)));
        trap.ops.push({ atMs: fromMs + 200, ops: take(2).map((name): ManifestOp => ({ kind: 'recreate', name, image: 'docker:nginx:1.31' })), pinned: true });
        break;
      case 'restart-never-arrives':
        trap.steps.push({ atMs: fromMs, kind: 'faults', plan: { rules: [{ method: 'POST', path: resourcePath, action: 'restart', effect: 'drop-before' }] } });
        trap.ops.push(change({ kind: 'bump', name: take(1)[0]!, token: `t1-trap-${i}` }));
        break;
    }
    traps.push(trap);
  }
  return traps;
}

/** Builds the seeded schedule. Pure: same seed and options, same schedule. */
export function generateSchedule(seed: number, options: ScheduleOptions = {}): Schedule {
  const r = rngOf(seed);
  const [minChaos, maxChaos] = options.chaosMs ?? defaultChaosMs;
  const [minInstances, maxInstances] = options.instances ?? defaultInstances;
  const instances = r.int(minInstances, maxInstances);
  const maxDelete = r.int(1, 2);
  const settings: ChaosSettings = { instances, maxDelete, maxUnavailable: r.int(1, 2), chaosMs: Math.round(r.int(minChaos, maxChaos) / 100) * 100 };
  const { chaosMs } = settings;
  const initial: InstanceDecl[] = Array.from({ length: instances }, (_, i) => ({ key: `app-${pad(i)}`, name: `app-${pad(i)}`, image: initialImage, description: 'v0', token: 't0' }));

  // one major change per name: draw disjoint sets from a shuffled pool
  const pool = r.shuffle(initial.map((d) => d.name));
  const take = (n: number): string[] => pool.splice(0, n);
  const horizon = Math.floor(chaosMs * 0.8);
  const at = (): number => r.int(0, horizon);
  const timed: TimedOps[] = [];
  for (const name of take(r.int(3, 6))) timed.push({ atMs: at(), ops: [{ kind: 'bump', name, token: `t1-${seed}` }] });
  // recreates come in bursts of 1-3 names in one revision, so that --max-unavailable has to pace them
  const recreates = take(r.int(2, 5));
  while (recreates.length > 0) {
    const burst = recreates.splice(0, r.int(1, 3));
    timed.push({ atMs: at(), ops: burst.map((name) => ({ kind: 'recreate', name, image: `docker:nginx:1.${r.int(26, 29)}` })) });
  }
  for (const name of take(r.int(1, 3))) timed.push({ atMs: at(), ops: [{ kind: 'rename', name, key: `${name}-k2` }] });
  for (const name of take(r.int(1, maxDelete))) timed.push({ atMs: at(), ops: [{ kind: 'delete', name }] });
  if (r.chance(0.5)) {
    const names = take(maxDelete + 1);
    const deletedAt = r.int(0, Math.floor(chaosMs * 0.5));
    timed.push({ atMs: deletedAt, ops: [{ kind: 'mass-delete', names }] });
    // restore: the same declarations as before (no other change touches these names)
    timed.push({ atMs: deletedAt + r.int(2000, 6000), ops: [{ kind: 'restore', decls: initial.filter((d) => names.includes(d.name)) }] });
  }
  for (let i = 0, n = r.int(1, 3); i < n; i++) {
    timed.push({ atMs: at(), ops: [{ kind: 'add', decl: { key: `new-${pad(i)}`, name: `new-${pad(i)}`, image: initialImage, description: 'v0', token: 't0' } }] });
  }
  // description edits: targets are picked once the order is known (any name declared at that moment)
  for (let i = 0, n = r.int(10, 24); i < n; i++) timed.push({ atMs: at(), ops: [{ kind: 'describe', name: '', description: `v${i + 1}` }] });

  const traps = placeTraps(r, chaosMs, take);
  for (const trap of traps) timed.push(...trap.ops);

  const manifestSteps = mergeAndTarget(timed, initial, r);
  const steps: Step[] = [...manifestSteps, ...traps.flatMap((t) => t.steps)];
  for (let t = 0; t < chaosMs; t += r.int(1500, 5000)) {
    // a trap owns the fault plan during its window: the next random plan comes when it ends
    const inside = traps.find((trap) => t >= trap.fromMs && t < trap.toMs);
    if (inside !== undefined) t = inside.toMs;
    if (t < chaosMs) steps.push({ atMs: t, kind: 'faults', plan: randomPlan(r) });
  }
  for (let i = 0, n = r.int(0, 2); i < n; i++) steps.push({ atMs: r.int(0, chaosMs - 1000), kind: 'partition', durationMs: r.int(1000, 4000) });
  for (let i = 0, n = r.int(1, 3); i < n; i++) steps.push({ atMs: r.int(0, chaosMs - 500), kind: 'kill-daemon', downMs: r.int(100, 2000) });
  for (let i = 0, n = r.int(0, 2); i < n; i++) steps.push({ atMs: r.int(0, chaosMs - 500), kind: 'restart-emulator', downMs: r.int(200, 1500) });
  // stable sort: steps at the same time keep the order they were drawn in
  steps.sort((a, b) => a.atMs - b.atMs);
  return { seed, settings, foreign: ['foreign-1', 'foreign-2', 'foreign-3'], initial, steps };
}

/**
 * Orders the timed ops, merges some neighbours into one revision (several changes per commit), and picks
 * the target of each description edit among the names declared at that point.
 */
function mergeAndTarget(timed: TimedOps[], initial: readonly InstanceDecl[], r: Rng): Step[] {
  timed.sort((a, b) => a.atMs - b.atMs);
  const merged: TimedOps[] = [];
  for (const item of timed) {
    const last = merged[merged.length - 1];
    if (last !== undefined && (last.atMs === item.atMs || (item.pinned !== true && r.chance(0.25)))) last.ops.push(...item.ops);
    else merged.push({ atMs: item.atMs, ops: [...item.ops] });
  }
  let decls: readonly InstanceDecl[] = initial;
  return merged.map((step) => {
    const ops = step.ops.map((op): ManifestOp => {
      if (op.kind !== 'describe') return op;
      const target = r.pick(decls).name;
      return { ...op, name: target };
    });
    decls = applyOps(decls, ops);
    return { atMs: step.atMs, kind: 'manifest', ops };
  });
}

/** The declarations after `ops` (in order). Pure; an op on an undeclared name is ignored. */
export function applyOps(decls: readonly InstanceDecl[], ops: readonly ManifestOp[]): InstanceDecl[] {
  let next = [...decls];
  const update = (name: string, change: Partial<InstanceDecl>): void => {
    next = next.map((d) => (d.name === name ? { ...d, ...change } : d));
  };
  for (const op of ops) {
    switch (op.kind) {
      case 'describe':
        update(op.name, { description: op.description });
        break;
      case 'bump':
        update(op.name, { token: op.token });
        break;
      case 'recreate':
        update(op.name, { image: op.image });
        break;
      case 'rename':
        update(op.name, { key: op.key });
        break;
      case 'add':
        next.push(op.decl);
        break;
      case 'delete':
        next = next.filter((d) => d.name !== op.name);
        break;
      case 'mass-delete':
        next = next.filter((d) => !op.names.includes(d.name));
        break;
      case 'restore':
        next.push(...op.decls.filter((d) => !next.some((n) => n.name === d.name)));
        break;
    }
  }
  return next;
}

/** A manifest revision: its folder name (the daemon's `revision`) and what it declares. */
export type Version = Readonly<{ index: number; revision: string; decls: readonly InstanceDecl[] }>;

/** Revision name of the i-th version of a run (the worktree folder the `current` link points at). */
export const revisionName = (index: number): string => `rev-${String(index).padStart(3, '0')}`;

/** Every version a schedule writes: the initial one, then one per manifest step, in order. */
export function versionsOf(schedule: Schedule): Version[] {
  const versions: Version[] = [{ index: 0, revision: revisionName(0), decls: schedule.initial }];
  for (const step of schedule.steps) {
    if (step.kind !== 'manifest') continue;
    const previous = versions[versions.length - 1]!;
    versions.push({ index: versions.length, revision: revisionName(versions.length), decls: applyOps(previous.decls, step.ops) });
  }
  return versions;
}

/** The manifest documents of `decls`, spread over a few files (each file one multi-document YAML). */
export function renderTree(decls: readonly InstanceDecl[], files = 4): Map<string, string> {
  const tree = new Map<string, string>();
  decls.forEach((d, i) => {
    const file = `group-${i % files}.yaml`;
    const doc = [
      'apiVersion: rancher-reconciler/v1',
      'kind: Instance',
      'metadata:',
      `  name: ${d.key}`,
      'spec:',
      `  name: ${d.name}`,
      `  imageUuid: ${d.image}`,
      `  description: ${JSON.stringify(d.description)}`,
      `  restartToken: ${JSON.stringify(d.token)}`,
      '  onImmutableChange: recreate',
      '',
    ].join('\n');
    const before = tree.get(file);
    tree.set(file, before === undefined ? doc : `${before}---\n${doc}`);
  });
  return tree;
}
