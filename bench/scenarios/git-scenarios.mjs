/**
 * Scenarios of the git source (`run --git-url`), with a real `git daemon` on 127.0.0.1 serving a bare
 * repository that a work clone pushes to:
 * - `git-webhook`: push -> first API call when a signed `POST /hooks/generic` follows each push
 *   (`--git-interval 1h`, so only the webhook can trigger);
 * - `git-polling`: the same with no webhook, found by `--git-interval 10s` polls at a random phase;
 * - `git-tree`: a 10,000-file repository with history: cold and warm fetch + parse times, the daemon's
 *   peak RSS, and the local clone's size against the full repository's (it is shallow).
 *
 * Latencies use one clock (every process reads the same system clock, ms resolution): the emulator's log
 * time of the first mutating request for the changed instance minus `Date.now()` just before `git push`
 * ("from the push's start") or just after it returned ("from the push's end"), as the `latency` scenario
 * measures commit-to-first-call.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { emulatorClient, startEmulatorProcess } from '../lib/emulator-process.mjs';
import { atMost, figure, percentile } from '../lib/figures.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { git, makeRepository, postGenericWebhook, repositoryFacts, startGitDaemon, startHttpGitServer, timeGitSteps, treeSize } from '../lib/git.mjs';
import { instanceYaml, makeWorkspace, names } from '../lib/workspace.mjs';

const run = promisify(execFile);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const secret = 'bench-webhook-secret';

/** A small deterministic random (mulberry32), so the polling phases are the same run to run. */
function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The workspace of a git scenario: `ws` (state dir), a bare repository served by `git daemon` and a work
 * clone. Returns `{ ws, repo, gitUrl, server, secretFile, cleanup() }`; the daemon serves only `served/`.
 */
async function gitWorkspace() {
  const ws = await makeWorkspace('rr-bench-git-');
  const repo = await makeRepository({ bare: join(ws.root, 'served', 'manifests.git'), work: join(ws.root, 'work') });
  const secretFile = join(ws.root, 'webhook-secret');
  await writeFile(secretFile, `${secret}\n`);
  let server;
  return {
    ws,
    repo,
    secretFile,
    async serve() {
      server = await startGitDaemon(join(ws.root, 'served'));
      return server.url('manifests.git');
    },
    async cleanup() {
      await server?.stop();
      await ws.cleanup();
    },
  };
}

/**
 * `rancher-reconciler run` on the git source; resolves once the status server is up, with `{ cli, origin,
 * status(), waitInSync(count, ms), lines }`. `lines` collects the log lines the scenarios read.
 */
async function startGitSourceDaemon({ url, gitUrl, ws, args }) {
  const lines = { applied: [], succeeded: [], hooks: [] };
  const daemon = await startDaemon({
    url, ws, source: ['--git-url', gitUrl, '--git-ref', 'main'], startTimeoutMs: 60_000,
    args: ['--qps', '200', '--log-level', 'info', ...args],
    onLine: (e) => {
      if (e.msg === 'commit applied') lines.applied.push(e);
      else if (e.msg === 'action succeeded') lines.succeeded.push(e);
      else if (e.msg === 'webhook push accepted: fetching') lines.hooks.push(e);
    },
  });
  return { ...daemon, lines, origin: new URL(daemon.statusUrl).origin };
}

