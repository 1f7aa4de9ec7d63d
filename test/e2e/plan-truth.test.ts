/**
 * `plan` is the truth: for each situation of a small corpus, the Rancher calls `plan --prune` lists are
 * exactly the calls `apply --prune` then makes, as the emulator's request log saw them; `plan`'s exit code
 * predicts `apply`'s. Plus: plan shows values but never secrets, and plan (the built CLI, a real process)
 * survives a transient API error.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorHandle, RequestLogEntry } from '../../src/emulator/emulator.js';
import { keyLabel } from '../../src/domain/ownership.js';
import { runCli, spawnCli, stopAllClis, type CliResult } from '../helpers/cli.js';
import { get, post, startTestEmulator, waitForResource } from '../helpers/emulator.js';
import { makeWorkspace, writeManifestFile, type InstanceDoc } from '../helpers/manifest-tree.js';

type Workspace = Awaited<ReturnType<typeof makeWorkspace>>;
type Container = { id: string; uuid: string; name: string | null; state: string; description: string | null; transitioning?: string };

/** `--timeout` of every apply run here. */
const applyTimeoutSec = 60;
/** Jest timeout of a test with `applies` apply runs in sequence, plus plan runs and checks on a loaded 2-core machine. */
const budget = (applies: number): number => applies * (applyTimeoutSec * 1000 + 30_000) + 60_000;

/** One situation's emulator, workspace and the command lines against them. */
type Situation = Readonly<{
  emu: EmulatorHandle;
  ws: Workspace;
  args: readonly string[];
  /** `apply` without --prune (setting up live state); asserts it converged. */
  setupApply(): Promise<void>;
  write(file: string, docs: readonly InstanceDoc[]): Promise<void>;
  byName(name: string): Promise<Container>;
  inventory(): Promise<Record<string, { id: string; uuid: string | null; name: string }>>;
}>;

async function openSituation(): Promise<Situation> {
  const emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
  const ws = await makeWorkspace('rr-e2e-truth-');
  const args = ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '1000', '--log-level', 'warn'];
  return {
    emu,
    ws,
    args,
    async setupApply() {
      const result = await runCli(['apply', ...args, '--timeout', String(applyTimeoutSec)], { cwd: ws.root });
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    },
    write: (file, docs) => writeManifestFile(ws.manifests, file, docs),
    async byName(name) {
      const live = ((await get(`${emu.url}/containers?limit=3000`)).body.data as Container[]).filter((c) => c.name === name);
      expect(live).toHaveLength(1);
      return live[0]!;
    },
    async inventory() {
      const text = await readFile(join(ws.state, 'inventory.json'), 'utf8');
      return (JSON.parse(text) as { entries: Record<string, { id: string; uuid: string | null; name: string }> }).entries;
    },
  };
}

async function closeSituation(s: Situation): Promise<void> {
  await s.emu.close();
  await s.ws.cleanup();
}

async function withSituation(fn: (s: Situation) => Promise<void>): Promise<void> {
  const s = await openSituation();
  try {
    await fn(s);
  } finally {
    await closeSituation(s);
  }
}

const isMutating = (e: RequestLogEntry): boolean => ['POST', 'PUT', 'DELETE', 'PATCH'].includes(e.method) && /^\/v1\/(containers|instances)(\/|$)/.test(e.path);

function lastSeq(emu: EmulatorHandle): number {
  return emu.requests().at(-1)?.seq ?? 0;
}

type PlanReport = {
  changes: { name: string; action: string; steps: { action: string; id: string | null; detail: string }[]; fields: { field: string; from: unknown; to: unknown; sensitive?: true }[]; reason: string | null; notices: string[]; plan: string }[];
  removalsRefused: string | null;
  problems: string[];
};

/** `(instance, action)` for every step of the report that calls the API (adopt and move do not), sorted. */
function plannedCalls(report: PlanReport): string[] {
  return report.changes.flatMap((c) => c.steps.filter((s) => s.action !== 'adopt' && s.action !== 'move').map((s) => `${c.name} ${s.action}`)).sort();
}

