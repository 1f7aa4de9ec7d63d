/**
 * `spec.suspend`, a suspended daemon and `spec.prune: false`, as `diff` decides them: one row per rule,
 * exact plans (domain/suspension.ts, domain/prune-protection.ts).
 */
import { describe, expect, test } from '@jest/globals';
import { diff, type DiffInput, type OwnedLive } from '../../../src/domain/diff.js';
import { entryAfterAction } from '../../../src/domain/inventory-record.js';
import type { InventoryEntry, Plan } from '../../../src/domain/plan.js';
import { aDesiredInstance, aLiveInstance, aLiveInstanceIn, anInventoryEntry } from '../../helpers/builders.js';

const owns = (live: OwnedLive, entry: InventoryEntry = anInventoryEntry()): DiffInput['owned'] => ({ entry, live });
const input = (overrides: Partial<DiffInput>): DiffInput => ({ key: 'web-1', desired: aDesiredInstance(), named: [], ...overrides });
const suspended = aDesiredInstance({ suspend: true });
const protectedEntry = anInventoryEntry({ prune: false });

describe('spec.suspend: the key is held, whatever live says', () => {
  test.each<[string, DiffInput, Plan]>([
    ['a suspended instance in sync is reported suspended, nothing pending', input({ desired: suspended, owned: owns(aLiveInstance()) }), { kind: 'in-sync', note: 'suspended' }],
    [
      'a pending update is held and said in a notice',
      input({ desired: aDesiredInstance({ suspend: true, spec: { description: 'new' } }), owned: owns(aLiveInstance()) }),
      { kind: 'in-sync', note: 'suspended', notices: ['suspended: would update 1i1 (description)'] },
    ],
    [
      'a stopped instance is not started',
      input({ desired: suspended, owned: owns(aLiveInstanceIn('stopped')) }),
      { kind: 'in-sync', note: 'suspended', notices: ['suspended: would start 1i1'] },
    ],
    ['a missing instance is not created', input({ desired: suspended }), { kind: 'in-sync', note: 'suspended', notices: ["suspended: would create 'web-1' (started)"] }],
    [
      'an adoptable container is not adopted (no inventory change)',
      input({ desired: suspended, named: [aLiveInstance()] }),
      { kind: 'in-sync', note: 'suspended', notices: ['suspended: would adopt 1i1'] },
    ],
    [
      'a blocked create-only change says it would stay blocked',
      input({ desired: aDesiredInstance({ suspend: true, spec: { imageUuid: 'docker:nginx:1.27' } }), owned: owns(aLiveInstance()) }),
      { kind: 'in-sync', note: 'suspended', notices: ['suspended: would be blocked: create-only fields changed: imageUuid (onImmutableChange: block)'] },
    ],
    [
      'the prune protection is still recorded (it can only keep more)',
      input({ desired: aDesiredInstance({ suspend: true, prune: false, spec: { description: 'new' } }), owned: owns(aLiveInstance()) }),
      { kind: 'in-sync', note: 'suspended', notices: ['suspended: would update 1i1 (description)'], inventory: { kind: 'patch', changes: { prune: false } } },
    ],
    [
      'an invalid manifest still blocks the key (left exactly as it is)',
      input({ desired: suspended, owned: owns(aLiveInstance()), manifestIssue: 'a.yaml:1:1: bad' }),
      { kind: 'blocked', reason: 'manifest-invalid', message: 'a.yaml:1:1: bad' },
    ],
  ])('%s', (_rule, given, expected) => expect(diff(given)).toEqual(expected));
});

describe('a suspended daemon: plans with work are held, the others reported as they are', () => {
  test.each<[string, DiffInput, Plan | ReturnType<typeof expect.objectContaining>]>([
    ['an instance in sync stays in sync', input({ owned: owns(aLiveInstance()), daemonSuspended: true }), { kind: 'in-sync' }],
    [
      'a start is held',
      input({ owned: owns(aLiveInstanceIn('stopped')), daemonSuspended: true }),
      { kind: 'in-sync', note: 'daemon-suspended', notices: ['suspended: would start 1i1'] },
    ],
    [
      'a prune is held',
      input({ desired: undefined, owned: owns(aLiveInstance()), removal: 'allowed', daemonSuspended: true }),
      { kind: 'in-sync', note: 'daemon-suspended', notices: ['suspended: would stop+remove 1i1'] },
    ],
    [
      'forgetting a gone container waits for the resume (no inventory change)',
      input({ desired: undefined, owned: owns('gone'), daemonSuspended: true }),
      { kind: 'in-sync', note: 'daemon-suspended' },
    ],
    [
      'a wait is reported as a wait',
      input({ owned: owns(aLiveInstanceIn('starting')), daemonSuspended: true }),
      { kind: 'wait', reason: 'transitioning', message: '1i1 is starting: In Progress' },
    ],
    [
      'a blocked key is reported blocked',
      input({ desired: aDesiredInstance({ spec: { imageUuid: 'docker:nginx:1.27' } }), owned: owns(aLiveInstance()), daemonSuspended: true }),
      expect.objectContaining({ kind: 'blocked', reason: 'immutable-field-changed' }),
    ],
  ])('%s', (_rule, given, expected) => expect(diff(given)).toEqual(expected));
});

