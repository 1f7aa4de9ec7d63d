/**
 * The chaos invariants, checked from what the emulator saw (its request log and container store, plus
 * samples of the store taken during the run) and from the daemon's final `/status`. Pure: no I/O, no
 * clock. Every rule says what README.md promises and how it is measured; see RELIABILITY.md.
 *
 * Times: request `at` values are ms on the emulator's clock (Date.now() of a process on this machine),
 * version swap times and sample times are ms on the runner's clock: the same clock. The store's own
 * timestamps (`created`, `firstRunning`, `removed`) are floored to whole seconds, as Rancher renders them,
 * so the timeline uses request arrivals and samples instead.
 */
import type { RequestLogEntry } from '../../src/emulator/request-log.js';
import type { RawContainer } from '../../src/emulator/store.js';
import type { InstanceDecl, Schedule, Version } from './schedule.js';

/** A request log entry of one emulator incarnation; `lost` when it was still pending as that emulator stopped. */
export type LoggedRequest = RequestLogEntry & Readonly<{ incarnation: number; lost?: boolean }>;

/** One sample of the store: per container id, its name, state, image and whether it is removed. */
export type Sample = Readonly<{ at: number; containers: readonly SampledContainer[] }>;
export type SampledContainer = Readonly<{ id: string; name: string | null; state: string; image: string | null; removed: boolean }>;

/** The daemon's `/status` document (the fields checked). */
export type StatusDoc = Readonly<{
  revision: string | null;
  ready: boolean;
  complete: boolean;
  instances: readonly Readonly<{ name: string; id: string | null; phase: string; reason: string; message: string; notices?: readonly string[] }>[];
  removalsRefused: unknown;
}>;

/** A line of the daemon's log the report uses (`msg` plus a few fields). */
export type DaemonEvent = Readonly<{ at: number; incarnation: number; msg: string; key?: string; revision?: string; token?: string; action?: string; instanceId?: string; durationMs?: number }>;

/** A version as written: what it declares and when the `current` link was swapped to it. */
export type WrittenVersion = Version & Readonly<{ swappedAt: number }>;

export type Observations = Readonly<{
  schedule: Schedule;
  /** Every version in write order; [0] is the initial tree. */
  versions: readonly WrittenVersion[];
  requests: readonly LoggedRequest[];
  /** The final raw store (removed and purged containers included). */
  containers: readonly RawContainer[];
  /** The foreign containers as they were before the daemon started. */
  foreign: readonly RawContainer[];
  samples: readonly Sample[];
  status: StatusDoc | undefined;
  daemonEvents: readonly DaemonEvent[];
  /** Windows in which the emulator was stopped (connections refused). */
  emulatorDown: readonly Readonly<{ from: number; to: number }>[];
}>;

/** One broken rule; `cause` names a recognised mechanism (for tallies over many seeds). */
export type Violation = Readonly<{ invariant: string; message: string; cause?: string; evidence?: unknown }>;

export type Stats = {
  restarts: number;
  restartsWithLostAnswer: number;
  /** Of those, the ones whose every lost request was answered 5xx without being processed. */
  restartsSkippedOn5xx: number;
  prunes: number;
  recreates: number;
  twinsRemoved: number;
  maxRecreateDown: number;
  requests: number;
  faulted: number;
  notes: string[];
};

export type CheckResult = Readonly<{ violations: Violation[]; stats: Stats }>;

const createdByLabel = 'rancher-reconciler.created-by';
const goneStates: ReadonlySet<string> = new Set(['removing', 'removed', 'purging', 'purged']);
/** States in which a container serves: `updating-running` is a description change on a running one. */
const upStates: ReadonlySet<string> = new Set(['running', 'updating-running']);
const mutating: ReadonlySet<string> = new Set(['POST', 'PUT', 'DELETE']);

const isLive = (c: RawContainer): boolean => c.removed === null && !goneStates.has(c.state);
const isOurs = (c: RawContainer): boolean => c.labels[createdByLabel] === 'rancher-reconciler';
const imageOf = (c: RawContainer): string | null => (typeof c.fields['imageUuid'] === 'string' ? c.fields['imageUuid'] : null);
const brief = (r: LoggedRequest): string =>
  `#${r.incarnation}.${r.seq} ${r.method} ${r.path}${r.action === null ? '' : `?action=${r.action}`} at=${r.at} status=${r.status} committed=${r.committed}${r.lost === true ? ' (lost: emulator stopped)' : ''} fault=${r.fault}`;

