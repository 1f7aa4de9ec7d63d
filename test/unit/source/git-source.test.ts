/**
 * GitSource's decisions with the git plumbing injected (a scripted GitMirrorPort) and a manual clock:
 * when it fetches, what a failure changes (nothing but the condition), the backoff while failing, one
 * log line per change of condition, coalescing of triggers, and the revision format.
 * The real git plumbing is tested against real servers in test/integration/source.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from '../../../src/errors.js';
import { DesiredStore } from '../../../src/manifest/store.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { GitSource, type GitMirrorPort } from '../../../src/source/git-source.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { instanceYaml } from '../../helpers/manifest-tree.js';

const shaA = 'a'.repeat(40);
const shaB = 'b'.repeat(40);

/** A mirror whose remote is a variable: `head` (or an error to throw), trees written as real folders. */
class ScriptedMirror implements GitMirrorPort {
  head: string | GitError = shaA;
  fetches: string[] = [];
  resolves = 0;
  readonly trees = new Map<string, Record<string, string>>();
  constructor(readonly root: string) {}

  async resolve(): Promise<{ kind: 'branch'; name: string; ref: string; commit: string }> {
    this.resolves += 1;
    if (this.head instanceof GitError) throw this.head;
    return { kind: 'branch', name: 'main', ref: 'refs/heads/main', commit: this.head };
  }
  async fetch(resolved: { commit: string }): Promise<void> {
    this.fetches.push(resolved.commit);
  }
  async commitInfo(commit: string): Promise<{ commit: string; time: string; author: string; subject: string }> {
    return { commit, time: '2026-12-01T10:00:00Z', author: 'Ann <ann@example.com>', subject: `commit ${commit.slice(0, 4)}` };
  }
  async checkout(commit: string): Promise<string> {
    const dir = join(this.root, commit);
    await mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(this.trees.get(commit) ?? {})) await writeFile(join(dir, name), text);
    return dir;
  }
}