/**
 * `(instance, action)` for every mutating request in `entries`, sorted. Keys come from the create body's
 * key label, else the inventory before or after, else the container's own key label. The request log
 * carries no action body, so a stop with `remove: true` is told from a plain stop by where the container
 * comes to rest: removed (and no remove action of its own in the log) means stop+remove.
 */
async function appliedCalls(s: Situation, entries: readonly RequestLogEntry[], inventoryBefore: Record<string, { id: string }>): Promise<string[]> {
  const inventoryAfter = await s.inventory().catch(() => ({}) as Record<string, { id: string }>);
  const keyOfId = new Map<string, string>();
  for (const c of s.emu.containers()) {
    const key = c.labels[keyLabel];
    if (typeof key === 'string') keyOfId.set(c.id, key);
  }
  for (const inv of [inventoryAfter, inventoryBefore]) for (const [key, entry] of Object.entries(inv)) keyOfId.set(entry.id, key);
  const removedById = new Set(entries.filter((e) => e.action === 'remove').map((e) => e.containerId));
  const calls: string[] = [];
  for (const e of entries) {
    const id = e.containerId;
    const name = (e.action === null && e.method === 'POST' ? e.body?.labels?.[keyLabel] as string | undefined : undefined) ?? (id === null ? undefined : keyOfId.get(id)) ?? `?${id ?? e.path}`;
    if (e.method === 'POST' && e.action === null) calls.push(`${name} create`);
    else if (e.method === 'PUT') calls.push(`${name} update`);
    else if (e.method === 'POST' && e.action === 'stop' && id !== null) {
      const rest = await waitForResource(`${s.emu.url}/containers/${id}`, (body) => body?.transitioning !== 'yes', 30_000);
      const removed = ['removed', 'purging', 'purged'].includes(rest.state as string) && !removedById.has(id);
      calls.push(`${name} ${removed ? 'remove' : 'stop'}`);
    } else calls.push(`${name} ${e.method === 'POST' ? e.action : `${e.method} ${e.path}`}`);
  }
  return calls.sort();
}

type Truth = Readonly<{ plan: CliResult; report: PlanReport; apply: CliResult; planned: string[]; applied: string[]; after: CliResult }>;

/**
 * plan --prune --output json, then apply --prune, then plan again; asserts plan made no mutating call,
 * that the planned calls equal `expected` and equal the calls apply made, and the exit-code contract.
 */
async function planThenApply(s: Situation, expected: Readonly<{ calls: string[]; planExit: 0 | 1 | 2; afterExit: 0 | 1 }>, extra: readonly string[] = []): Promise<Truth> {
  const beforePlan = lastSeq(s.emu);
  const plan = await runCli(['plan', ...s.args, '--prune', '--output', 'json', ...extra], { cwd: s.ws.root });
  const report = JSON.parse(plan.stdout) as PlanReport;
  expect(s.emu.requests(beforePlan).filter(isMutating)).toEqual([]);
  const planned = plannedCalls(report);
  expect({ planned, code: plan.code }).toEqual({ planned: [...expected.calls].sort(), code: expected.planExit });

  const inventoryBefore = await s.inventory().catch(() => ({}));
  const beforeApply = lastSeq(s.emu);
  const apply = await runCli(['apply', ...s.args, '--prune', '--timeout', String(applyTimeoutSec), ...extra], { cwd: s.ws.root });
  const applied = await appliedCalls(s, s.emu.requests(beforeApply).filter(isMutating), inventoryBefore);
  expect(applied).toEqual(planned);
  // plan 1 <=> apply 1; plan 0 or 2 <=> apply 0
  const applyExit = plan.code === 1 ? 1 : 0;
  if (apply.code !== applyExit) throw new Error(`plan exited ${plan.code}, so apply should exit ${applyExit}, but it exited ${apply.code}:\n${apply.stdout}${apply.stderr}`);
  if (apply.code === 0) expect(apply.stderr).not.toContain('error:');

  const beforeAfter = lastSeq(s.emu);
  const after = await runCli(['plan', ...s.args, '--prune', '--output', 'json', ...extra], { cwd: s.ws.root });
  expect(s.emu.requests(beforeAfter).filter(isMutating)).toEqual([]);
  expect({ code: after.code, calls: plannedCalls(JSON.parse(after.stdout) as PlanReport) }).toEqual({ code: expected.afterExit, calls: [] });
  return { plan, report, apply, planned, applied, after };
}

