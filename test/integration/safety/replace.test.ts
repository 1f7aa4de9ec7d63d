/**
 * `onImmutableChange: replace` over real HTTP (the built CLI against the emulator), under what would
 * break its promises: an image bump of many instances never leaves one without a running container and
 * keeps at most --max-unavailable replacements at once; a replacement that cannot start leaves the old
 * container running and the instance failed; fixing the manifest finishes the job.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { AvailabilityWatch } from '../../helpers/availability-watch.js';
import { runCli } from '../../helpers/cli.js';
import { get, mutationCount, startTestEmulator, waitForResource } from '../../helpers/emulator.js';
import { instanceYaml, makeWorkspace } from '../../helpers/manifest-tree.js';

type Container = { id: string; name: string; state: string; imageUuid: string; removed: string | null; transitioningMessage: string | null };

const names = Array.from({ length: 8 }, (_, i) => `web-${i}`);
const servedBy = (name: string): string[] => [name, `${name}-next`];

describe('onImmutableChange: replace', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;

  beforeEach(async () => {
    emu = await startTestEmulator({ transitionMs: 20, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-replace-');
  });

  afterEach(async () => {
    await emu.close();
    await ws.cleanup();
  });

  const args = (): string[] => ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '500', '--log-level', 'warn', '--timeout', '120'];
  const write = (image: string, only = names): Promise<void> =>
    writeFile(join(ws.manifests, 'a.yaml'), only.map((name) => instanceYaml({ name, image, extra: '  onImmutableChange: replace' })).join('---\n'));
  const containers = async (): Promise<Container[]> => (await get(`${emu.url}/containers?limit=1000`)).body.data as Container[];
  const running = async (): Promise<Container[]> => (await containers()).filter((c) => c.state === 'running');

  it.each([1, 3])('an image bump of 8 instances with --max-unavailable %i: none is ever without a running container, at most that many replacements at once', async (limit) => {
    await write('docker:nginx:1.25');
    expect((await runCli(['apply', ...args()], { cwd: ws.root })).code).toBe(0);
    const before = new Map((await running()).map((c) => [c.name, c.id]));
    const watch = await AvailabilityWatch.open(emu.url, names, { servedBy, extra: /-next$/ });
    try {
      await write('docker:nginx:1.27');
      const plan = await runCli(['plan', ...args().filter((a) => a !== '--timeout' && a !== '120'), '--output', 'json'], { cwd: ws.root });
      const report = JSON.parse(plan.stdout) as { changes: { name: string; action: string; steps: { action: string }[] }[] };
      expect(report.changes.map((c) => [c.name, c.action, c.steps.map((s) => s.action)])).toEqual(names.map((n) => [n, 'replace', ['create', 'remove', 'update']]));
      const applied = await runCli(['apply', ...args(), '--max-unavailable', String(limit)], { cwd: ws.root });
      expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' });
      expect(watch.events).toBeGreaterThan(0);
      expect(watch.maxDown).toBe(0);
      expect(watch.maxExtra).toBeGreaterThanOrEqual(1);
      expect(watch.maxExtra).toBeLessThanOrEqual(limit);
    } finally {
      watch.close();
    }
    const now = await running();
    expect(now.map((c) => c.name).sort()).toEqual([...names].sort());
    expect(now.every((c) => c.imageUuid === 'docker:nginx:1.27')).toBe(true);
    for (const c of now) expect(c.id).not.toBe(before.get(c.name));
    // the old containers are removed, the replacements renamed: nothing is left under a temporary name
    expect((await containers()).filter((c) => c.name.endsWith('-next') && c.removed === null)).toEqual([]);
  }, 300_000);

  it.each([
    // the late one lands beside the retry: two replacements, one removed as a twin; the lost answer is found by name
    ['committed late, after the client gave up (a twin replacement)', { method: 'POST', path: '^/v1/containers$', effect: 'commit-late' as const, delayMs: 2500, times: 1 }, 3],
    ['committed, then the answer lost', { method: 'POST', path: '^/v1/containers$', effect: 'commit-then-fail' as const, times: 1 }, 2],
  ])('a replacement create %s: one replacement survives, the old container runs until it does', async (_name, rule, creates) => {
    await write('docker:nginx:1.25', ['web-0']);
    expect((await runCli(['apply', ...args()], { cwd: ws.root })).code).toBe(0);
    const watch = await AvailabilityWatch.open(emu.url, ['web-0'], { servedBy, extra: /-next$/ });
    try {
      emu.setFaults({ rules: [rule] });
      await write('docker:nginx:1.27', ['web-0']);
      const applied = await runCli(['apply', ...args(), '--request-timeout', '1'], { cwd: ws.root });
      expect(applied.code).toBe(0);
      expect(watch.maxDown).toBe(0);
    } finally {
      watch.close();
    }
    const live = (await containers()).filter((c) => c.removed === null && !['removing', 'removed', 'purged'].includes(c.state));
    expect(live.map((c) => [c.name, c.state, c.imageUuid])).toEqual([['web-0', 'running', 'docker:nginx:1.27']]);
    expect(emu.counters()['POST /v1/containers']).toBe(creates);
    emu.resetCounters();
    const again = await runCli(['apply', ...args()], { cwd: ws.root });
    expect(again.code).toBe(0);
    expect(mutationCount(emu.counters())).toBe(0);
  }, 300_000);

  it('waits for the replacement\'s health check: healthy goes on, unhealthy fails and keeps the old container', async () => {
    emu.setFaults({ healthImages: { 'docker:web:2': 'healthy', 'docker:web:bad': 'unhealthy' } });
    await write('docker:web:1', ['web-0']);
    expect((await runCli(['apply', ...args()], { cwd: ws.root })).code).toBe(0);
    const [first] = await running();

    await write('docker:web:bad', ['web-0']);
    const unhealthy = await runCli(['apply', ...args()], { cwd: ws.root });
    expect(unhealthy.code).toBe(1);
    expect(unhealthy.stdout).toMatch(/web-0\s+\S+\s+failed\s+ReplaceFailed\s+replacement \S+ \("web-0-next"\) failed: its health check reports unhealthy; \S+ keeps running/);
    expect((await running()).find((c) => c.name === 'web-0')?.id).toBe(first!.id);

    const watch = await AvailabilityWatch.open(emu.url, ['web-0'], { servedBy, extra: /-next$/ });
    try {
      await write('docker:web:2', ['web-0']);
      const healthy = await runCli(['apply', ...args()], { cwd: ws.root });
      expect({ code: healthy.code, stderr: healthy.stderr }).toEqual({ code: 0, stderr: '' });
      expect(watch.maxDown).toBe(0);
    } finally {
      watch.close();
    }
    const live = (await containers()).filter((c) => c.removed === null && c.state === 'running');
    expect(live.map((c) => [c.name, c.imageUuid, (c as Container & { healthState: string | null }).healthState])).toEqual([['web-0', 'docker:web:2', 'healthy']]);
  }, 300_000);

  it.each([
    [1, 'fails (both need host port 8080 on the only host): the old container keeps running', 1],
    [2, 'goes to the second host, where the port is free', 0],
  ])('a replace of a container publishing 8080 with %i host(s) %s', async (hosts, _name, exit) => {
    await emu.close();
    emu = await startTestEmulator({ transitionMs: 20, eventCoalesceMs: 10, hosts });
    const withPort = (image: string): Promise<void> =>
      writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-0', image, extra: '  onImmutableChange: replace\n  ports: ["8080:80/tcp"]' }));
    await withPort('docker:nginx:1.25');
    expect((await runCli(['apply', ...args()], { cwd: ws.root })).code).toBe(0);
    const [old] = await running();
    await withPort('docker:nginx:1.27');
    const applied = await runCli(['apply', ...args()], { cwd: ws.root });
    expect(applied.code).toBe(exit);
    const now = await running();
    if (exit === 1) {
      expect(applied.stdout).toMatch(/ReplaceFailed\s+replacement \S+ \("web-0-next"\) failed: Allocation failed: host needs ports 8080\/tcp available;/);
      expect(now.map((c) => [c.id, c.imageUuid])).toEqual([[old!.id, 'docker:nginx:1.25']]);
    } else {
      expect(now.map((c) => [c.name, c.imageUuid])).toEqual([['web-0', 'docker:nginx:1.27']]);
    }
  }, 300_000);

  it('a replacement that cannot start leaves the old container running and the instance failed; a fixed manifest finishes the replace', async () => {
    await write('docker:nginx:1.25', ['web-0']);
    expect((await runCli(['apply', ...args()], { cwd: ws.root })).code).toBe(0);
    const [old] = await running();
    emu.setFaults({ failStartImages: ['docker:broken:1'] });
    await write('docker:broken:1', ['web-0']);

    const failed = await runCli(['apply', ...args()], { cwd: ws.root });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/web-0\s+\S+\s+failed\s+ReplaceFailed\s+replacement \S+ \("web-0-next"\) failed: .*; \S+ keeps running/);
    expect((await running()).map((c) => [c.id, c.name, c.imageUuid])).toEqual([[old!.id, 'web-0', 'docker:nginx:1.25']]);
    const broken = (await containers()).filter((c) => c.name === 'web-0-next');
    expect(broken.map((c) => c.state)).toEqual(['error']);

    await write('docker:nginx:1.27', ['web-0']);
    const fixed = await runCli(['apply', ...args()], { cwd: ws.root });
    expect({ code: fixed.code, stderr: fixed.stderr }).toEqual({ code: 0, stderr: '' });
    const now = await running();
    expect(now.map((c) => [c.name, c.imageUuid])).toEqual([['web-0', 'docker:nginx:1.27']]);
    expect(now[0]!.id).not.toBe(old!.id);
    // apply is done once web-0 is as declared; the two it removed may still be on their way out
    for (const id of [broken[0]!.id, old!.id]) {
      const gone = await waitForResource(`${emu.url}/containers/${id}`, (c: Container) => c.removed !== null, 60_000);
      expect(gone.state).toMatch(/^(removed|purging|purged)$/);
    }
  }, 300_000);
});
