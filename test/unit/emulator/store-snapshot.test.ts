import { describe, expect, test } from '@jest/globals';
import { parseSnapshot, snapshotOf } from '../../../src/emulator/store-snapshot.js';
import { EmulatorStore, type InstanceRecord } from '../../../src/emulator/store.js';

const host = { id: 1, uuid: 'host-uuid', created: 0, hostname: 'h1' };

function aRecord(id: number, extra: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    id, projectId: '1a5', uuid: `uuid-${id}`, kind: 'container', created: 1_700_000_000_000, createIndex: id, name: `c-${id}`,
    description: null, state: 'running', transitioningError: false, transitioningMessage: null, hostId: 1, externalId: 'abc',
    primaryIpAddress: '10.42.0.1', firstRunning: 1_700_000_001_000, removed: null, startCount: 1, healthState: null,
    fields: { imageUuid: 'docker:nginx' }, ...extra,
  };
}

const starting = { transition: { steps: ['creating', 'starting'], final: 'running', failed: false }, index: 1 } as const;

function aSnapshotText(containers: unknown[], sequences = { nextId: 10, nextCreateIndex: 10 }): string {
  return JSON.stringify({ format: 'rancher-reconciler-emulator', version: 1, sequences, hosts: [host], containers });
}

describe('emulator data file snapshot', () => {
  test('round-trips a store with the sequence a transitioning container is in', () => {
    const store = new EmulatorStore({ projects: ['1a5'], hosts: [host], sequences: { nextId: 3, nextCreateIndex: 3 } });
    store.restore(aRecord(1));
    store.restore(aRecord(2, { state: 'starting' }));
    const text = JSON.stringify(snapshotOf(store, (id) => (id === 2 ? starting : undefined)));
    const parsed = parseSnapshot(text, '/data/e.json');
    expect(parsed.sequences).toEqual({ nextId: 3, nextCreateIndex: 3 });
    expect(parsed.containers).toEqual([aRecord(1), { ...aRecord(2, { state: 'starting' }), transition: starting }]);
  });

  test.each<[string, string, string]>([
    ['an unsupported version', JSON.stringify({ format: 'rancher-reconciler-emulator', version: 2 }), 'unsupported version 2'],
    ['a bad state', aSnapshotText([aRecord(1, { state: 'exploded' as never })]), 'containers[0]: bad state "exploded"'],
    ['a host that does not exist', aSnapshotText([aRecord(1, { hostId: 7 })]), 'containers[0]: bad hostId 7'],
    ['a transitioning state without its sequence', aSnapshotText([aRecord(1, { state: 'stopping' })]), 'containers[0]: state stopping without its transition'],
    ['a sequence that does not point at the state', aSnapshotText([{ ...aRecord(1, { state: 'creating' }), transition: starting }]),
      'containers[0]: transition.index must point at its state creating'],
    ['ids out of order', aSnapshotText([aRecord(2), aRecord(1)]), 'containers[1]: ids not ascending'],
    ['a createIndex beyond the sequence', aSnapshotText([aRecord(1, { createIndex: 10 })]), 'containers[0]: beyond the sequences'],
  ])('refuses %s, naming the file', (_rule, text, problem) => {
    expect(() => parseSnapshot(text, '/data/e.json')).toThrow(`emulator data file /data/e.json is corrupt: ${problem}`);
  });
});
