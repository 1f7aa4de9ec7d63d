import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { get, post, startTestEmulator } from '../../helpers/emulator.js';

describe('--data: the store survives an emulator restart (emulator extension)', () => {
  let dir: string;
  let file: string;
  let emulator: EmulatorHandle | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emulator-data-'));
    file = join(dir, 'emulator.json');
  });
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const restart = async (clock = new ManualClock()): Promise<EmulatorHandle> => {
    await emulator?.close();
    emulator = await startTestEmulator({ clock, transitionMs: 100, dataFile: file });
    return emulator;
  };

  it('keeps the containers with all their fields, and ids and createIndex continue after the restart', async () => {
    const clock = new ManualClock();
    await restart(clock);
    const ids: string[] = [];
    for (const [index, extra] of [{ labels: { tier: 'web' } }, { startOnCreate: false }, { environment: { A: '1' } }].entries()) {
      ids.push((await post(`${emulator!.url}/containers`, { imageUuid: 'docker:nginx', name: `keep-${index}`, ...extra })).body.id);
    }
    clock.advance(1000);
    const before = (await get(`${emulator!.url}/containers`)).body.data;
    const rawBefore = emulator!.containers();
    expect(rawBefore.map((container) => [container.id, container.createIndex, container.state, container.startCount])).toEqual([
      [ids[0], 1, 'running', 1], [ids[1], 2, 'stopped', 0], [ids[2], 3, 'running', 1],
    ]);

    const oldUrl = emulator!.url;
    await restart();
    expect(emulator!.containers()).toEqual(rawBefore);
    // the same bodies, links aside (the restarted emulator listens on another port)
    const after = (await get(`${emulator!.url}/containers`)).body.data;
    expect(JSON.stringify(after).replaceAll(emulator!.url, oldUrl)).toBe(JSON.stringify(before));
    expect((await get(`${emulator!.url}/containers/${ids[0]}`)).body.labels).toEqual({ tier: 'web', 'io.rancher.environment.uuid': expect.any(String) });
    const next = await post(`${emulator!.url}/containers`, { imageUuid: 'docker:nginx', name: 'keep-3' });
    expect(next.body.id).toBe(`1i${Number(ids[2]!.slice(2)) + 1}`);
    expect(emulator!.containers().at(-1)).toMatchObject({ id: next.body.id, createIndex: 4 });
  });

  it('answers a create only once it is on disk (a crash after the answer loses nothing answered)', async () => {
    await restart();
    const created = await post(`${emulator!.url}/containers`, { imageUuid: 'docker:nginx', name: 'durable' });
    expect(created.status).toBe(201);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved.containers.map((container: { name: string }) => container.name)).toEqual(['durable']);
    expect(saved.sequences).toEqual({ nextId: 2, nextCreateIndex: 2 });
    // written through a temp file and renamed: nothing else is left in the folder
    expect(await readdir(dir)).toEqual(['emulator.json']);
  });

  it('resumes a transition that was in flight at close: the container goes on to its target state', async () => {
    await restart();
    const id = (await post(`${emulator!.url}/containers`, { imageUuid: 'docker:nginx', name: 'midway' })).body.id;
    const clock = new ManualClock();
    await restart(clock);
    expect((await get(`${emulator!.url}/containers/${id}`)).body).toMatchObject({ state: 'creating', transitioning: 'yes' });
    clock.advance(100);
    expect((await get(`${emulator!.url}/containers/${id}`)).body.state).toBe('starting');
    clock.advance(100);
    expect((await get(`${emulator!.url}/containers/${id}`)).body).toMatchObject({ state: 'running', startCount: 1, hostId: '1h1' });
  });

  it('schedules the purge of a removed container again after a restart', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, transitionMs: 100, purgeDelayMs: 5000, dataFile: file });
    const id = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', startOnCreate: false })).body.id;
    clock.advance(100);
    await fetch(`${emulator.url}/containers/${id}`, { method: 'DELETE' });
    clock.advance(100);
    await emulator.close();
    const later = new ManualClock();
    emulator = await startTestEmulator({ clock: later, transitionMs: 100, purgeDelayMs: 5000, dataFile: file });
    expect((await get(`${emulator.url}/containers/${id}`)).body.state).toBe('removed');
    later.advance(5100);
    expect((await get(`${emulator.url}/containers/${id}`)).body.state).toBe('purged');
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{"format": "rancher-reconciler-emulator",', /is corrupt: not JSON$/],
    ['not an emulator file', '{"containers": []}', /is corrupt: not an emulator data file/],
    ['a container beyond the sequences', JSON.stringify({
      format: 'rancher-reconciler-emulator', version: 1, sequences: { nextId: 1, nextCreateIndex: 1 }, hosts: [],
      containers: [{ id: 1, projectId: '1a5', uuid: 'u', kind: 'container', created: 0, createIndex: 1, name: null, description: null,
        state: 'stopped', transitioningError: false, transitioningMessage: null, hostId: null, externalId: null, primaryIpAddress: null,
        firstRunning: null, removed: null, startCount: 0, fields: {} }],
    }), /is corrupt: containers\[0\]: beyond the sequences$/],
  ])('fails to start on a corrupt data file (%s), naming the file', async (_name, text, message) => {
    await writeFile(file, text);
    const failed = startTestEmulator({ dataFile: file });
    await expect(failed).rejects.toMatchObject({ code: 'ERR_EMULATOR', message: expect.stringContaining(`emulator data file ${file} is corrupt`) });
    await expect(failed).rejects.toThrow(message);
    // the file is left as it was for a human to look at
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});