/** Whether a request on a container removes it: stop (stop{remove} is only told apart by its body), remove, DELETE. */
const isRemoval = (r: LoggedRequest): boolean => (r.method === 'POST' && (r.action === 'stop' || r.action === 'remove')) || r.method === 'DELETE';
/** The client got no definite answer and the API did not process it (README: "the answer to a restart is lost"). */
const answerLost = (r: LoggedRequest): boolean =>
  !r.committed && (r.lost === true || r.status === 'dropped' || r.status === 'hung' || (typeof r.status === 'number' && r.status >= 500));

/** The version in force at `t` (the last one swapped in at or before `t`). */
function versionAt(versions: readonly WrittenVersion[], t: number): WrittenVersion {
  let found = versions[0]!;
  for (const v of versions) if (v.swappedAt <= t) found = v;
  return found;
}

const declOf = (v: Version, name: string): InstanceDecl | undefined => v.decls.find((d) => d.name === name);

/** Whether `/status` shows the daemon converged on `last`: ready, complete, every declared key in sync, nothing else. */
export function daemonConverged(status: StatusDoc | undefined, last: Version): { ok: boolean; why: string } {
  if (status === undefined) return { ok: false, why: 'no /status answer' };
  if (status.revision !== last.revision) return { ok: false, why: `revision ${status.revision}, want ${last.revision}` };
  if (!status.ready || !status.complete) return { ok: false, why: `ready=${status.ready} complete=${status.complete}` };
  const want = last.decls.map((d) => d.key).sort();
  const got = status.instances.map((i) => i.name).sort();
  if (JSON.stringify(want) !== JSON.stringify(got)) return { ok: false, why: `keys differ: missing ${want.filter((k) => !got.includes(k)).join(',') || '-'}, extra ${got.filter((k) => !want.includes(k)).join(',') || '-'}` };
  const behind = status.instances.filter((i) => i.phase !== 'in-sync');
  if (behind.length > 0) return { ok: false, why: behind.map((i) => `${i.name}: ${i.phase}/${i.reason} ${i.message}`).join('; ') };
  return { ok: true, why: '' };
}

/**
 * Whether the store matches `last`: exactly one live container per declared name, running with the
 * declared image and description; no live container of ours under any other name; foreign ones untouched.
 */
export function storeProblems(containers: readonly RawContainer[], last: Version, foreign: readonly RawContainer[]): Violation[] {
  const problems: Violation[] = [];
  const foreignIds = new Set(foreign.map((f) => f.id));
  const live = containers.filter((c) => isLive(c) && !foreignIds.has(c.id));
  for (const d of last.decls) {
    const mine = live.filter((c) => c.name === d.name);
    if (mine.length !== 1) {
      problems.push({ invariant: 'one-container-per-name', message: `${d.name}: ${mine.length} live containers, want 1`, evidence: mine.map((c) => ({ id: c.id, state: c.state, image: imageOf(c), labels: c.labels })) });
      continue;
    }
    const c = mine[0]!;
    if (c.state !== 'running' || imageOf(c) !== d.image || c.description !== d.description) {
      problems.push({ invariant: 'converged', message: `${d.name} (${c.id}): state ${c.state}, image ${imageOf(c)}, description ${JSON.stringify(c.description)}; want running, ${d.image}, ${JSON.stringify(d.description)}` });
    }
  }
  const declared = new Set(last.decls.map((d) => d.name));
  for (const c of live) {
    if (!declared.has(c.name ?? '')) problems.push({ invariant: 'no-leftover', message: `${c.id} "${c.name}" is live but no manifest declares it (deleted name or surplus twin)`, evidence: { state: c.state, labels: c.labels } });
  }
  for (const before of foreign) {
    const after = containers.find((c) => c.id === before.id);
    if (after === undefined || !isLive(after) || after.state !== before.state || after.name !== before.name || after.description !== before.description || after.startCount !== before.startCount) {
      problems.push({ invariant: 'foreign-untouched', message: `foreign ${before.id} "${before.name}" changed`, evidence: { before: { state: before.state, startCount: before.startCount }, after: after && { state: after.state, removed: after.removed, startCount: after.startCount, description: after.description } } });
    }
  }
  return problems;
}

