/**
 * Over real HTTP: `healthState` (fault plan `healthImages`) in the JSON, the filters, the event stream and
 * the data file; and the scheduler's host-port constraint, as a client sees a failed create+start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { get, post, put, startTestEmulator } from '../../helpers/emulator.js';
import { EventReader, originOf } from './support.js';

describe('health state and host ports over HTTP', () => {
  let emulator: EmulatorHandle | undefined;
  let reader: EventReader | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    reader?.ws.terminate();
    reader = undefined;
    await emulator?.close();
    emulator = undefined;
    // after the close: it saves the data file a last time
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('renders healthState, filters on it and publishes its change on the event stream', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, transitionMs: 100, eventCoalesceMs: 0 });
    const plan = await put(`${originOf(emulator)}/_emulator/faults`, { healthImages: { 'docker:web:2': 'healthy' } });
    expect(plan.status).toBe(200);
    reader = new EventReader(`${emulator.url.replace(/^http/, 'ws')}/subscribe?eventNames=resource.change`);
    await reader.next((event) => event.name === 'ping');
    const web = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:web:2', name: 'web' })).body;
    const plain = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:plain', name: 'plain' })).body;
    expect(web.healthState).toBeNull();
    clock.advance(200);
    expect((await get(`${emulator.url}/containers/${web.id}`)).body).toMatchObject({ state: 'running', healthState: 'initializing' });
    clock.advance(100);
    const healthy = await reader.next((event) => event.resourceId === web.id && event.data.resource.healthState === 'healthy');
    expect(healthy.data.resource).toEqual((await get(`${emulator.url}/containers/${web.id}`)).body);
    const names = async (query: string) => (await get(`${emulator!.url}/containers?${query}`)).body.data.map((c: { name: string }) => c.name);
    expect(await names('healthState=healthy')).toEqual(['web']);
    expect(await names('healthState_null')).toEqual(['plain']);
    expect((await get(`${emulator.url}/containers/${plain.id}`)).body.healthState).toBeNull();
  });

  it('fails a create+start whose host port is taken on the only host, with cattle\'s message', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, transitionMs: 100 });
    const old = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:web:1', name: 'web', ports: ['8080:80/tcp'] })).body;
    clock.advance(200);
    const next = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:web:2', name: 'web-next', ports: ['8080:80/tcp'] })).body;
    clock.advance(1000);
    expect((await get(`${emulator.url}/containers/${old.id}`)).body).toMatchObject({ state: 'running', hostId: '1h1' });
    expect((await get(`${emulator.url}/containers/${next.id}`)).body).toMatchObject({
      state: 'error', transitioning: 'error', transitioningMessage: 'Allocation failed: host needs ports 8080/tcp available', hostId: null,
    });
  });

  describe('with --data', () => {
    it('keeps healthState over a restart, and a report still due is made after it', async () => {
      dir = await mkdtemp(join(tmpdir(), 'emulator-health-'));
      const file = join(dir, 'emulator.json');
      const faults = { healthImages: { 'docker:web': 'unhealthy' as const, 'docker:db': 'healthy' as const } };
      const clock = new ManualClock();
      emulator = await startTestEmulator({ clock, transitionMs: 100, dataFile: file, faults });
      const web = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:web' })).body;
      clock.advance(300);
      const db = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:db' })).body;
      clock.advance(200);
      await emulator.close();
      emulator = await startTestEmulator({ clock, transitionMs: 100, dataFile: file, faults });
      const healthOf = async (id: string) => (await get(`${emulator!.url}/containers/${id}`)).body.healthState;
      expect([await healthOf(web.id), await healthOf(db.id)]).toEqual(['unhealthy', 'initializing']);
      clock.advance(100);
      expect(await healthOf(db.id)).toBe('healthy');
    });
  });
});