describe('GitSource', () => {
  let root: string | undefined;
  let source: GitSource | undefined;
  afterEach(async () => {
    await source?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  async function setup(intervalMs = 60_000) {
    root = await mkdtemp(join(tmpdir(), 'rr-git-source-'));
    const mirror = new ScriptedMirror(root);
    mirror.trees.set(shaA, { 'a.yaml': instanceYaml({ name: 'web-1' }) });
    mirror.trees.set(shaB, { 'a.yaml': instanceYaml({ name: 'web-1' }) + '---\n' + instanceYaml({ name: 'web-2' }) });
    const clock = new ManualClock();
    const store = new DesiredStore();
    const metrics = createMetrics({ defaultMetrics: false });
    const { log, sink } = captureLogger('debug');
    const events: { revision: string; changed: number; seenAtMs?: number }[] = [];
    source = new GitSource({ mirror, url: 'https://user@git.example/org/repo.git', ref: undefined, path: '', intervalMs, store, log, clock, metrics: metrics.source, random: () => 0.5 });
    source.onSnapshot((e) => events.push({ revision: e.revision, changed: e.changed.size, ...(e.seenAtMs === undefined ? {} : { seenAtMs: e.seenAtMs }) }));
    return { mirror, clock, store, metrics, sink, events, source };
  }

  /** Fires due timers and lets the poll they start finish (the poll awaits real file I/O). */
  async function tick(clock: ManualClock, s: GitSource, ms: number): Promise<void> {
    clock.advance(ms);
    await s.reload('manual').catch(() => undefined);
  }

  it('applies the first commit with a Flux-style revision and the commit in /status', async () => {
    const { store, events, source: s, metrics } = await setup();
    await s.start();
    expect(events).toEqual([{ revision: `main@sha1:${shaA}`, changed: 1, seenAtMs: expect.any(Number) }]);
    expect(store.keys()).toEqual(['web-1']);
    expect(s.status()).toMatchObject({
      kind: 'git', url: 'https://git.example/org/repo.git', ref: 'main', revision: `main@sha1:${shaA}`, commit: shaA,
      author: 'Ann <ann@example.com>', subject: 'commit aaaa', ready: true, lastError: null,
    });
    expect(s.watchedRef()).toEqual({ ref: 'refs/heads/main', pinned: false });
    expect(await metrics.render()).toContain(`rancher_reconciler_source_info{kind="git",url="https://git.example/org/repo.git",ref="refs/heads/main",commit="${shaA}"} 1`);
  });

  it('fetches only when ls-remote shows another commit', async () => {
    const { mirror, clock, events, source: s } = await setup(10_000);
    await s.start();
    await tick(clock, s, 11_000);
    expect(mirror.resolves).toBeGreaterThanOrEqual(2);
    expect(mirror.fetches).toEqual([shaA]);
    mirror.head = shaB;
    await tick(clock, s, 11_000);
    expect(mirror.fetches).toEqual([shaA, shaB]);
    expect(events.map((e) => e.revision)).toEqual([`main@sha1:${shaA}`, `main@sha1:${shaB}`]);
  });

  it('a failing remote changes nothing, says so once, and recovers', async () => {
    const { mirror, clock, store, sink, events, source: s, metrics } = await setup(10_000);
    await s.start();
    mirror.head = new GitError('auth', 'git ls-remote https://git.example/org/repo.git: HTTP 401');
    for (let i = 0; i < 4; i += 1) await tick(clock, s, 400_000);
    expect(store.keys()).toEqual(['web-1']);
    expect(store.revision).toBe(`main@sha1:${shaA}`);
    expect(events).toHaveLength(1);
    expect(s.status()).toMatchObject({ ready: false, revision: `main@sha1:${shaA}`, lastError: { reason: 'auth', message: expect.stringContaining('HTTP 401') } });
    expect(s.notReadyReason()).toBe(`git source not ready (auth): git ls-remote https://git.example/org/repo.git: HTTP 401; keeping main@sha1:${shaA}`);
    expect(sink.lines.filter((l) => l.msg === 'git source not ready')).toHaveLength(1);
    const text = await metrics.render();
    expect(text).toContain('rancher_reconciler_source_ready 0');
    expect(text).toMatch(/rancher_reconciler_git_fetch_errors_total\{reason="auth"\} [4-9]/);
    mirror.head = shaB;
    await tick(clock, s, 400_000);
    expect(s.status()).toMatchObject({ ready: true, revision: `main@sha1:${shaB}`, lastError: null });
    expect(sink.lines.filter((l) => l.msg === 'git source ready again')).toHaveLength(1);
    expect(await metrics.render()).toContain('rancher_reconciler_source_ready 1');
  });

  it('backs off exponentially while failing, up to max(interval, 5 min), then polls on the interval again', async () => {
    const { mirror, clock, source: s } = await setup(10_000);
    mirror.head = new GitError('unreachable', 'git ls-remote: Connection refused');
    await s.start();
    const gaps: number[] = [];
    let last = clock.now();
    let seen = mirror.resolves;
    // step the clock 1 s at a time and record when each failing poll happened
    for (let step = 0; step < 1500 && gaps.length < 9; step += 1) {
      clock.advance(1000);
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
      if (mirror.resolves > seen) {
        gaps.push(Math.round((clock.now() - last) / 1000));
        last = clock.now();
        seen = mirror.resolves;
      }
    }
    // min(10 s, 5 s) doubling with ±20 % jitter (random 0.5 = no jitter): 5, 10, 20, 40, 80, 160, 300, 300 s
    expect(gaps.slice(0, 8)).toEqual([5, 10, 20, 40, 80, 160, 300, 300]);
    mirror.head = shaA;
    await s.reload('webhook');
    expect(s.status().ready).toBe(true);
    seen = mirror.resolves;
    clock.advance(10_000);
    await new Promise((r) => setImmediate(r));
    expect(mirror.resolves).toBe(seen + 1);
  });

  it('coalesces triggers that arrive during a poll into one more poll', async () => {
    const { mirror, source: s } = await setup();
    await s.start();
    const before = mirror.resolves;
    const all = [s.reload('webhook'), s.reload('webhook'), s.reload('webhook'), s.reload('manual')];
    s.trigger();
    await Promise.all(all);
    await s.reload('manual');
    // the first reload started a poll; the others merged into one after it; the last reload is one more
    expect(mirror.resolves - before).toBeLessThanOrEqual(3);
    expect(mirror.resolves - before).toBeGreaterThanOrEqual(2);
  });

  it('a pinned commit is a `sha1:` revision and no push can match it', async () => {
    root = await mkdtemp(join(tmpdir(), 'rr-git-source-'));
    const mirror = new ScriptedMirror(root);
    mirror.resolve = async () => ({ kind: 'commit', name: shaA, ref: shaA, commit: shaA }) as never;
    const store = new DesiredStore();
    source = new GitSource({ mirror, url: 'https://git.example/r.git', ref: shaA, path: '', intervalMs: 0, store, log: captureLogger().log });
    await source.start();
    expect(store.revision).toBe(`sha1:${shaA}`);
    expect(source.watchedRef()).toEqual({ ref: undefined, pinned: true });
  });
});
