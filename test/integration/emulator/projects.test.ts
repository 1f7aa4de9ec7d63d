/**
 * The emulator's environments: `GET /v1/projects` and `GET /v1/projects/<id>` in the shape of the
 * captured `project` schema (data/rancher-v1-schemas.json), next to the `/v1/projects/<id>/...` scope.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { SchemaRegistry } from '../../../src/emulator/schemas.js';
import { get, post, startTestEmulator } from '../../helpers/emulator.js';

const basic = (access: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${access}:${secret}`).toString('base64')}` });
const auth = basic('access', 'secret');

describe('GET /v1/projects', () => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startTestEmulator({
      accessKey: 'access', secretKey: 'secret', projects: ['1a5', '1a7', '1a9'], projectNames: { '1a7': 'staging', '1a9': 'prod' },
    });
  });
  afterAll(async () => emulator.close());

  it('lists every project as a Rancher collection, named as configured (the first is `Default`)', async () => {
    const { status, body } = await get(`${emulator.url}/projects`, auth);
    expect(status).toBe(200);
    expect(body).toMatchObject({ type: 'collection', resourceType: 'project', links: { self: `${emulator.url}/projects` } });
    expect(body.data.map((p: { id: string; name: string }) => [p.id, p.name])).toEqual([['1a5', 'Default'], ['1a7', 'staging'], ['1a9', 'prod']]);
  });

  it('renders a project in the captured schema\'s field order, active, with links to its scoped collections', async () => {
    const { body } = await get(`${emulator.url}/projects/1a7`, auth);
    const fields = SchemaRegistry.load().renderFields('project');
    expect(Object.keys(body)).toEqual(['id', 'type', 'links', 'actions', 'baseType', 'name', 'state', ...fields.flatMap((f) => (f === 'created' ? [f, 'createdTS'] : [f]))]);
    expect(body).toMatchObject({
      id: '1a7', type: 'project', baseType: 'account', name: 'staging', state: 'active', kind: 'project', transitioning: 'no', removed: null,
      links: { self: `${emulator.url}/projects/1a7`, containers: `${emulator.url}/projects/1a7/containers` },
    });
    expect(body.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect((await get(`${body.links.containers as string}`, auth)).body.resourceType).toBe('container');
  });

  it('filters by name and id as Rancher does, and ignores unknown filters', async () => {
    const names = async (query: string) => (await get(`${emulator.url}/projects?${query}`, auth)).body.data.map((p: { id: string }) => p.id);
    expect(await names('name=prod')).toEqual(['1a9']);
    expect(await names('id=1a7')).toEqual(['1a7']);
    expect(await names('name_prefix=st')).toEqual(['1a7']);
    expect(await names('name=nothing')).toEqual([]);
    expect(await names('color=blue')).toEqual(['1a5', '1a7', '1a9']);
  });

  it('pages with limit and marker', async () => {
    const first = (await get(`${emulator.url}/projects?limit=2`, auth)).body;
    expect(first.data.map((p: { id: string }) => p.id)).toEqual(['1a5', '1a7']);
    expect(first.pagination).toMatchObject({ partial: true, limit: 2 });
    const second = (await get(first.pagination.next as string, auth)).body;
    expect(second.data.map((p: { id: string }) => p.id)).toEqual(['1a9']);
  });

  it('answers 404 for an unknown project, 405 for methods the user schema lacks, 401 without the key', async () => {
    expect((await get(`${emulator.url}/projects/1a3`, auth)).status).toBe(404);
    expect((await get(`${emulator.url}/projects/1a7/nothing`, auth)).status).toBe(404);
    expect((await post(`${emulator.url}/projects`, { name: 'new' }, auth)).status).toBe(405);
    expect((await get(`${emulator.url}/projects`)).status).toBe(401);
  });

  it('keeps /v1/projects/<id>/... a project scope, and serves the project schema', async () => {
    const created = await post(`${emulator.url}/projects/1a9/containers`, { imageUuid: 'docker:x', name: 'in-prod' }, auth);
    expect(created.body.accountId).toBe('1a9');
    expect((await get(`${emulator.url}/projects/1a9/`, auth)).body.type).toBe('apiVersion');
    const schema = await get(`${emulator.url}/schemas/project`, auth);
    expect(schema.body).toMatchObject({ id: 'project', pluralName: 'projects', links: { collection: `${emulator.url}/projects` } });
  });

  it('lists the projects from a project-scoped request too, with unscoped links', async () => {
    const { body } = await get(`${emulator.url}/projects?projectId=1a7`, auth);
    expect(body.data[0].links.self).toBe(`${emulator.url}/projects/1a5`);
  });
});
