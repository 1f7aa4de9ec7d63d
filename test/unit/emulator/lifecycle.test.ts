/**
 * The lifecycle's two facts a replace depends on: health checks (healthState over a start) and host
 * ports (the scheduler refuses a second container publishing the same host port on a host). Driven on a
 * manual clock: each transitioning state lasts 100 ms.
 */
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { FaultInjector, type FaultPlan } from '../../../src/emulator/faults.js';
import { HealthChecks } from '../../../src/emulator/health.js';
import { InstanceLifecycle } from '../../../src/emulator/lifecycle.js';
import { HostPlacement } from '../../../src/emulator/placement.js';
import { transitionFor } from '../../../src/emulator/state-machine.js';
import { EmulatorStore, type InstanceRecord } from '../../../src/emulator/store.js';
import { TimerSet } from '../../../src/emulator/timers.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const stepMs = 100;

/** A lifecycle over a fresh store with `hosts` hosts; `changes` records every published change. */
function aLifecycle(plan: FaultPlan = {}, hosts = 1) {
  const clock = new ManualClock();
  const timers = new TimerSet({ clock });
  const store = new EmulatorStore({
    projects: ['1a5'], hosts: Array.from({ length: hosts }, (_, index) => ({ id: index + 1, uuid: `h${index + 1}`, created: 0, hostname: `h${index + 1}` })),
  });
  const faults = new FaultInjector({ clock, plan });
  const changes: { id: number; state: string; healthState: string | null }[] = [];
  const onChange = (record: InstanceRecord): void => void changes.push({ id: record.id, state: record.state, healthState: record.healthState });
  const health = new HealthChecks({ timers, transitionMs: stepMs, onChange, healthOf: (record) => faults.healthOf(record.fields['imageUuid']) });
  const lifecycle = new InstanceLifecycle({
    clock, timers, store, onChange, health, log: pino({ level: 'silent' }), transitionMs: stepMs, purgeDelayMs: 60_000,
    placement: new HostPlacement({ store }), startFails: (record) => faults.startFails(record.fields['imageUuid']),
  });
  const act = (record: InstanceRecord, action: string, options: { startOnCreate?: boolean } = {}): void => {
    const result = transitionFor(record.state, action, options);
    if (result.kind !== 'process') throw new Error(`${action} is not available in ${record.state}`);
    lifecycle.run(record, result.transition);
  };
  const create = (fields: Record<string, unknown>): InstanceRecord => {
    const id = store.nextInstanceId();
    const record: InstanceRecord = {
      id, projectId: '1a5', uuid: `u-${id}`, kind: 'container', created: 0, createIndex: store.nextCreateIndex(), name: `c-${id}`,
      description: null, state: 'requested', transitioningError: false, transitioningMessage: null, hostId: null, externalId: null,
      primaryIpAddress: null, firstRunning: null, removed: null, startCount: 0, healthState: null, fields: { imageUuid: 'docker:web', ...fields },
    };
    store.project('1a5')!.add(record);
    act(record, 'create', { startOnCreate: fields['startOnCreate'] !== false });
    return record;
  };
  return { clock, changes, create, act };
}

/** The fields of a record that tell how a start ended. */
const outcome = (record: InstanceRecord) => ({
  state: record.state, hostId: record.hostId, transitioningError: record.transitioningError, transitioningMessage: record.transitioningMessage,
});

describe('health checks (fault plan healthImages)', () => {
  it('reports initializing once running, then the planned state one transition later, each as a change', () => {
    const { clock, changes, create } = aLifecycle({ healthImages: { 'docker:web': 'healthy' } });
    const web = create({});
    clock.advance(2 * stepMs);
    expect([web.state, web.healthState]).toEqual(['running', 'initializing']);
    expect(changes.at(-1)).toEqual({ id: web.id, state: 'running', healthState: 'initializing' });
    clock.advance(stepMs);
    expect(changes.at(-1)).toEqual({ id: web.id, state: 'running', healthState: 'healthy' });
  });

  it.each<['unhealthy' | 'initializing', string]>([
    ['unhealthy', 'unhealthy'],
    ['initializing', 'initializing'],
  ])('a check planned %s ends %s', (planned, expected) => {
    const { clock, create } = aLifecycle({ healthImages: { 'docker:web': planned } });
    const web = create({});
    clock.advance(10 * stepMs);
    expect(web.healthState).toBe(expected);
  });

  it('leaves healthState null for images without a health check, and before the first start', () => {
    const { clock, create } = aLifecycle({ healthImages: { 'docker:web': 'healthy' } });
    const other = create({ imageUuid: 'docker:other' });
    const idle = create({ startOnCreate: false });
    clock.advance(10 * stepMs);
    expect([other.state, other.healthState, idle.state, idle.healthState]).toEqual(['running', null, 'stopped', null]);
  });

  it('keeps healthState over a stop, and a stop before the report drops it', () => {
    const { clock, create, act } = aLifecycle({ healthImages: { 'docker:web': 'healthy', 'docker:slow': 'healthy' } });
    const web = create({});
    const slow = create({ imageUuid: 'docker:slow' });
    clock.advance(2 * stepMs);
    act(slow, 'stop');
    clock.advance(stepMs);
    act(web, 'stop');
    clock.advance(10 * stepMs);
    expect([web.state, web.healthState, slow.state, slow.healthState]).toEqual(['stopped', 'healthy', 'stopped', 'initializing']);
  });

  it('a restart of a healthy container goes reinitializing, then healthy again', () => {
    const { clock, changes, create, act } = aLifecycle({ healthImages: { 'docker:web': 'healthy' } });
    const web = create({});
    clock.advance(3 * stepMs);
    act(web, 'restart');
    clock.advance(3 * stepMs);
    expect([web.state, web.healthState]).toEqual(['running', 'reinitializing']);
    clock.advance(stepMs);
    expect(changes.at(-1)).toEqual({ id: web.id, state: 'running', healthState: 'healthy' });
  });
});

