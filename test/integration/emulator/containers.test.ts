import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { del, get, post, put, startTestEmulator } from '../../helpers/emulator.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/rancher/libcloud-v1-list_containers.json', import.meta.url), 'utf8'),
) as { data: Record<string, unknown>[] } & Record<string, unknown>;

describe('containers over HTTP', () => {
  const clock = new ManualClock();
  let emulator: EmulatorHandle;
  let base: string;

  beforeAll(async () => {
    emulator = await startTestEmulator({ clock, transitionMs: 100, hosts: 2 });
    base = emulator.url;
  });
  afterAll(async () => emulator.close());

  it('creates a container 201 in creating, then runs it on a host with a docker id', async () => {
    const created = await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'web-1' });
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(created.headers.get('x-api-schemas')).toBe(`${base}/schemas`);
    expect(created.headers.get('x-api-account-id')).toBe('1a5');
    expect(created.body).toMatchObject({
      type: 'container', baseType: 'instance', name: 'web-1', state: 'creating', transitioning: 'yes',
      transitioningMessage: 'In Progress', imageUuid: 'docker:nginx', startOnCreate: true, networkMode: 'managed',
      accountId: '1a5', kind: 'container', hostId: null,
    });
    expect(created.body.id).toMatch(/^1i\d+$/);
    clock.advance(100);
    expect((await get(`${base}/containers/${created.body.id}`)).body.state).toBe('starting');
    clock.advance(100);
    const running = (await get(`${base}/containers/${created.body.id}`)).body;
    expect(running).toMatchObject({ state: 'running', transitioning: 'no', transitioningMessage: null, hostId: '1h1', startCount: 1 });
    expect(running.externalId).toMatch(/^[0-9a-f]{64}$/);
    expect(running.primaryIpAddress).toMatch(/^10\.42\.\d+\.\d+$/);
    expect(running.firstRunning).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(running.firstRunningTS).toBe(Date.parse(running.firstRunning));
  });

  it('renders a container with the real field names and order (libcloud list capture)', async () => {
    const created = await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'order' });
    clock.advance(200);
    const body = (await get(`${base}/containers/${created.body.id}`)).body;
    const real = fixture.data[1]!;
    const expected = Object.keys(real);
    expected.splice(expected.indexOf('actions') + 1, 0, 'baseType');
    expect(Object.keys(body)).toEqual(expected);
    expect(Object.keys(body.links)).toEqual(Object.keys(real['links'] as object));
    expect(Object.keys(body.actions).sort()).toEqual(Object.keys(real['actions'] as object).sort());
    expect(body.actions.stop).toBe(`${base}/containers/${body.id}/?action=stop`);
  });

  it('renders the collection envelope in the real key order, with every filter key', async () => {
    const list = (await get(`${base}/containers?limit=1`)).body;
    expect(Object.keys(list)).toEqual(Object.keys(fixture));
    expect(Object.keys(list.filters)).toEqual(Object.keys(fixture['filters'] as object));
    expect(Object.keys(list.sortLinks)).toEqual(Object.keys(fixture['sortLinks'] as object));
    expect(list.sortLinks.name).toBe(`${base}/containers?limit=1&sort=name`);
    expect(list.pagination).toEqual({
      first: null, previous: null, next: `${base}/containers?limit=1&marker=m1`, limit: 1, total: null, partial: true,
    });
    expect(list.links).toEqual({ self: `${base}/containers` });
    expect(list.resourceType).toBe('container');
  });

  it('pages with marker=m<offset> until a page is not partial', async () => {
    for (let index = 0; index < 3; index += 1) await post(`${base}/containers`, { imageUuid: 'docker:x', name: `page-${index}` });
    const all = (await get(`${base}/containers`)).body;
    expect(all.pagination).toMatchObject({ limit: 100, partial: false, next: null });
    const ids: string[] = [];
    let url: string | null = `${base}/containers?limit=2`;
    while (url) {
      const page: { data: { id: string }[]; pagination: { next: string | null } } = (await get(url)).body;
      ids.push(...page.data.map((item) => item.id));
      url = page.pagination.next;
    }
    expect(ids).toEqual(all.data.map((item: { id: string }) => item.id));
  });

  it('filters by name and shows the applied condition', async () => {
    const list = (await get(`${base}/containers?name=page-1`)).body;
    expect(list.data.map((item: { name: string }) => item.name)).toEqual(['page-1']);
    expect(list.filters.name).toEqual([{ modifier: 'eq', value: 'page-1' }]);
    expect(list.filters.state).toBeNull();
    const prefixed = (await get(`${base}/containers?name_prefix=page-&bogus=1&name_suffix=x`)).body;
    expect(prefixed.data).toHaveLength(3);
  });

  it('stops with 202 stopping, then shows the stopped-state actions', async () => {
    const created = await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'stopper' });
    clock.advance(200);
    const stopping = await post(`${base}/containers/${created.body.id}/?action=stop`, { timeout: 0 });
    expect(stopping.status).toBe(202);
    expect(stopping.body).toMatchObject({ state: 'stopping', transitioning: 'yes' });
    clock.advance(100);
    const stopped = (await get(`${base}/containers/${created.body.id}`)).body;
    expect(stopped.state).toBe('stopped');
    expect(Object.keys(stopped.actions)).toEqual(['update', 'error', 'remove', 'start', 'logs', 'setlabels']);
    const started = await post(`${base}/containers/${created.body.id}?action=start`);
    expect(started.status).toBe(202);
    expect(started.body.state).toBe('starting');
  });

  it('restarts through restarting, stopping and starting back to running; update through updating-running', async () => {
    const id = (await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'restarter' })).body.id;
    clock.advance(200);
    const restarting = await post(`${base}/containers/${id}/?action=restart`);
    expect(restarting.status).toBe(202);
    expect(restarting.body).toMatchObject({ state: 'restarting', transitioning: 'yes', actions: { stop: expect.any(String) } });
    const seen: string[] = [];
    for (let step = 0; step < 3; step += 1) {
      clock.advance(100);
      seen.push((await get(`${base}/containers/${id}`)).body.state);
    }
    expect(seen).toEqual(['stopping', 'starting', 'running']);
    expect((await get(`${base}/containers/${id}`)).body.startCount).toBe(2);
    expect((await post(`${base}/containers/${id}?action=update`)).body.state).toBe('updating-running');
    clock.advance(100);
    // an update ends in running without a start process: startCount stays (cattle counts InstanceStart only)
    expect((await get(`${base}/containers/${id}`)).body).toMatchObject({ state: 'running', startCount: 2 });
  });

  it('counts starts faithfully: 0 at create, +1 per start that reaches running, not for a failed or skipped start', async () => {
    const created = await post(`${base}/containers`, { imageUuid: 'docker:nginx', startOnCreate: false });
    expect(created.body.startCount).toBe(0);
    clock.advance(100);
    expect((await get(`${base}/containers/${created.body.id}`)).body).toMatchObject({ state: 'stopped', startCount: 0 });
    await post(`${base}/containers/${created.body.id}?action=start`);
    clock.advance(100);
    expect((await get(`${base}/containers/${created.body.id}`)).body).toMatchObject({ state: 'running', startCount: 1 });
    await post(`${base}/containers/${created.body.id}?action=stop`, { timeout: 0 });
    clock.advance(100);
    await post(`${base}/containers/${created.body.id}?action=start`);
    clock.advance(100);
    expect((await get(`${base}/containers/${created.body.id}`)).body.startCount).toBe(2);
  });

  it('stores and renders the labels given at create', async () => {
    const labels = { 'io.example/owner': 'team-a', tier: 'web' };
    const created = await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'labelled', labels });
    // cattle adds the environment's uuid label to every container (fidelity-a.test.ts checks its value)
    const stored = { ...labels, 'io.rancher.environment.uuid': expect.any(String) };
    expect(created.body.labels).toEqual(stored);
    clock.advance(200);
    expect((await get(`${base}/containers/${created.body.id}`)).body.labels).toEqual(stored);
    expect((await get(`${base}/containers?name=labelled`)).body.data[0].labels).toEqual(stored);
    expect(emulator.containers().find((container) => container.id === created.body.id)?.labels).toEqual(stored);
  });

  it('stop with remove:true chains into removal; purge follows after the purge delay', async () => {
    const id = (await post(`${base}/containers`, { imageUuid: 'docker:nginx' })).body.id;
    clock.advance(200);
    expect((await post(`${base}/containers/${id}?action=stop`, { remove: true, timeout: 0 })).body.state).toBe('stopping');
    clock.advance(100);
    expect((await get(`${base}/containers/${id}`)).body.state).toBe('removing');
    clock.advance(100);
    expect((await get(`${base}/containers/${id}`)).body.state).toBe('removed');
    clock.advance(600_000);
    expect((await get(`${base}/containers/${id}`)).body.state).toBe('purging');
    clock.advance(100);
    expect((await get(`${base}/containers/${id}`)).body).toMatchObject({ state: 'purged', transitioning: 'no' });
  });

  it('rejects a badly typed stop input with 422 InvalidFormat', async () => {
    const id = (await post(`${base}/containers`, { imageUuid: 'docker:nginx' })).body.id;
    clock.advance(200);
    const response = await post(`${base}/containers/${id}?action=stop`, { timeout: 'soon' });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: 'InvalidFormat', fieldName: 'timeout' });
  });

  it('changes only name and description on PUT', async () => {
    const created = await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'old' });
    const updated = await put(`${base}/containers/${created.body.id}`, { name: 'new', description: 'd', imageUuid: 'docker:other' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'new', description: 'd', imageUuid: 'docker:nginx' });
    expect((await get(`${base}/containers?name=old`)).body.data).toEqual([]);
    expect((await get(`${base}/containers?name=new`)).body.data).toHaveLength(1);
  });

  it('DELETE of a running container stops then removes it; removed is hidden from lists, kept by id', async () => {
    const created = await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'doomed' });
    clock.advance(200);
    const deleted = await del(`${base}/containers/${created.body.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.state).toBe('stopping');
    clock.advance(100);
    expect((await get(`${base}/containers/${created.body.id}`)).body.state).toBe('removing');
    clock.advance(100);
    const removed = (await get(`${base}/containers/${created.body.id}`)).body;
    expect(removed.state).toBe('removed');
    expect(removed.removedTS).toBe(Date.parse(removed.removed));
    expect(Object.keys(removed.actions)).toEqual(['purge', 'setlabels']);
    expect((await get(`${base}/containers?name=doomed`)).body.data).toEqual([]);
  });

  it('serves /v1/instances items as containers and refuses POST/PUT/DELETE with 405', async () => {
    const created = await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'inst' });
    const list = (await get(`${base}/instances?name=inst`)).body;
    expect(list.resourceType).toBe('instance');
    expect(list.data[0]).toMatchObject({ type: 'container', id: created.body.id });
    expect((await get(`${base}/instances/${created.body.id}`)).body.links.self).toBe(`${base}/containers/${created.body.id}`);
    for (const response of [
      await post(`${base}/instances`, { imageUuid: 'docker:x' }),
      await put(`${base}/instances/${created.body.id}`, { name: 'x' }),
      await del(`${base}/instances/${created.body.id}`),
    ]) {
      expect(response.status).toBe(405);
      expect(response.body).toMatchObject({ type: 'error', status: 405, code: 'Method not allowed', message: 'Method not allowed' });
    }
    clock.advance(200);
    const stopped = await post(`${base}/instances/${created.body.id}/?action=stop`, {});
    expect(stopped.status).toBe(202);
  });

  it('counts requests by method and normalised route', async () => {
    emulator.resetCounters();
    const created = await post(`${base}/containers`, { imageUuid: 'docker:nginx' });
    await get(`${base}/containers/${created.body.id}`);
    await get(`${base}/projects/1a5/containers/`);
    clock.advance(200);
    await post(`${base}/containers/${created.body.id}/?action=stop`);
    await post(`${base}/instances/${created.body.id}?action=start`);
    expect(emulator.counters()).toEqual({
      'POST /v1/containers': 1,
      'GET /v1/containers/:id': 1,
      'GET /v1/containers': 1,
      'POST /v1/containers/:id?action=stop': 1,
      'POST /v1/instances/:id?action=start': 1,
      total: 5,
    });
  });
});