/** Runs every invariant over one run's observations. */
export function checkInvariants(obs: Observations): CheckResult {
  const stats: Stats = { restarts: 0, restartsWithLostAnswer: 0, restartsSkippedOn5xx: 0, prunes: 0, recreates: 0, twinsRemoved: 0, maxRecreateDown: 0, requests: obs.requests.length, faulted: obs.requests.filter((r) => r.fault !== null).length, notes: [] };
  const last = obs.versions[obs.versions.length - 1]!;
  const violations: Violation[] = [];
  const converged = daemonConverged(obs.status, last);
  if (!converged.ok) violations.push({ invariant: 'converged', message: `daemon /status not converged: ${converged.why}` });
  violations.push(...storeProblems(obs.containers, last, obs.foreign));
  violations.push(...checkForeign(obs));
  violations.push(...checkRestarts(obs, stats));
  violations.push(...checkRecreatePacing(obs, stats));
  violations.push(...checkRemovals(obs, stats));
  stats.twinsRemoved = obs.daemonEvents.filter((e) => e.msg === 'surplus twin removed').length;
  return { violations, stats };
}

/** No mutating request (PUT, DELETE, POST action) ever targets a foreign container: committed or merely sent. */
function checkForeign(obs: Observations): Violation[] {
  const ids = new Set(obs.foreign.map((f) => f.id));
  const hits = obs.requests.filter((r) => r.containerId !== null && ids.has(r.containerId) && mutating.has(r.method) && !(r.method === 'POST' && r.path === '/v1/containers'));
  return hits.map((r) => ({
    invariant: 'foreign-untouched',
    message: `${r.committed ? 'committed' : 'attempted'} ${r.method}${r.action === null ? '' : ` ${r.action}`} on foreign container ${r.containerId}`,
    evidence: brief(r),
  }));
}

/** The requests on containers named `name` (by the store's name of the target id). */
function requestsOnName(obs: Observations, name: string): LoggedRequest[] {
  const ids = new Set(obs.containers.filter((c) => c.name === name).map((c) => c.id));
  return obs.requests.filter((r) => r.containerId !== null && ids.has(r.containerId) && !(r.method === 'POST' && r.path === '/v1/containers'));
}

/**
 * README "Safety rules": exactly one restart per restartToken value, never sent twice; zero only in the
 * rare case the answer was lost and the request never arrived. Every name gets at most one bump, so a
 * name's restarts after its bump are that token's. Counted from committed `restart` requests, checked
 * against each container's `startCount` (a restart that reaches running adds one).
 */
function checkRestarts(obs: Observations, stats: Stats): Violation[] {
  const violations: Violation[] = [];
  const names = new Set(obs.versions.flatMap((v) => v.decls.map((d) => d.name)));
  for (const name of names) {
    const bump = obs.versions.find((v) => {
      const d = declOf(v, name);
      return d !== undefined && d.token !== 't0';
    });
    const restarts = requestsOnName(obs, name).filter((r) => r.method === 'POST' && r.action === 'restart');
    const committed = restarts.filter((r) => r.committed);
    stats.restarts += committed.length;
    const before = bump === undefined ? committed : committed.filter((r) => r.at < bump.swappedAt);
    if (before.length > 0) {
      violations.push({ invariant: 'restart-per-token', message: `${name}: ${before.length} restart(s) without a token change`, evidence: before.map(brief) });
    }
    let storeRestarts = 0;
    for (const c of obs.containers.filter((k) => k.name === name && isOurs(k))) {
      const starts = obs.requests.filter((r) => r.containerId === c.id && r.method === 'POST' && r.action === 'start' && r.committed).length;
      const extra = c.startCount - (c.firstRunning === null ? 0 : 1) - starts;
      const logged = committed.filter((r) => r.containerId === c.id).length;
      storeRestarts += Math.max(0, extra);
      if (extra !== logged && !(extra < logged && obs.requests.some((r) => r.containerId === c.id && r.lost === true))) {
        stats.notes.push(`${name} ${c.id}: startCount says ${extra} restart(s), the log ${logged}`);
      }
      if (extra > 1) violations.push({ invariant: 'restart-per-token', cause: 'restart-sent-twice', message: `${name} ${c.id}: startCount ${c.startCount} means ${extra} restarts; at most 1 per token`, evidence: restarts.map(brief) });
    }
    if (bump === undefined) continue;
    const after = committed.filter((r) => r.at >= bump.swappedAt);
    if (after.length > 1) {
      violations.push({ invariant: 'restart-per-token', cause: 'restart-sent-twice', message: `${name}: token bumped once (${bump.revision}), restarted ${after.length} times`, evidence: restarts.filter((r) => r.at >= bump.swappedAt).map(brief) });
    } else if (after.length === 0 && storeRestarts <= before.length) {
      violations.push(...zeroRestarts(obs, name, bump, restarts, stats));
    }
  }
  return violations;
}