/** Calls `take()` every 5 ms until `predicate` matches one of the entries it returns; that entry, or throws after `timeoutMs`. */
async function waitFor(what, take, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = take().find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** Instances `app-00000`... one per file `app-00000.yaml` in the work clone. */
async function writeInstances(work, keys, description) {
  for (let i = 0; i < keys.length; i += 200) {
    await Promise.all(keys.slice(i, i + 200).map((name) => writeFile(join(work, `${name}.yaml`), instanceYaml({ name, description: description(name) }))));
  }
}

/**
 * The push loop shared by `git-webhook` and `git-polling`: `pushes` one-file commits (a description), each
 * followed by `afterPush()` (the webhook, or nothing); for each, the emulator's first mutating request on
 * that instance, the daemon's `commit applied` line for the commit, and its `action succeeded` line.
 * `beforePush(i, lastAppliedAt)` runs first (the phase of the polling run; `lastAppliedAt` is the previous
 * push's `commit applied` time, undefined before the first). Returns per-push samples.
 */
async function pushLoop({ emu, daemon, repo, keys, ids, pushes, beforePush, afterPush, timeoutMs }) {
  const samples = [];
  let lastAppliedAt;
  for (let i = 0; i < pushes; i++) {
    await beforePush?.(i, lastAppliedAt);
    const name = keys[i % keys.length];
    await writeFile(join(repo.work, `${name}.yaml`), instanceYaml({ name, description: `push-${i}` }));
    const sha = await repo.commit(`push ${i}`);
    const revision = `main@sha1:${sha}`;
    const seen = { applied: daemon.lines.applied.length, succeeded: daemon.lines.succeeded.length, hooks: daemon.lines.hooks.length };
    emu.takeRequestLog();
    const pushStart = Date.now();
    await repo.push();
    const pushEnd = Date.now();
    await afterPush?.(pushEnd);
    const path = `/v1/containers/${ids.get(name)}`;
    const first = await waitFor(`push ${i}: first mutating request on ${path}`, () => emu.takeRequestLog(), (r) => r.method !== 'GET' && r.path === path, timeoutMs);
    const applied = await waitFor(`push ${i}: 'commit applied' ${revision}`, () => daemon.lines.applied.slice(seen.applied), (e) => e.revision === revision, 5000);
    const succeeded = await waitFor(`push ${i}: 'action succeeded' for ${name}`, () => daemon.lines.succeeded.slice(seen.succeeded), (e) => e.key === name, 5000);
    const hook = daemon.lines.hooks[seen.hooks];
    const phaseMs = lastAppliedAt === undefined ? undefined : pushStart - lastAppliedAt;
    lastAppliedAt = Date.parse(applied.time);
    samples.push({
      phaseMs,
      fromPushStartMs: first.time - pushStart,
      fromPushEndMs: first.time - pushEnd,
      pushMs: pushEnd - pushStart,
      daemonSideMs: Date.parse(succeeded.time) - succeeded.durationMs - pushStart,
      hookMs: hook ? Date.parse(hook.time) - pushEnd : undefined,
      pollMs: applied.durationMs,
      appliedToCallMs: first.time - Date.parse(applied.time),
      reason: applied.reason,
    });
    await sleep(150); // let the update settle before the next push
    emu.takeRequestLog();
  }
  return samples;
}

/** The setup both latency scenarios share: 10 instances in 10 files, pushed, served, converged. */
async function latencySetup(args) {
  const emu = await startEmulatorProcess(['--transition-ms', '100', '--log-level', 'debug'], { keepLog: true });
  const api = emulatorClient(emu.url);
  const gw = await gitWorkspace();
  const keys = names('app', 10);
  await writeInstances(gw.repo.work, keys, (name) => `d-${name}`);
  await gw.repo.commit('initial');
  await gw.repo.push();
  const gitUrl = await gw.serve();
  const daemon = await startGitSourceDaemon({ url: emu.url, gitUrl, ws: gw.ws, args: args(gw) });
  await daemon.waitInSync(keys.length);
  const ids = new Map((await api.listAll()).filter((c) => c.removed == null).map((c) => [c.name, c.id]));
  await sleep(500);
  emu.takeRequestLog();
  return { emu, gw, keys, ids, gitUrl, daemon };
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const ms = (value) => `${Math.round(value)} ms`;
const stepsText = (s) => [s.lsRemoteMs, s.fetchMs, s.checkoutMs, s.spawnMs].map(Math.round).join(' / ');

/** `git-webhook`: 30 pushes, each followed by a signed `POST /hooks/generic`; `--git-interval 1h`. */
export async function runGitWebhook({ quick }) {
  const pushes = quick ? 5 : 30;
  let setup;
  try {
    setup = await latencySetup((gw) => ['--git-interval', '1h', '--webhook-generic-secret-file', gw.secretFile]);
    const { emu, gw, keys, ids, gitUrl, daemon } = setup;
    const samples = await pushLoop({
      emu, daemon, repo: gw.repo, keys, ids, pushes, timeoutMs: 10_000,
      afterPush: async () => {
        const reply = await postGenericWebhook(daemon.origin, secret, { repository: gitUrl, ref: 'refs/heads/main' });
        if (reply.status !== 202 || reply.body?.triggered !== true) throw new Error(`POST /hooks/generic: ${reply.status} ${JSON.stringify(reply.body)}`);
      },
    });
    const nonWebhook = samples.filter((s) => s.reason !== 'webhook').length;
    const steps = await timeGitSteps(gitUrl, gw.ws.root, 5);
    const http = await startHttpGitServer(join(gw.ws.root, 'served'));
    const httpSteps = await timeGitSteps(http.url('manifests.git'), gw.ws.root, 5).finally(() => http.stop());
    const of = (key) => samples.map((s) => s[key]);
    const fromStart = of('fromPushStartMs');
    const fromEnd = of('fromPushEndMs');
    const breakdown = `median push ${ms(percentile(of('pushMs'), 50))}, push end -> webhook accepted ${ms(percentile(of('hookMs'), 50))}, poll (ls-remote + fetch + checkout + parse, the daemon's durationMs) ${ms(percentile(of('pollMs'), 50))}, commit applied -> first call ${ms(percentile(of('appliedToCallMs'), 50))}`;
    return {
      figures: [
        atMost(`git-webhook: push -> first call, p50 over ${pushes} pushes (from the push's start)`, percentile(fromStart, 50), 'ms', 1000, `${breakdown}; daemon-side cross-check p50 ${ms(percentile(of('daemonSideMs'), 50))}${nonWebhook ? `; ${nonWebhook} applied by another trigger` : ''}`),
        figure(`git-webhook: push -> first call, p99 over ${pushes} pushes (from the push's start)`, percentile(fromStart, 99), 'ms', { note: `min ${ms(Math.min(...fromStart))}, max ${ms(Math.max(...fromStart))}` }),
        figure(`git-webhook: push returned -> first call, p50 / p99`, `${Math.round(percentile(fromEnd, 50))} / ${Math.round(percentile(fromEnd, 99))}`, 'ms', { note: 'webhook sent right after the push returned' }),
        figure('git-webhook: git steps by hand, git:// (median of 5 cold runs)', stepsText(steps), 'ms', { note: `ls-remote / fetch --depth 1 / read-tree + checkout-index / one trivial git process (a poll runs 7 of those besides these steps); the same over smart HTTP (git http-backend behind node:http): ${stepsText(httpSteps)} ms` }),
      ],
      raw: { samples, steps, httpSteps },
    };
  } finally {
    await setup?.daemon.cli.stop();
    await setup?.emu.stop();
    await setup?.gw.cleanup();
  }
}

/**
 * `git-polling`: 10 pushes at random phases of `--git-interval 10s` polls, no webhook. A push's phase is
 * its start minus the previous push's `commit applied` (a poll that fetched: the timer is armed then).
 * The phases are stratified (one random point in each tenth of the interval, in a shuffled order), so
 * that 10 samples cover the interval evenly: i.i.d. phases would move the p50 by a second or more run
 * to run. An unmeasured warm-up push first makes the first measured phase known.
 */
export async function runGitPolling({ quick }) {
  const pushes = quick ? 3 : 10;
  const intervalS = quick ? 3 : 10;
  const random = seededRandom(20261127);
  const strata = Array.from({ length: pushes }, (_, k) => (k + random()) / pushes);
  for (let k = strata.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [strata[k], strata[j]] = [strata[j], strata[k]];
  }
  let setup;
  try {
    setup = await latencySetup(() => ['--git-interval', `${intervalS}s`]);
    const { emu, gw, keys, ids, daemon } = setup;
    const all = await pushLoop({
      emu, daemon, repo: gw.repo, keys, ids, pushes: pushes + 1, timeoutMs: intervalS * 1100 + 10_000,
      beforePush: async (i, lastAppliedAt) => {
        if (i === 0) return;
        await sleep(Math.max(0, lastAppliedAt + strata[i - 1] * intervalS * 1000 - Date.now()));
      },
    });
    const samples = all.slice(1);
    const of = (key) => samples.map((s) => s[key]);
    const phases = of('phaseMs');
    const fromStart = of('fromPushStartMs');
    const targetMs = (intervalS * 1000) / 2 + 1000;
    return {
      figures: [
        atMost(`git-polling --git-interval ${intervalS}s: push -> first call, p50 over ${pushes} pushes`, percentile(fromStart, 50), 'ms', targetMs, `mean ${ms(mean(fromStart))} (expected ~interval/2 + poll); phases ${ms(Math.min(...phases))}..${ms(Math.max(...phases))} after the previous fetching poll; poll (ls-remote..parse) median ${ms(percentile(of('pollMs'), 50))}; commit applied -> first call median ${ms(percentile(of('appliedToCallMs'), 50))}; daemon-side cross-check p50 ${ms(percentile(of('daemonSideMs'), 50))}`),
        figure(`git-polling --git-interval ${intervalS}s: push -> first call, p99 over ${pushes} pushes`, percentile(fromStart, 99), 'ms', { note: `min ${ms(Math.min(...fromStart))}, max ${ms(Math.max(...fromStart))}; bound: interval x 1.1 (±10 % jitter) + poll = ${ms(intervalS * 1100 + percentile(of('pollMs'), 50))}` }),
      ],
      raw: { samples, phases, warmUp: all[0] },
    };
  } finally {
    await setup?.daemon.cli.stop();
    await setup?.emu.stop();
    await setup?.gw.cleanup();
  }
}

/** VmHWM (peak RSS) and VmRSS of a live process from /proc, in MB; NaN where /proc is missing. */
function rssOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return { peakMb: NaN, rssMb: NaN };
  }
}

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/**
 * `git-tree`: 10,000 one-instance files with 10 commits of history (each rewriting every file), the
 * emulator pre-populated to match. Figures: the cold start (shallow clone + checkout + parse of the whole
 * tree), warm one-file commits triggered by the webhook, the daemon's peak RSS, and what is on disk.
 */