const change = (report: PlanReport, name: string): PlanReport['changes'][number] | undefined => report.changes.find((c) => c.name === name);

describe('the corpus: plan is the truth (what plan --prune lists is what apply --prune does)', () => {
  it('(a) creates', () => withSituation(async (s) => {
    await s.write('a.yaml', [{ name: 'web-1' }, { name: 'web-2' }, { name: 'web-3', state: 'stopped' }]);
    const t = await planThenApply(s, { calls: ['web-1 create', 'web-2 create', 'web-3 create'], planExit: 2, afterExit: 0 });
    expect(t.report.changes.map((c) => c.action)).toEqual(['create', 'create', 'create']);
    expect((await s.byName('web-3')).state).toBe('stopped');
  }), budget(1));

  it('(b) a description update', () => withSituation(async (s) => {
    await s.write('a.yaml', [{ name: 'web-1', description: 'one' }, { name: 'web-2', description: 'two' }]);
    await s.setupApply();
    await s.write('a.yaml', [{ name: 'web-1', description: 'uno' }, { name: 'web-2', description: 'two' }]);
    const t = await planThenApply(s, { calls: ['web-1 update'], planExit: 2, afterExit: 0 });
    expect(change(t.report, 'web-1')?.fields).toEqual([{ field: 'description', from: 'one', to: 'uno' }]);
    expect((await s.byName('web-1')).description).toBe('uno');
  }), budget(2));

  it('(c) a start of a stopped one and a stop of a running one', () => withSituation(async (s) => {
    await s.write('a.yaml', [{ name: 'web-1' }, { name: 'web-2' }]);
    await s.setupApply();
    const web1 = await s.byName('web-1');
    expect((await post(`${s.emu.url}/containers/${web1.id}?action=stop`, {})).status).toBe(202);
    await waitForResource(`${s.emu.url}/containers/${web1.id}`, (c) => c.state === 'stopped');
    await s.write('a.yaml', [{ name: 'web-1' }, { name: 'web-2', state: 'stopped' }]);
    await planThenApply(s, { calls: ['web-1 start', 'web-2 stop'], planExit: 2, afterExit: 0 });
    expect([(await s.byName('web-1')).state, (await s.byName('web-2')).state]).toEqual(['running', 'stopped']);
  }), budget(2));

  it('(d) a restart token bump restarts exactly once', () => withSituation(async (s) => {
    await s.write('a.yaml', [{ name: 'web-1', restartToken: 'r1' }, { name: 'web-2', restartToken: 'r1' }]);
    await s.setupApply();
    await s.write('a.yaml', [{ name: 'web-1', restartToken: 'r2' }, { name: 'web-2', restartToken: 'r1' }]);
    const startCount = s.emu.containers().find((c) => c.name === 'web-1')!.startCount;
    await planThenApply(s, { calls: ['web-1 restart'], planExit: 2, afterExit: 0 });
    expect(s.emu.containers().find((c) => c.name === 'web-1')!.startCount).toBe(startCount + 1);
  }), budget(2));

  it('(e) an orphan with --prune is stopped with remove', () => withSituation(async (s) => {
    for (const n of [1, 2, 3, 4]) await s.write(`web-${n}.yaml`, [{ name: `web-${n}` }]);
    await s.setupApply();
    const orphan = await s.byName('web-4');
    await rm(join(s.ws.manifests, 'web-4.yaml'));
    const t = await planThenApply(s, { calls: ['web-4 remove'], planExit: 2, afterExit: 0 });
    expect(change(t.report, 'web-4')?.steps).toEqual([{ action: 'remove', id: orphan.id, detail: `stop+remove ${orphan.id}` }]);
    expect(s.emu.containers().find((c) => c.id === orphan.id)?.state).toBe('removed');
  }), budget(2));

  it('(f) a foreign container reusing an owned id is never removed', () => withSituation(async (s) => {
    await s.write('a.yaml', [{ name: 'keep-1' }]);
    await s.setupApply();
    const created = await post(`${s.emu.url}/containers`, { name: 'stranger', imageUuid: 'docker:busybox:1.36' });
    expect(created.status).toBe(201);
    const stranger = await waitForResource(`${s.emu.url}/containers/${created.body.id}`, (c) => c.state === 'running') as Container;
    // an entry for a key whose manifest is gone, naming the stranger's id with another uuid (a rebuilt server reused the id)
    const file = join(s.ws.state, 'inventory.json');
    const doc = JSON.parse(await readFile(file, 'utf8')) as { version: 1; entries: Record<string, unknown> };
    const at = new Date().toISOString();
    doc.entries['ghost'] = { key: 'ghost', id: stranger.id, uuid: randomUUID(), name: 'stranger', origin: 'created', createdAt: at, updatedAt: at };
    await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
    const t = await planThenApply(s, { calls: [], planExit: 0, afterExit: 0 });
    expect(change(t.report, 'ghost')?.steps ?? []).toEqual([]);
    expect(t.report.removalsRefused).toBeNull();
    expect(s.emu.containers().find((c) => c.id === stranger.id)).toEqual(expect.objectContaining({ uuid: stranger.uuid, state: 'running' }));
    // the entry pointed at a container that is gone: apply forgot it
    expect(Object.keys(await s.inventory())).toEqual(['keep-1']);
  }), budget(2));

  it('(g) adoption of a same-name container: adopt, no create', () => withSituation(async (s) => {
    const created = await post(`${s.emu.url}/containers`, { name: 'web-1', imageUuid: 'docker:nginx:1.25' });
    expect(created.status).toBe(201);
    await waitForResource(`${s.emu.url}/containers/${created.body.id}`, (c) => c.state === 'running');
    await s.write('a.yaml', [{ name: 'web-1' }]);
    const t = await planThenApply(s, { calls: [], planExit: 2, afterExit: 0 });
    expect(change(t.report, 'web-1')).toEqual(expect.objectContaining({ action: 'adopt', steps: [{ action: 'adopt', id: created.body.id, detail: `adopt ${created.body.id}` }] }));
    expect(t.report.changes).toHaveLength(1);
    expect(await s.inventory()).toEqual({ 'web-1': expect.objectContaining({ id: created.body.id, origin: 'adopted' }) });
  }), budget(1));

  it('(h) an immutable change with onImmutableChange block: plan and apply exit 1, nothing is touched', () => withSituation(async (s) => {
    await s.write('a.yaml', [{ name: 'web-1' }, { name: 'web-2' }]);
    await s.setupApply();
    const before = await s.byName('web-1');
    await s.write('a.yaml', [{ name: 'web-1', image: 'docker:nginx:1.27' }, { name: 'web-2' }]);
    const t = await planThenApply(s, { calls: [], planExit: 1, afterExit: 1 });
    expect(change(t.report, 'web-1')).toEqual(expect.objectContaining({
      action: 'blocked', steps: [], plan: 'blocked', reason: 'create-only fields changed: imageUuid (onImmutableChange: block)',
      fields: [{ field: 'imageUuid', from: 'docker:nginx:1.25', to: 'docker:nginx:1.27' }],
    }));
    expect(t.plan.stderr).toContain('error: web-1 is blocked: create-only fields changed: imageUuid (onImmutableChange: block)\n');
    expect(t.after.stderr).toContain('error: web-1 is blocked: create-only fields changed: imageUuid');
    expect(await s.byName('web-1')).toEqual(expect.objectContaining({ id: before.id, uuid: before.uuid, state: 'running' }));
  }), budget(2));

  it('(i) over the delete budget: plan exit 1 with removals refused, apply removes nothing and exits 1', () => withSituation(async (s) => {
    for (const n of [1, 2, 3, 4]) await s.write(`web-${n}.yaml`, [{ name: `web-${n}` }]);
    await s.setupApply();
    for (const n of [2, 3, 4]) await rm(join(s.ws.manifests, `web-${n}.yaml`));
    const t = await planThenApply(s, { calls: [], planExit: 1, afterExit: 1 }, ['--max-delete', '1']);
    expect(t.report.removalsRefused).toBe('3 removals exceed the delete budget of 1: nothing is removed');
    expect(t.report.changes.map((c) => [c.name, c.action])).toEqual([['web-2', 'blocked'], ['web-3', 'blocked'], ['web-4', 'blocked']]);
    expect(t.plan.stderr).toContain('error: removals refused: 3 removals exceed the delete budget of 1: nothing is removed\n');
    expect(s.emu.containers().map((c) => [c.name, c.state]).sort()).toEqual([1, 2, 3, 4].map((n) => [`web-${n}`, 'running']));
  }), budget(2));

  it('(j) a recreate of 3 instances: recreate = remove + create each, exactly 3 of each sent', () => withSituation(async (s) => {
    const docs = (image: string): InstanceDoc[] => [1, 2, 3].map((n) => ({ name: `web-${n}`, image, extra: '  onImmutableChange: recreate' }));
    await s.write('a.yaml', docs('docker:nginx:1.25'));
    await s.setupApply();
    const old = await Promise.all([1, 2, 3].map((n) => s.byName(`web-${n}`)));
    await s.write('a.yaml', docs('docker:nginx:1.27'));
    const t = await planThenApply(s, {
      calls: ['web-1 remove', 'web-1 create', 'web-2 remove', 'web-2 create', 'web-3 remove', 'web-3 create'], planExit: 2, afterExit: 0,
    });
    expect(t.report.changes.map((c) => [c.name, c.action, c.steps.map((st) => st.action)])).toEqual(
      [1, 2, 3].map((n) => [`web-${n}`, 'recreate', ['remove', 'create']]),
    );
    const now = await Promise.all([1, 2, 3].map((n) => s.byName(`web-${n}`)));
    expect(now.map((c) => c.state)).toEqual(['running', 'running', 'running']);
    for (const [i, c] of now.entries()) expect(c.id).not.toBe(old[i]!.id);
    expect(s.emu.containers().filter((c) => c.fields['imageUuid'] === 'docker:nginx:1.25').map((c) => c.state)).toEqual(['removed', 'removed', 'removed']);
  }), budget(2));

  it('(j2) a replace of 3 instances: create beside, remove the old one, rename, exactly 3 of each sent', () => withSituation(async (s) => {
    const docs = (image: string): InstanceDoc[] => [1, 2, 3].map((n) => ({ name: `web-${n}`, image, extra: '  onImmutableChange: replace' }));
    await s.write('a.yaml', docs('docker:nginx:1.25'));
    await s.setupApply();
    const old = await Promise.all([1, 2, 3].map((n) => s.byName(`web-${n}`)));
    await s.write('a.yaml', docs('docker:nginx:1.27'));
    const t = await planThenApply(s, {
      calls: [1, 2, 3].flatMap((n) => [`web-${n} create`, `web-${n} remove`, `web-${n} update`]), planExit: 2, afterExit: 0,
    });
    expect(t.report.changes.map((c) => [c.name, c.action, c.steps.map((st) => st.action)])).toEqual(
      [1, 2, 3].map((n) => [`web-${n}`, 'replace', ['create', 'remove', 'update']]),
    );
    const now = await Promise.all([1, 2, 3].map((n) => s.byName(`web-${n}`)));
    expect(now.map((c) => c.state)).toEqual(['running', 'running', 'running']);
    for (const [i, c] of now.entries()) expect(c.id).not.toBe(old[i]!.id);
    const inventory = await s.inventory();
    expect([1, 2, 3].map((n) => inventory[`web-${n}`]?.id)).toEqual(now.map((c) => c.id));
  }), budget(2));

  it('(k) a key rename (metadata.name only) is a move: no API call, same container, the new key only', () => withSituation(async (s) => {
    await s.write('a.yaml', [{ name: 'web-old', extra: '  name: web' }, { name: 'other' }]);
    await s.setupApply();
    const before = await s.byName('web');
    await s.write('a.yaml', [{ name: 'web-new', extra: '  name: web' }, { name: 'other' }]);
    const t = await planThenApply(s, { calls: [], planExit: 2, afterExit: 0 });
    expect(change(t.report, 'web-new')).toEqual(expect.objectContaining({ action: 'move', steps: [{ action: 'move', id: before.id, detail: `move ${before.id} from web-old` }] }));
    expect(change(t.report, 'web-old')?.steps ?? []).toEqual([]);
    expect(await s.byName('web')).toEqual(expect.objectContaining({ id: before.id, uuid: before.uuid, state: 'running' }));
    const inventory = await s.inventory();
    expect(Object.keys(inventory).sort()).toEqual(['other', 'web-new']);
    expect(inventory['web-new']).toEqual(expect.objectContaining({ id: before.id, name: 'web' }));
  }), budget(2));
});

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...await filesUnder(path));
    else found.push(path);
  }
  return found;
}

