import { Agent, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { get, post, startTestEmulator } from '../../helpers/emulator.js';
import { EventReader, originOf, until } from './support.js';

/** GETs `url` on a keep-alive agent and resolves with the socket it used (left open by the agent). */
function keepAliveGet(agent: Agent, url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(req.socket as Socket));
    });
    req.on('error', reject);
    req.end();
  });
}

const closedSocket = (socket: Socket): Promise<void> => new Promise((resolve) => {
  if (socket.destroyed) resolve();
  else socket.once('close', () => resolve());
});

describe('network faults: partition and stalled event stream (emulator extension)', () => {
  let emulator: EmulatorHandle | undefined;
  const readers: EventReader[] = [];
  const agents: Agent[] = [];
  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.ws.terminate();
    for (const agent of agents.splice(0)) agent.destroy();
    await emulator?.close();
    emulator = undefined;
  });

  const subscribe = (): EventReader => {
    const reader = new EventReader(`${emulator!.url.replace(/^http/, 'ws')}/subscribe?eventNames=resource.change`);
    readers.push(reader);
    return reader;
  };

  it('partition: requests hang and are never processed, the stream goes silent, every connection drops at the end', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, pingIntervalMs: 100 });
    const agent = new Agent({ keepAlive: true });
    agents.push(agent);
    const keptAlive = await keepAliveGet(agent, `${emulator.url}/hosts`);
    const reader = subscribe();
    await reader.next((event) => event.name === 'ping');

    const started = await fetch(`${originOf(emulator)}/_emulator/partition`, { method: 'POST', body: JSON.stringify({ durationMs: 1000 }) });
    expect(started.status).toBe(200);
    expect(((await started.json()) as { partition?: unknown }).partition).toEqual({ durationMs: 1000 });
    const hungCreate = post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', name: 'partitioned', labels: { a: 'b' } });
    const hungCreateSettled = hungCreate.then(() => 'answered', () => 'dropped');
    const hungList = get(`${emulator.url}/containers`).then(() => 'answered', () => 'dropped');
    const hung = await until(() => emulator!.requests().filter((entry) => entry.status === 'hung'), (entries) => entries.length === 2, 'two hung requests');
    expect(hung.map(({ method, path, committed, fault }) => ({ method, path, committed, fault }))).toEqual(expect.arrayContaining([
      { method: 'POST', path: '/v1/containers', committed: false, fault: 'partition' },
      { method: 'GET', path: '/v1/containers', committed: false, fault: 'partition' },
    ]));

    // ten ping intervals pass inside the window, then it ends
    clock.advance(1000);
    expect(await hungCreateSettled).toBe('dropped');
    expect(await hungList).toBe('dropped');
    await reader.closed();
    await closedSocket(keptAlive);
    expect(reader.all.map((event) => event.name)).toEqual(['ping']);

    expect(emulator.faults().partition).toBeUndefined();
    expect((await get(`${emulator.url}/containers?name=partitioned`)).body.data).toEqual([]);
    expect(emulator.containers()).toEqual([]);
    expect(emulator.requests().find((entry) => entry.method === 'POST')).toMatchObject({ status: 'hung', committed: false, apiStatus: null });
  });

  it('partition: a request received before the window is processed, but its answer is withheld and its connection dropped', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, faults: { rules: [{ method: 'POST', effect: 'latency', latencyMs: 500, times: 1 }] } });
    const create = post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', name: 'before' }).then(() => 'answered', () => 'dropped');
    await until(() => clock.pending, (timers) => timers > 0, 'the latency timer');
    emulator.setFaults({ partition: { durationMs: 1000 } });
    clock.advance(500);
    // processed on the server side while the network is cut (the API itself cannot be asked: it hangs)
    const stored = await until(() => emulator!.containers(), (containers) => containers.length === 1, 'the create to be processed');
    expect(stored[0]).toMatchObject({ name: 'before', createIndex: 1 });
    clock.advance(500);
    expect(await create).toBe('dropped');
    expect(emulator.requests()[0]).toMatchObject({ method: 'POST', status: 'hung', committed: true, apiStatus: 201, fault: 'latency' });
    expect((await get(`${emulator.url}/containers?name=before`)).body.data).toHaveLength(1);
  });

  it('partition: durationMs 0 ends a running window at once; admin routes answer during it', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock });
    emulator.partition(60_000);
    const hung = get(`${emulator.url}/hosts`).then(() => 'answered', () => 'dropped');
    await until(() => emulator!.requests(), (entries) => entries[0]?.status === 'hung', 'a hung request');
    const counters = await fetch(`${originOf(emulator)}/_emulator/counters`);
    expect(await counters.json()).toEqual({ 'GET /v1/hosts': 1, total: 1 });
    const ended = await fetch(`${originOf(emulator)}/_emulator/faults`, { method: 'PUT', body: JSON.stringify({ partition: { durationMs: 0 } }) });
    expect(await ended.json()).toEqual({});
    expect(await hung).toBe('dropped');
    expect((await get(`${emulator.url}/hosts`)).status).toBe(200);
  });

  it('stall-stream: no ping within two ping intervals and no events while on; off resumes with the changes coalesced', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, pingIntervalMs: 1000, transitionMs: 100 });
    const reader = subscribe();
    await reader.next((event) => event.name === 'ping');
    emulator.setFaults({ stallStream: true });
    const id = (await post(`${emulator.url}/containers`, { imageUuid: 'docker:nginx', name: 'quiet' })).body.id;
    // two ping intervals, and the whole create sequence (creating, starting, running), pass while stalled
    clock.advance(1000);
    clock.advance(1000);
    expect((await get(`${emulator.url}/containers/${id}`)).body.state).toBe('running');
    const stalledAt = reader.all.length;
    emulator.setFaults({});
    const first = await reader.next(() => true, stalledAt);
    // events travel in order on one socket: a ping sent during the stall would have come first
    expect(reader.all.slice(1).map((event) => event.name)).toEqual(['resource.change']);
    expect(first).toMatchObject({ name: 'resource.change', resourceId: id, data: { resource: { state: 'running', name: 'quiet' } } });
    expect(stalledAt).toBe(1);
    clock.advance(1000);
    await reader.next((event) => event.name === 'ping', 2);
  });

  it('stall-stream: a subscriber that connects while stalled gets its first ping only after the stall ends', async () => {
    const clock = new ManualClock();
    emulator = await startTestEmulator({ clock, pingIntervalMs: 1000 });
    emulator.setFaults({ stallStream: true });
    const reader = subscribe();
    await new Promise<void>((resolve) => reader.ws.once('open', () => resolve()));
    clock.advance(2000);
    emulator.setFaults({});
    clock.advance(1000);
    await reader.next((event) => event.name === 'ping');
    // one socket keeps the order: the pings due at connect, +1000 and +2000 would have come before this one
    expect(reader.all.map((event) => event.time)).toEqual([clock.now()]);
  });
});