describe('host ports (the scheduler\'s port constraint)', () => {
  const allocationFailed = 'Allocation failed: host needs ports 8080/tcp available';

  it('fails a second container publishing the same host port on the only host: error, no host, cattle\'s message', () => {
    const { clock, create } = aLifecycle();
    const first = create({ ports: ['8080:80/tcp'] });
    clock.advance(2 * stepMs);
    const second = create({ ports: ['8080:80/tcp'] });
    clock.advance(10 * stepMs);
    expect(outcome(first)).toEqual({ state: 'running', hostId: 1, transitioningError: false, transitioningMessage: null });
    expect(outcome(second)).toEqual({ state: 'error', hostId: null, transitioningError: true, transitioningMessage: allocationFailed });
  });

  it('counts a starting container as holding its ports (two created at once)', () => {
    const { clock, create } = aLifecycle();
    const [first, second] = [create({ ports: ['8080:80'] }), create({ ports: ['8080:80'] })];
    clock.advance(10 * stepMs);
    expect([first.state, second.state, second.transitioningMessage]).toEqual(['running', 'error', allocationFailed]);
  });

  it('places the second one on another host when there is one', () => {
    const { clock, create } = aLifecycle({}, 2);
    const first = create({ ports: ['8080:80/tcp'] });
    clock.advance(2 * stepMs);
    const next = create({});
    const second = create({ ports: ['8080:80/tcp'] });
    clock.advance(10 * stepMs);
    expect([first.hostId, next.hostId, second.hostId, second.state]).toEqual([1, 2, 2, 'running']);
  });

  it('lets other protocols, bind addresses and stopped containers share the port', () => {
    const { clock, create, act } = aLifecycle();
    const old = create({ ports: ['8080:80/tcp'] });
    const udp = create({ ports: ['8080:80/udp'] });
    const local = create({ ports: ['127.0.0.1:8080:80/tcp'] });
    clock.advance(2 * stepMs);
    act(old, 'stop');
    clock.advance(stepMs);
    const next = create({ ports: ['8080:80/tcp'] });
    clock.advance(10 * stepMs);
    expect([old.state, udp.state, local.state, next.state]).toEqual(['stopped', 'running', 'running', 'running']);
  });

  it('starts on a requested host where the port is taken, and fails there with Docker\'s bind error', () => {
    const { clock, create } = aLifecycle({}, 2);
    create({ ports: ['8080:80/tcp'], requestedHostId: '1h1' });
    clock.advance(2 * stepMs);
    const pinned = create({ ports: ['8080:80/tcp'], requestedHostId: '1h1' });
    clock.advance(10 * stepMs);
    expect(outcome(pinned)).toEqual({
      state: 'error', hostId: 1, transitioningError: true, transitioningMessage: 'Bind for 0.0.0.0:8080 failed: port is already allocated',
    });
  });

  it('fails a later start on its own host once another container took the port: back in stopped', () => {
    const { clock, create, act } = aLifecycle({}, 2);
    const old = create({ ports: ['8080:80/tcp'] });
    clock.advance(2 * stepMs);
    act(old, 'stop');
    clock.advance(stepMs);
    create({ ports: ['8080:80/tcp'], requestedHostId: '1h1' });
    clock.advance(2 * stepMs);
    act(old, 'start');
    clock.advance(10 * stepMs);
    expect(outcome(old)).toEqual({
      state: 'stopped', hostId: 1, transitioningError: true, transitioningMessage: 'Bind for 0.0.0.0:8080 failed: port is already allocated',
    });
  });
});
