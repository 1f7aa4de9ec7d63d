import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { authRealm } from '../../../src/emulator/scope.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { get, post, startTestEmulator } from '../../helpers/emulator.js';

const basic = (access: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${access}:${secret}`).toString('base64')}` });

describe('version, schemas and hosts', () => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startTestEmulator({ hosts: 3 });
  });
  afterAll(async () => emulator.close());

  it('GET /v1 answers the apiVersion document with one link per collection', async () => {
    const { status, body, headers } = await get(emulator.url);
    expect(status).toBe(200);
    expect(headers.get('x-api-schemas')).toBe(`${emulator.url}/schemas`);
    expect(body).toEqual({
      id: 'v1', type: 'apiVersion', actions: {},
      links: {
        self: emulator.url, containers: `${emulator.url}/containers`, hosts: `${emulator.url}/hosts`,
        instances: `${emulator.url}/instances`, schemas: `${emulator.url}/schemas`, subscribe: `${emulator.url}/subscribe`,
        virtualMachines: `${emulator.url}/virtualmachines`,
      },
    });
  });

  it('serves the captured schemas with its own base URL, project-scoped when asked', async () => {
    const { body } = await get(`${emulator.url}/schemas`);
    expect(body.data.map((schema: { id: string }) => schema.id)).toEqual(expect.arrayContaining([
      'container', 'instance', 'host', 'instanceStop', 'instanceConsole', 'instanceConsoleInput', 'hostAccess', 'subscribe', 'error',
    ]));
    expect(JSON.stringify(body)).not.toContain('104.197.191.104');
    const stop = await get(`${emulator.url}/projects/1a5/schemas/instanceStop`);
    expect(stop.headers.get('x-api-schemas')).toBe(`${emulator.url}/projects/1a5/schemas`);
    expect(stop.body.links.self).toBe(`${emulator.url}/projects/1a5/schemas/instancestop`);
    expect(Object.keys(stop.body.resourceFields)).toEqual(['remove', 'timeout']);
    expect((await get(`${emulator.url}/schemas/instancestop`)).body.id).toBe('instanceStop');
    expect((await get(`${emulator.url}/schemas/nothing`)).status).toBe(404);
  });

  it('lists N simulated hosts 1h1..1hN in the host shape', async () => {
    const { body } = await get(`${emulator.url}/hosts`);
    expect(body.data.map((host: { id: string }) => host.id)).toEqual(['1h1', '1h2', '1h3']);
    expect(body.data[0]).toMatchObject({ type: 'host', baseType: 'host', state: 'active', accountId: '1a5' });
    expect(body.createTypes).toEqual({});
    expect((await get(`${emulator.url}/hosts/1h2`)).body.id).toBe('1h2');
    expect((await get(`${emulator.url}/hosts/1h9`)).status).toBe(404);
    const filtered = (await get(`${emulator.url}/hosts?id=1h2&hostname=not-filterable&limit=1`)).body;
    expect(filtered.data.map((host: { id: string }) => host.id)).toEqual(['1h2']);
    expect(filtered.pagination.partial).toBe(false);
  });

  it('places a container on the requested host', async () => {
    const clock = new ManualClock();
    const other = await startTestEmulator({ clock, hosts: 3, transitionMs: 10 });
    try {
      const id = (await post(`${other.url}/containers`, { imageUuid: 'docker:x', requestedHostId: '1h3' })).body.id;
      clock.advance(20);
      expect((await get(`${other.url}/containers/${id}`)).body.hostId).toBe('1h3');
    } finally {
      await other.close();
    }
  });
});

describe('access control and projects', () => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startTestEmulator({ accessKey: 'access', secretKey: 'secret', projects: ['1a5', '1a7'] });
  });
  afterAll(async () => emulator.close());

  it('answers 401 with the Basic realm without credentials', async () => {
    const { status, body, headers } = await get(`${emulator.url}/containers`);
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe(authRealm);
    expect(body).toMatchObject({ type: 'error', status: 401, code: 'Unauthorized', message: 'Unauthorized', detail: null });
  });

  it('omits the challenge with X-API-No-Challenge and rejects a wrong secret', async () => {
    const response = await get(`${emulator.url}/containers`, { ...basic('access', 'wrong'), 'X-API-No-Challenge': 'true' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBeNull();
  });

  it('isolates resources per project: path, header and query select the project', async () => {
    const auth = basic('access', 'secret');
    const created = await post(`${emulator.url}/projects/1a7/containers`, { imageUuid: 'docker:x', name: 'seven' }, auth);
    expect(created.status).toBe(201);
    expect(created.headers.get('x-api-account-id')).toBe('1a7');
    expect(created.body.accountId).toBe('1a7');
    expect(created.body.links.self).toBe(`${emulator.url}/projects/1a7/containers/${created.body.id}`);
    const id = created.body.id as string;
    expect((await get(`${emulator.url}/containers/${id}`, { ...auth, 'X-API-Project-Id': '1a7' })).status).toBe(200);
    expect((await get(`${emulator.url}/containers/${id}?projectId=1a7`, auth)).status).toBe(200);
    expect((await get(`${emulator.url}/containers/${id}`, auth)).status).toBe(404);
    expect((await get(`${emulator.url}/projects/1a5/containers?name=seven`, auth)).body.data).toEqual([]);
    const header = await get(`${emulator.url}/containers/${id}`, { ...auth, 'X-API-Project-Id': '1a7' });
    expect(header.body.links.self).toBe(`${emulator.url}/containers/${id}`);
  });

  it('answers 403 for a project the key cannot reach', async () => {
    const { status, body } = await get(`${emulator.url}/projects/1a9/containers`, basic('access', 'secret'));
    expect(status).toBe(403);
    expect(body.code).toBe('Forbidden');
  });
});