/**
 * A bumped name that was never restarted. README "Safety rules": only a call that certainly did nothing
 * is sent again; the rare case (the request lost before Rancher processed it: a timeout or a reset on
 * the way in) leaves the count as it was and the instance shows the notice `restart for token "T" is not
 * confirmed`. So zero restarts are legal only with that notice in the final /status; the cause names
 * what the log shows otherwise.
 */
function zeroRestarts(obs: Observations, name: string, bump: WrittenVersion, restarts: readonly LoggedRequest[], stats: Stats): Violation[] {
  const last = obs.versions[obs.versions.length - 1]!;
  const key = declOf(last, name)?.key;
  const noticed = obs.status?.instances.some((i) => i.name === key && (i.notices ?? []).some((n) => n.includes('not confirmed'))) ?? false;
  const lost = restarts.filter((r) => r.at >= bump.swappedAt && answerLost(r));
  if (noticed) {
    stats.restartsWithLostAnswer += 1;
    if (lost.length > 0 && lost.every((r) => typeof r.status === 'number')) stats.restartsSkippedOn5xx += 1;
    stats.notes.push(`${name}: token bump ${bump.revision} not applied, shown as not confirmed (${lost.map(brief).join('; ') || 'no request reached the emulator'})`);
    return [];
  }
  const taken = obs.daemonEvents.filter((e) => e.msg === 'action succeeded' && e.action === 'restart' && e.key === key && e.at >= bump.swappedAt);
  const refused = taken.filter((e) => obs.emulatorDown.some((w) => w.from <= e.at && e.at - (e.durationMs ?? 0) <= w.to));
  const [cause, why] = lost.length > 0
    ? ['restart-lost-without-notice', `its request was lost before it was processed (${lost.map((r) => r.fault ?? r.status).join(', ')}) and /status shows no "not confirmed" notice`]
    : refused.length > 0
      ? ['restart-taken-as-done-on-refused-connection', 'the daemon logged the restart as done although its call overlapped an emulator restart (connection refused: no request reached Rancher)']
      : ['restart-never-sent', 'no restart request reached the emulator'];
  return [{
    invariant: 'restart-per-token', cause,
    message: `${name}: token bumped while running (${bump.revision} at ${bump.swappedAt}) but never restarted: ${why}`,
    evidence: { requests: restarts.map(brief), daemon: taken, notices: obs.status?.instances.find((i) => i.name === key)?.notices ?? null, emulatorDown: obs.emulatorDown },
  }];
}

/**
 * `--max-unavailable`: at no sample are more declared instances down because of a recreate. A name is
 * down because of its recreate from the swap of the version that changed its image until a container
 * with the new image is first seen up; it counts at a sample when none of its containers is up there.
 * Samples are snapshots of the store (the admin route is never faulted), so a count above the limit is
 * a certain violation; overlaps shorter than the sampling interval can be missed.
 */
function checkRecreatePacing(obs: Observations, stats: Stats): Violation[] {
  const recreates: { name: string; from: number; image: string; doneAt: number }[] = [];
  const first = obs.versions[0]!;
  for (const d of first.decls) {
    const changed = obs.versions.find((v) => declOf(v, d.name) !== undefined && declOf(v, d.name)!.image !== d.image);
    if (changed === undefined) continue;
    const image = declOf(changed, d.name)!.image;
    const done = obs.samples.find((s) => s.at >= changed.swappedAt && s.containers.some((c) => c.name === d.name && !c.removed && c.image === image && upStates.has(c.state)));
    recreates.push({ name: d.name, from: changed.swappedAt, image, doneAt: done?.at ?? Number.POSITIVE_INFINITY });
  }
  stats.recreates = recreates.length;
  const limit = obs.schedule.settings.maxUnavailable;
  let worst: { at: number; names: string[] } = { at: 0, names: [] };
  for (const s of obs.samples) {
    const down = recreates.filter((r) => r.from <= s.at && s.at < r.doneAt && !s.containers.some((c) => c.name === r.name && !c.removed && upStates.has(c.state)));
    if (down.length > worst.names.length) worst = { at: s.at, names: down.map((r) => r.name) };
  }
  stats.maxRecreateDown = worst.names.length;
  if (worst.names.length <= limit) return [];
  const sample = obs.samples.find((s) => s.at === worst.at);
  return [{
    invariant: 'max-unavailable',
    message: `${worst.names.length} declared instances down at once because of a recreate (${worst.names.join(', ')}) at ${worst.at}; --max-unavailable ${limit}`,
    evidence: {
      sample: sample?.containers.filter((c) => worst.names.includes(c.name ?? '')),
      removals: worst.names.flatMap((n) => requestsOnName(obs, n).filter(isRemoval).map(brief)),
    },
  }];
}