describe('plan shows values, never secrets', () => {
  const secrets = ['hunter2', 's3cr3t-in-url'];

  it('shows environment.TZ in clear, DB_PASSWORD and the listed DB_URL as (sensitive), and no secret anywhere', () => withSituation(async (s) => {
    await s.write('a.yaml', [{
      name: 'db-client',
      extra: ['  environment:', '    TZ: UTC', '    DB_PASSWORD: hunter2', '    DB_URL: "postgres://app:s3cr3t-in-url@db/app"', '  sensitiveEnvironment: [DB_URL]'].join('\n'),
    }]);
    const json = await runCli(['plan', ...s.args, '--output', 'json'], { cwd: s.ws.root });
    expect(json.code).toBe(2);
    const fields = (JSON.parse(json.stdout) as PlanReport).changes[0]!.fields;
    expect(fields.filter((f) => f.field.startsWith('environment.')).sort((a, b) => a.field.localeCompare(b.field))).toEqual([
      { field: 'environment.DB_PASSWORD', from: null, to: '(sensitive)', sensitive: true },
      { field: 'environment.DB_URL', from: null, to: '(sensitive)', sensitive: true },
      { field: 'environment.TZ', from: null, to: 'UTC' },
    ]);
    const text = await runCli(['plan', ...s.args], { cwd: s.ws.root });
    expect(text.code).toBe(2);
    expect(text.stdout).toContain("environment.TZ: null -> 'UTC'");
    const applyArgs = ['apply', ...s.args, '--timeout', String(applyTimeoutSec)];
    const applied = await runCli(applyArgs, { cwd: s.ws.root });
    expect(applied.code).toBe(0);
    // the most talkative apply as well
    const debugArgs = [...applyArgs.filter((a) => a !== 'warn' && a !== '--log-level'), '--log-level', 'debug'];
    await s.write('a.yaml', [{
      name: 'db-client', description: 'changed',
      extra: ['  environment:', '    TZ: UTC', '    DB_PASSWORD: hunter2', '    DB_URL: "postgres://app:s3cr3t-in-url@db/app"', '  sensitiveEnvironment: [DB_URL]'].join('\n'),
    }]);
    const debug = await runCli(debugArgs, { cwd: s.ws.root });
    expect(debug.code).toBe(0);
    expect(debug.stderr).toContain('"level":"debug"');
    const after = await runCli(['plan', ...s.args, '--output', 'json'], { cwd: s.ws.root });
    expect(after.code).toBe(0);
    const stateText = (await Promise.all((await filesUnder(s.ws.state)).map((f) => readFile(f, 'utf8')))).join('\n');
    // the secret did reach Rancher (so its absence from our output means something)
    expect(JSON.stringify(s.emu.containers()[0]!.fields)).toContain('hunter2');
    for (const [what, output] of Object.entries({ json: json.stdout + json.stderr, text: text.stdout + text.stderr, apply: applied.stdout + applied.stderr, debug: debug.stdout + debug.stderr, after: after.stdout + after.stderr, stateDir: stateText })) {
      for (const secret of secrets) expect({ what, leaked: output.includes(secret) }).toEqual({ what, leaked: false });
    }
  }), budget(2));
});