export async function runGitTree({ quick }) {
  const files = quick ? 2000 : 10_000;
  const history = quick ? 3 : 10;
  const pushes = quick ? 2 : 5;
  const emu = await startEmulatorProcess(['--transition-ms', '10', '--log-level', 'warn']);
  const api = emulatorClient(emu.url);
  const gw = await gitWorkspace();
  let daemon;
  try {
    const keys = names('app', files);
    const description = (version) => (name) => `v${version}-${name}`;
    for (let version = 0; version < history; version++) {
      await writeInstances(gw.repo.work, keys, description(version));
      await gw.repo.commit(`version ${version}`);
    }
    await gw.repo.push();
    await git(gw.repo.bare, ['gc', '--quiet']); // packed, as a hosted repository is
    // the live side already matches HEAD, so the daemon's start is the fetch and parse, not 10,000 writes
    for (let i = 0; i < keys.length; i += 32) {
      await Promise.all(keys.slice(i, i + 32).map(async (name) => {
        const res = await api.post('/containers', { name, description: description(history - 1)(name), imageUuid: 'docker:nginx:1.25', startOnCreate: true });
        if (res.status !== 201) throw new Error(`pre-create ${name}: ${res.status}`);
      }));
    }
    const gitUrl = await gw.serve();
    const spawnedAt = Date.now();
    daemon = await startGitSourceDaemon({ url: emu.url, gitUrl, ws: gw.ws, args: ['--git-interval', '1h', '--webhook-generic-secret-file', gw.secretFile] });
    const initial = await waitFor("the initial 'commit applied'", () => daemon.lines.applied, (e) => e.reason === 'initial', 120_000);
    const coldWallMs = Date.parse(initial.time) - spawnedAt;
    await daemon.waitInSync(files, 300_000, 250);
    const warm = [];
    for (let i = 0; i < pushes; i++) {
      const name = keys[i];
      await writeFile(join(gw.repo.work, `${name}.yaml`), instanceYaml({ name, description: `push-${i}` }));
      const sha = await gw.repo.commit(`push ${i}`);
      const seen = daemon.lines.applied.length;
      const pushStart = Date.now();
      await gw.repo.push();
      const reply = await postGenericWebhook(daemon.origin, secret, { repository: gitUrl, ref: 'refs/heads/main' });
      if (reply.status !== 202 || reply.body?.triggered !== true) throw new Error(`POST /hooks/generic: ${reply.status} ${JSON.stringify(reply.body)}`);
      const applied = await waitFor(`push ${i}: 'commit applied'`, () => daemon.lines.applied.slice(seen), (e) => e.revision === `main@sha1:${sha}`, 60_000);
      warm.push({ durationMs: applied.durationMs, wallMs: Date.parse(applied.time) - pushStart, changed: applied.changed });
      await daemon.waitInSync(files, 60_000, 250);
    }
    const rss = rssOf(daemon.cli.child.pid);
    const local = join(gw.ws.state, 'git', 'repo.git');
    const [localSize, fullSize, treesSize, localFacts, fullFacts] = await Promise.all([
      treeSize(local), treeSize(gw.repo.bare), treeSize(join(gw.ws.state, 'git', 'trees')),
      repositoryFacts(local, 'refs/reconciler/fetched'), repositoryFacts(gw.repo.bare, 'refs/heads/main'),
    ]);
    const fullCloneStart = performance.now();
    await git(gw.ws.root, ['clone', '--quiet', '--bare', gitUrl, join(gw.ws.root, 'full-clone.git')]);
    const fullCloneMs = performance.now() - fullCloneStart;
    const steps = await timeGitSteps(gitUrl, gw.ws.root, 3);
    // the parse alone: loadTree on the daemon's current tree, in a fresh process (as plan-tree measures it)
    const worker = fileURLToPath(new URL('./load-tree-worker.mjs', import.meta.url));
    const parse = JSON.parse((await run(process.execPath, [worker, join(gw.ws.state, 'git', 'current')])).stdout);
    const warmDuration = warm.map((w) => w.durationMs);
    const warmWall = warm.map((w) => w.wallMs);
    return {
      figures: [
        figure(`git-tree ${files} files: cold start, shallow clone + checkout + parse (the initial 'commit applied' durationMs)`, initial.durationMs / 1000, 's', { note: `process spawn -> applied ${(coldWallMs / 1000).toFixed(2)} s; by hand (median of 3): ls-remote ${ms(steps.lsRemoteMs)}, shallow fetch ${ms(steps.fetchMs)}, read-tree + checkout-index ${ms(steps.checkoutMs)}; loadTree alone on that tree ${ms(parse.parseMs)} (a fresh process); a full \`git clone --bare\` (all ${history + pushes} commits) takes ${ms(fullCloneMs)}` }),
        figure(`git-tree ${files} files: a new one-file commit, fetch + checkout + parse (durationMs), median of ${pushes}`, percentile(warmDuration, 50) / 1000, 's', { note: `max ${(Math.max(...warmDuration) / 1000).toFixed(2)} s; push start -> 'commit applied' (webhook) median ${(percentile(warmWall, 50) / 1000).toFixed(2)} s; ${warm[0]?.changed ?? '?'} key changed per commit, yet every commit's whole tree is checked out and parsed` }),
        figure(`git-tree ${files} files: daemon peak RSS`, rss.peakMb, 'MB', { note: `VmHWM of the node process from /proc (git's own processes not included); ${Math.round(rss.rssMb)} MB at the end, ${files} instances managed` }),
        figure(`git-tree ${files} files: local clone vs full repository`, `${mb(localSize.bytes)} / ${mb(fullSize.bytes)}`, '', { note: `local: ${localFacts.commits} commit reachable (shallow ${localFacts.shallow}), ${localFacts.objects} objects, after ${pushes + 1} fetches; full: ${fullFacts.commits} commits, ${fullFacts.objects} objects, packed by git gc` }),
        figure(`git-tree ${files} files: checked-out trees on disk`, treesSize.bytes / 2 ** 20, 'MB', { note: `${treesSize.files} files (the current tree and the one before it; apparent size, each file also takes a disk block)` }),
      ],
      raw: { initial, coldWallMs, warm, rss, localSize, fullSize, treesSize, localFacts, fullFacts, fullCloneMs, steps, parse },
    };
  } finally {
    await daemon?.cli.stop();
    await emu.stop();
    await gw.cleanup();
  }
}
