import { afterAll, beforeAll, describe, expect, it, test } from '@jest/globals';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { get, post, put, request, startTestEmulator } from '../../helpers/emulator.js';

describe('error bodies', () => {
  const clock = new ManualClock();
  let emulator: EmulatorHandle;
  let base: string;
  let running: string;

  beforeAll(async () => {
    emulator = await startTestEmulator({ clock, transitionMs: 100 });
    base = emulator.url;
    running = (await post(`${base}/containers`, { imageUuid: 'docker:nginx' })).body.id;
    clock.advance(200);
  });
  afterAll(async () => emulator.close());

  test.each<[string, () => Promise<{ status: number; body: any; headers: Headers }>, number, Record<string, unknown>]>([
    ['a missing imageUuid is 422 MissingRequired', () => post(`${base}/containers`, { name: 'x' }), 422,
      { code: 'MissingRequired', fieldName: 'imageUuid', message: 'image is required, but not specified' }],
    ['a value outside an enum is 422 InvalidOption', () => post(`${base}/containers`, { imageUuid: 'docker:x', networkMode: 'weird' }), 422,
      { code: 'InvalidOption', fieldName: 'networkMode', message: null }],
    ['a wrongly typed value is 422 InvalidFormat', () => post(`${base}/containers`, { imageUuid: 'docker:x', memory: 'lots' }), 422,
      { code: 'InvalidFormat', fieldName: 'memory' }],
    ['a name over 255 characters is 422 MaxLengthExceeded', () => post(`${base}/containers`, { imageUuid: 'docker:x', name: 'n'.repeat(256) }), 422,
      { code: 'MaxLengthExceeded', fieldName: 'name' }],
    ['a description over 1024 characters is 422 MaxLengthExceeded', () => put(`${base}/containers/${running}`, { description: 'd'.repeat(1025) }), 422,
      { code: 'MaxLengthExceeded', fieldName: 'description' }],
    ['a requestedHostId that does not exist is 422 InvalidReference', () => post(`${base}/containers`, { imageUuid: 'docker:x', requestedHostId: '1h9' }), 422,
      { code: 'InvalidReference', fieldName: 'requestedHostId' }],
    ['malformed JSON is 400 InvalidBodyContent', () => post(`${base}/containers`, '{"imageUuid":'), 400,
      { code: 'InvalidBodyContent', message: 'InvalidBodyContent' }],
    ['an unknown id is 404 Not Found', () => get(`${base}/containers/1i99999`), 404, { code: 'Not Found', message: 'Not Found' }],
    ['an id of another type is 404 Not Found', () => get(`${base}/containers/1h1`), 404, { code: 'Not Found' }],
    ['an unknown collection is 404 Not Found', () => get(`${base}/widgets`), 404, { code: 'Not Found' }],
    ['an action on an unknown id is 404', () => post(`${base}/containers/1i99999?action=stop`), 404, { code: 'Not Found' }],
    ['an action name the schema lacks is 422 InvalidAction', () => post(`${base}/containers/${running}?action=explode`), 422,
      { code: 'InvalidAction', fieldName: 'action' }],
    ['an action the state does not offer is 422 ActionNotAvailable', () => post(`${base}/containers/${running}?action=start`), 422,
      { code: 'ActionNotAvailable', fieldName: 'action' }],
    ['console is never offered for a container', () => post(`${base}/containers/${running}?action=console`), 422,
      { code: 'ActionNotAvailable' }],
    ['PUT on the container collection is 405', () => put(`${base}/containers`, {}), 405, { code: 'Method not allowed' }],
    ['an unknown project is 403 Forbidden', () => get(`${base}/projects/1a77/containers`), 403, { code: 'Forbidden', message: 'Forbidden' }],
    ['a malformed project id is 400 InvalidFormat', () => get(`${base}/containers`, { 'X-API-Project-Id': 'nope' }), 400,
      { code: 'InvalidFormat' }],
  ])('%s', async (_rule, send, status, fields) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('x-api-schemas')).toMatch(/\/v1(\/projects\/1a\d+)?\/schemas$/);
    expect(Object.keys(response.body).slice(0, 9)).toEqual(['id', 'type', 'links', 'actions', 'baseType', 'status', 'code', 'message', 'detail']);
    expect(response.body).toMatchObject({ type: 'error', links: {}, actions: {}, status, detail: null, ...fields });
  });

  it('accepts an unknown body field silently and ignores non-creatable fields', async () => {
    const response = await post(`${base}/containers`, { imageUuid: 'docker:x', bogus: 1, state: 'running' });
    expect(response.status).toBe(201);
    expect(response.body.state).toBe('creating');
  });

  it('answers 405 for a POST without action on a container', async () => {
    const response = await request('POST', `${base}/containers/${running}`, {});
    expect(response.status).toBe(405);
  });
});
