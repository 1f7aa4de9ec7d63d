/**
 * Emulator fidelity, part A (issue 17), over real HTTP: schema lookup by id or plural name and the
 * NotEmulated extension error, `count` on create, the special labels, the `hosts` relation and
 * `include=hosts`, `X-API-Client-IP`, and text filters under MySQL's utf8_general_ci (docs/rancher-v1.md).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { get, post, startTestEmulator } from '../../helpers/emulator.js';

const clock = new ManualClock();
let emulator: EmulatorHandle;
let base: string;
beforeAll(async () => {
  emulator = await startTestEmulator({ clock, transitionMs: 100 });
  base = emulator.url;
});
afterAll(async () => emulator.close());

const names = async (query: string): Promise<string[]> =>
  (await get(`${base}/containers?${query}`)).body.data.map((c: { name: string }) => c.name).sort();

describe('schemas', () => {
  it.each(['containers', 'Container', 'CONTAINERS', 'container'])('GET /v1/schemas/%s is the container schema', async (name) => {
    const { status, body } = await get(`${base}/schemas/${name}`);
    expect([status, body.id, body.links.self]).toEqual([200, 'container', `${base}/schemas/container`]);
  });

  it('serves /v1/schemas/schemas and every type of the 2016-09 capture (plus the built error schema)', async () => {
    expect((await get(`${base}/schemas/schemas`)).body.id).toBe('schema');
    const all = (await get(`${base}/schemas`)).body.data.map((s: { id: string }) => s.id);
    expect(all).toHaveLength(116);
    expect(all).toEqual(expect.arrayContaining(['volume', 'service', 'environment', 'virtualMachine', 'error']));
  });

  it('answers the collections of types it does not model with 501 NotEmulated, never a fake list', async () => {
    const { status, body } = await get(`${base}/volumes`);
    expect(status).toBe(501);
    expect(body).toMatchObject({ type: 'error', status: 501, code: 'NotEmulated' });
    expect(body.message).toContain('/v1/volumes');
    expect((await get(`${base}/nothings`)).status).toBe(404);
  });
});

describe('create with count', () => {
  it('creates N containers and answers them as a 201 collection', async () => {
    const { status, body } = await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'many', count: 3 });
    expect(status).toBe(201);
    expect(body).toMatchObject({ type: 'collection', resourceType: 'container' });
    expect(body.data.map((c: { name: string }) => c.name)).toEqual(['many', 'many', 'many']);
    expect(new Set(body.data.map((c: { id: string }) => c.id)).size).toBe(3);
    expect(await names('name=many')).toHaveLength(3);
  });

  it('answers a single resource for count 1 or 0', async () => {
    expect((await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'one', count: 1 })).body.type).toBe('container');
    expect((await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'zero', count: 0 })).body.type).toBe('container');
  });
});

describe('special labels', () => {
  it('takes the name from io.rancher.container.display_name and overwrites io.rancher.environment.uuid', async () => {
    const project = (await get(`${base}/projects/1a5`)).body;
    const labels = { 'io.rancher.container.display_name': '/from-label', 'io.rancher.environment.uuid': 'default', app: 'x' };
    const { body } = await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'test', labels });
    expect(body.name).toBe('from-label');
    expect(body.labels).toEqual({ ...labels, 'io.rancher.environment.uuid': project.uuid });
    const plain = (await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'plain' })).body;
    expect(plain.labels).toEqual({ 'io.rancher.environment.uuid': project.uuid });
  });
});

describe('relation links', () => {
  it('answers /hosts with the placement host, embeds it with include=hosts, and 501/404 for other links', async () => {
    const { body: created } = await post(`${base}/containers`, { imageUuid: 'docker:nginx', name: 'linked' });
    const self = `${base}/containers/${created.id as string}`;
    expect((await get(`${self}/hosts`)).body).toMatchObject({ type: 'collection', resourceType: 'host', data: [] });
    clock.advance(200);
    const hosts = (await get(`${self}/hosts`)).body;
    expect(hosts.data.map((h: { id: string; type: string }) => [h.type, h.id])).toEqual([['host', '1h1']]);
    const included = (await get(`${base}/containers?name=linked&include=hosts`)).body.data[0];
    expect(included.hosts.map((h: { id: string }) => h.id)).toEqual(['1h1']);
    expect((await get(`${self}?include=hosts`)).body.hosts[0].uuid).toEqual(hosts.data[0].uuid);
    expect((await get(`${self}/volumes`)).body).toMatchObject({ status: 501, code: 'NotEmulated' });
    // the user-view schema does not declare instanceHostMaps (an admin relation)
    expect((await get(`${self}/instancehostmaps`)).status).toBe(404);
  });
});

describe('X-API-Client-IP', () => {
  it('names the socket peer, or the first X-Forwarded-For entry, on answers and errors alike', async () => {
    expect((await get(`${base}/containers`)).headers.get('x-api-client-ip')).toBe('127.0.0.1');
    const proxied = await get(`${base}/nothings`, { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' });
    expect([proxied.status, proxied.headers.get('x-api-client-ip')]).toEqual([404, '203.0.113.7']);
  });
});

describe('text filters on utf8_general_ci', () => {
  beforeAll(async () => {
    for (const name of ['Web_1', 'webX1', 'web%2', 'café', 'api']) await post(`${base}/containers`, { imageUuid: 'docker:a', name });
  });

  it.each([
    ['name=WEB_1', ['Web_1']],
    ['name=Cafe', ['café']],
    ['name=api  ', ['api']],
    ['name_ne=api&name_prefix=w', ['Web_1', 'web%2', 'webX1']],
    ['name_prefix=WEB_', ['Web_1', 'web%2', 'webX1']],
    ['name_like=web\\_%', ['Web_1']],
    ['name_like=web\\%%', ['web%2']],
    ['name_like=_eb_1', ['Web_1', 'webX1']],
    ['name_notlike=w%', ['api', 'café', 'from-label', 'linked', 'many', 'many', 'many', 'one', 'plain', 'zero']],
  ])('%s', async (query, expected) => {
    // the table shows raw values; each one is sent percent-encoded
    const encoded = query.split('&').map((pair) => pair.replace(/=(.*)$/, (_m, value: string) => `=${encodeURIComponent(value)}`)).join('&');
    expect(await names(encoded)).toEqual([...expected].sort());
  });
});
