/**
 * virtualMachine instances over real HTTP: their own collection, type and links, the container state
 * machine, and `console` offered only while running; containers never offer it, and the container
 * collection never lists a virtual machine (docs/rancher-v1.md#virtual-machines).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { get, post, startTestEmulator, waitForResource } from '../../helpers/emulator.js';

let emulator: EmulatorHandle;
let vm: any;
let container: any;

beforeAll(async () => {
  emulator = await startTestEmulator();
  const made = await post(`${emulator.url}/virtualmachines`, { name: 'vm1', imageUuid: 'docker:rancher/vm-ubuntu' });
  expect(made.status).toBe(201);
  const other = await post(`${emulator.url}/containers`, { name: 'web', imageUuid: 'docker:nginx' });
  vm = await waitForResource(made.body.links.self, (body) => body.state === 'running');
  container = await waitForResource(other.body.links.self, (body) => body.state === 'running');
});
afterAll(() => emulator.close());

describe('virtual machines', () => {
  it('are typed virtualMachine, linked under /v1/virtualmachines, with the 1i id prefix', () => {
    expect(vm).toMatchObject({ type: 'virtualMachine', kind: 'virtualMachine', baseType: 'instance', id: expect.stringMatching(/^1i\d+$/) });
    expect(vm.links.self).toBe(`${emulator.url}/virtualmachines/${vm.id}`);
    expect(vm.memoryMb).toBe(512);
  });

  it('offer console only while running; a running container never does', () => {
    expect(vm.actions.console).toBe(`${emulator.url}/virtualmachines/${vm.id}/?action=console`);
    expect(container.actions.console).toBeUndefined();
  });

  it('are listed by /v1/virtualmachines and /v1/instances, never by /v1/containers', async () => {
    const ids = async (path: string): Promise<string[]> => (await get(`${emulator.url}/${path}`)).body.data.map((item: any) => item.id);
    expect(await ids('virtualmachines')).toEqual([vm.id]);
    expect(await ids('containers')).toEqual([container.id]);
    expect((await ids('instances')).sort()).toEqual([vm.id, container.id].sort());
    expect((await get(`${emulator.url}/containers/${vm.id}`)).status).toBe(404);
    expect((await get(emulator.url)).body.links.virtualMachines).toBe(`${emulator.url}/virtualmachines`);
  });

  it('console answers a hostAccess for the /v1/console/ endpoint with a console claim', async () => {
    const answer = await post(vm.actions.console, {});
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ type: 'hostAccess', url: expect.stringMatching(/\/v1\/console\/$/) });
    const payload = JSON.parse(Buffer.from(answer.body.token.split('.')[1], 'base64url').toString('utf8'));
    expect(payload.console).toEqual({ container: vm.externalId });
  });

  it('console on a container is refused: 422 ActionNotAvailable', async () => {
    const answer = await post(`${container.links.self}/?action=console`, {});
    expect(answer).toMatchObject({ status: 422, body: { code: 'ActionNotAvailable', fieldName: 'action' } });
  });

  it('go through the same state machine: stopped, console is gone and refused', async () => {
    const stopping = await post(vm.actions.stop, {});
    expect(stopping).toMatchObject({ status: 202, body: { state: 'stopping' } });
    const stopped = await waitForResource(vm.links.self, (body) => body.state === 'stopped');
    expect(stopped.actions.console).toBeUndefined();
    expect(Object.keys(stopped.actions).sort()).toEqual(['error', 'logs', 'remove', 'setlabels', 'start', 'update']);
    expect((await post(`${vm.links.self}/?action=console`, {})).body.code).toBe('ActionNotAvailable');
  });
});