describe('plan never crashes on a transient error (built CLI, a real process)', () => {
  let emu: EmulatorHandle;
  let ws: Workspace;

  beforeAll(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-e2e-truth-cli-');
    await writeManifestFile(ws.manifests, 'a.yaml', [{ name: 'web-1' }]);
  });
  afterEach(async () => {
    await stopAllClis();
    emu.setFaults({});
  });
  afterAll(async () => {
    await emu.close();
    await ws.cleanup();
  });

  const plan = (url: string): ReturnType<typeof spawnCli> =>
    spawnCli(['plan', '--url', url, '--manifests', ws.manifests, '--state-dir', ws.state, '--output', 'json', '--log-format', 'json'], { cwd: ws.root });

  const listAnswers = (afterSeq: number): (number | string)[] =>
    emu.requests(afterSeq).filter((e) => e.method === 'GET' && e.path === '/v1/containers').map((e) => e.status);

  for (const fault of [
    { what: '503', rule: { status: 503, retryAfterSec: undefined } },
    { what: '429 with Retry-After 1', rule: { status: 429, retryAfterSec: 1 } },
  ]) {
    it(`exits 2 with the plan on stdout when the first GET /v1/containers answers ${fault.what}`, async () => {
      emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/containers$', effect: 'error', times: 1, ...fault.rule }] });
      const before = lastSeq(emu);
      const cli = plan(emu.url);
      const code = await cli.exited;
      expect({ code, stderr: code === 2 ? '' : cli.stderr() }).toEqual({ code: 2, stderr: '' });
      // the fault did answer the first list, and the retry got the list
      expect(listAnswers(before)).toEqual([fault.rule.status, 200]);
      if (fault.rule.retryAfterSec !== undefined) {
        // Retry-After was honoured: a lower bound on the emulator's clock, so load can only make it pass
        const [first, second] = emu.requests(before).filter((e) => e.method === 'GET' && e.path === '/v1/containers');
        expect(second!.at - first!.at).toBeGreaterThanOrEqual(fault.rule.retryAfterSec * 1000 - 50);
      }
      const report = JSON.parse(cli.stdout()) as PlanReport;
      expect(report.changes.map((c) => [c.name, c.action])).toEqual([['web-1', 'create']]);
      expect(cli.stderr()).not.toContain('error:');
    }, 120_000);
  }

  it('exits 1 with the cause on stderr (never 13) when the port refuses connections', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    await new Promise<void>((resolve) => server.close(() => resolve())); // nothing listens on that port any more
    const cli = plan(`http://127.0.0.1:${port}/v1`);
    const code = await cli.exited;
    expect({ code, stdout: cli.stdout() }).toEqual({ code: 1, stdout: '' });
    expect(cli.stderr()).toMatch(new RegExp(`^error: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}`, 'm'));
  }, 240_000);
});