describe('a standby replica (another leads the environment): plans with work are held, nothing is recorded', () => {
  test.each<[string, DiffInput, Plan | ReturnType<typeof expect.objectContaining>]>([
    ['an instance in sync stays in sync', input({ owned: owns(aLiveInstance()), standby: true }), { kind: 'in-sync' }],
    [
      'a start is held, saying what the leader would do',
      input({ owned: owns(aLiveInstanceIn('stopped')), standby: true }),
      { kind: 'in-sync', note: 'standby', notices: ['standby: would start 1i1'] },
    ],
    [
      'a create is held with its prune protection: the leader records it, not the standby',
      input({ desired: aDesiredInstance({ prune: false }), standby: true }),
      expect.objectContaining({ kind: 'in-sync', note: 'standby', notices: [expect.stringMatching(/^standby: would create /)] }),
    ],
    [
      'a prune is held',
      input({ desired: undefined, owned: owns(aLiveInstance()), removal: 'allowed', standby: true }),
      { kind: 'in-sync', note: 'standby', notices: ['standby: would stop+remove 1i1'] },
    ],
    [
      'a wait is reported as a wait',
      input({ owned: owns(aLiveInstanceIn('starting')), standby: true }),
      { kind: 'wait', reason: 'transitioning', message: '1i1 is starting: In Progress' },
    ],
    [
      'standby wins over a suspended daemon: not even the prune protection is recorded',
      input({ desired: aDesiredInstance({ prune: false }), owned: owns(aLiveInstance()), daemonSuspended: true, standby: true }),
      { kind: 'in-sync' },
    ],
  ])('%s', (_rule, given, expected) => expect(diff(given)).toEqual(expected));
});

describe('spec.prune: false is recorded in the entry and keeps the orphan', () => {
  test.each<[string, DiffInput, Plan | ReturnType<typeof expect.objectContaining>]>([
    [
      'a create records the protection in its entry',
      input({ desired: aDesiredInstance({ prune: false }) }),
      expect.objectContaining({ kind: 'act', actions: [expect.objectContaining({ kind: 'create', record: { prune: false } })] }),
    ],
    ['an owned entry without it is patched', input({ desired: aDesiredInstance({ prune: false }), owned: owns(aLiveInstance()) }), { kind: 'in-sync', inventory: { kind: 'patch', changes: { prune: false } } }],
    ['a protection the manifest dropped is cleared', input({ owned: owns(aLiveInstance(), protectedEntry) }), { kind: 'in-sync', inventory: { kind: 'patch', changes: { prune: undefined } } }],
    ['an entry that says so already is left alone', input({ desired: aDesiredInstance({ prune: false }), owned: owns(aLiveInstance(), protectedEntry) }), { kind: 'in-sync' }],
    [
      'an adoption records it',
      input({ desired: aDesiredInstance({ prune: false }), named: [aLiveInstance()] }),
      { kind: 'in-sync', inventory: { kind: 'adopt', record: { key: 'web-1', id: '1i1', uuid: 'uuid-1i1', name: 'web-1', origin: 'adopted', prune: false } } },
    ],
    [
      'it joins the other changes of a patch',
      input({ desired: aDesiredInstance({ prune: false, stopTimeout: 9 }), owned: owns(aLiveInstance()) }),
      { kind: 'in-sync', inventory: { kind: 'patch', changes: { stopTimeout: 9, prune: false } } },
    ],
    ['a protected orphan is kept although its removal is allowed', input({ desired: undefined, owned: owns(aLiveInstance(), protectedEntry), removal: 'allowed' }), { kind: 'in-sync', note: 'protected' }],
    ['a protected orphan is kept, not blocked, over the budget', input({ desired: undefined, owned: owns(aLiveInstance(), protectedEntry), removal: 'over-budget' }), { kind: 'in-sync', note: 'protected' }],
    ['a protected orphan is kept without --prune too', input({ desired: undefined, owned: owns(aLiveInstance(), protectedEntry), removal: 'disabled' }), { kind: 'in-sync', note: 'protected' }],
    [
      'a protected orphan whose container is gone is forgotten',
      input({ desired: undefined, owned: owns('gone', protectedEntry), removal: 'allowed' }),
      { kind: 'in-sync', note: 'gone', inventory: { kind: 'forget' } },
    ],
  ])('%s', (_rule, given, expected) => expect(diff(given)).toEqual(expected));

  test('the entry a create leaves behind carries the protection', () => {
    const action = { kind: 'create', spec: aDesiredInstance().spec, startOnCreate: true, record: { prune: false } } as const;
    expect(entryAfterAction('web-1', undefined, action, { id: '1i4', uuid: 'u4' }, '2026-12-01T00:00:00.000Z')).toMatchObject({ id: '1i4', prune: false });
  });
});