/**
 * Removals: each committed removal of one of our containers must be a recreate (its image differs from
 * the declared one), a surplus twin (another live container of ours has the name) or a prune of a name
 * no manifest declares. A prune must come from a revision whose orphans fit `--max-delete`: some version
 * between the name's deletion and the removal had at most that many declared-before names with live
 * containers of ours (the daemon's own count can only be larger, so this never flags a legal removal).
 */
function checkRemovals(obs: Observations, stats: Stats): Violation[] {
  const violations: Violation[] = [];
  const byId = new Map(obs.containers.map((c) => [c.id, c]));
  const removals = obs.requests.filter((r) => r.committed && r.containerId !== null && isRemoval(r) && byId.get(r.containerId) !== undefined && isOurs(byId.get(r.containerId)!));
  const removedAt = new Map<string, number>();
  for (const r of removals) if (!removedAt.has(r.containerId!)) removedAt.set(r.containerId!, r.at);
  const createdAt = new Map<string, number>();
  for (const r of obs.requests) if (r.committed && r.method === 'POST' && r.path === '/v1/containers' && r.containerId !== null && !createdAt.has(r.containerId)) createdAt.set(r.containerId, r.at);
  const liveAt = (c: RawContainer, t: number): boolean => (createdAt.get(c.id) ?? c.created) <= t && (removedAt.get(c.id) ?? Number.POSITIVE_INFINITY) > t && (c.removed === null || c.removed + 1000 > t);
  const pruned = new Set<string>();
  for (const r of removals) {
    const c = byId.get(r.containerId!)!;
    const name = c.name ?? '';
    const v = versionAt(obs.versions, r.at);
    const d = declOf(v, name);
    if (d !== undefined) {
      if (imageOf(c) !== d.image) continue; // a recreate
      if (obs.containers.some((o) => o.id !== c.id && o.name === name && isOurs(o) && liveAt(o, r.at))) continue; // a surplus twin
      violations.push({ invariant: 'no-removal-of-declared', message: `${c.id} "${name}" removed while ${v.revision} declares it with the same image`, evidence: brief(r) });
      continue;
    }
    if (!pruned.has(name)) {
      pruned.add(name);
      stats.prunes += 1;
    }
    const lastDeclared = [...obs.versions].reverse().find((x) => x.swappedAt <= r.at && declOf(x, name) !== undefined);
    const candidates = obs.versions.filter((x) => x.swappedAt <= r.at && lastDeclared !== undefined && x.index > lastDeclared.index);
    const orphanCounts = candidates.map((x) => {
      const next = obs.versions[x.index + 1];
      const t = Math.min(next?.swappedAt ?? Number.POSITIVE_INFINITY, r.at) - 1;
      const everDeclared = new Set(obs.versions.filter((y) => y.index < x.index).flatMap((y) => y.decls.map((e) => e.name)));
      const orphans = [...everDeclared].filter((n) => declOf(x, n) === undefined && obs.containers.some((o) => o.name === n && isOurs(o) && liveAt(o, t)));
      return { revision: x.revision, orphans };
    });
    if (!orphanCounts.some((o) => o.orphans.length <= obs.schedule.settings.maxDelete)) {
      violations.push({
        invariant: 'delete-budget',
        message: `${c.id} "${name}" pruned although every revision since its deletion had more orphans than --max-delete ${obs.schedule.settings.maxDelete}`,
        evidence: { request: brief(r), revisions: orphanCounts },
      });
    }
  }
  return violations;
}
