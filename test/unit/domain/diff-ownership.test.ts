/**
 * diff's ownership rules, one row per rule: surplus twins, recovery from our labels, key renames,
 * a restart whose answer was lost, recreate pacing, same-name containers we do not own.
 */
import { describe, expect, test } from '@jest/globals';
import { diff, type DiffInput } from '../../../src/domain/diff.js';
import type { LiveInstance } from '../../../src/domain/instance.js';
import { ownershipLabels } from '../../../src/domain/ownership.js';
import { aDesiredInstance, aLiveInstance, aLiveInstanceIn, anInventoryEntry } from '../../helpers/builders.js';

const ours = (id: string, overrides: Partial<LiveInstance> = {}, key = 'web-1'): LiveInstance =>
  aLiveInstance({ id, uuid: `uuid-${id}`, ...overrides, fields: { labels: { ...ownershipLabels(key), 'rancher-reconciler.create-id': `c-${id}` } } });
const input = (overrides: Partial<DiffInput>): DiffInput => ({ key: 'web-1', desired: aDesiredInstance(), named: [], ...overrides });
const owned = (live: LiveInstance, entry = anInventoryEntry()): DiffInput['owned'] => ({ entry, live });

describe('diff: ownership rules', () => {
  test.each<[string, DiffInput, Record<string, unknown>]>([
    [
      'removes a surplus twin that carries our key label (not the owned one), first',
      input({ owned: owned(ours('1i1')), named: [ours('1i1'), ours('1i2')] }),
      { kind: 'act', actions: [{ kind: 'remove', id: '1i2', via: 'stop', purpose: 'twin' }] },
    ],
    [
      'waits for a twin still starting before removing it',
      input({ owned: owned(ours('1i1')), named: [ours('1i1'), { ...aLiveInstanceIn('starting', { id: '1i2' }), fields: ours('1i2').fields }] }),
      { kind: 'wait', reason: 'transitioning' },
    ],
    [
      'never touches a same-name container without our labels next to the owned one: a notice only',
      input({ owned: owned(ours('1i1')), named: [ours('1i1'), aLiveInstance({ id: '1i9', fields: { labels: {} } })] }),
      { kind: 'in-sync', notices: ['"web-1" is also the name of 1i9, which this controller did not create and does not own: left alone'] },
    ],
    [
      'recovers a container created for the key from its labels when the inventory is lost (origin created)',
      input({ named: [ours('1i4')] }),
      { kind: 'in-sync', inventory: { kind: 'adopt', record: { key: 'web-1', id: '1i4', uuid: 'uuid-1i4', name: 'web-1', origin: 'created' } } },
    ],
    [
      'with no record, keeps the running twin and removes the other',
      input({ named: [ours('1i5', { state: 'stopped', actions: new Set(['start', 'remove']) }), ours('1i6')] }),
      { kind: 'act', actions: [{ kind: 'remove', id: '1i5', via: 'remove', purpose: 'twin' }], inventory: { kind: 'adopt', record: { key: 'web-1', id: '1i6', uuid: 'uuid-1i6', name: 'web-1', origin: 'created' } } },
    ],
    [
      'moves the container of a key whose manifest is gone to the new key of the same name (a rename): nothing else',
      input({ named: [aLiveInstance({ id: '1i3' })], claims: new Map([['1i3', { key: 'web-old', declared: false, entry: anInventoryEntry({ key: 'web-old', id: '1i3', restartToken: 't1' }) }]]) }),
      { kind: 'in-sync', inventory: { kind: 'move', from: 'web-old', record: { key: 'web-1', id: '1i3', uuid: 'uuid-1i1', name: 'web-1', origin: 'created', restartToken: 't1' } } },
    ],
    [
      'leaves an orphan being renamed alone, even with removal allowed',
      input({ desired: undefined, owned: owned(aLiveInstance()), movingTo: 'web-new', removal: 'allowed' }),
      { kind: 'in-sync', note: 'moving' },
    ],
    [
      'owns again and prunes an orphan container created for the key when removal is allowed',
      input({ desired: undefined, named: [ours('1i7')], removal: 'allowed' }),
      { kind: 'act', actions: [{ kind: 'remove', id: '1i7', via: 'stop', purpose: 'prune' }], inventory: { kind: 'adopt', record: { key: 'web-1', id: '1i7', uuid: 'uuid-1i7', name: 'web-1', origin: 'created' } } },
    ],
    [
      'ignores, for an orphan, a same-name container made for another key',
      input({ desired: undefined, named: [ours('1i8', {}, 'web-2')], removal: 'allowed' }),
      { kind: 'in-sync', note: 'unmanaged' },
    ],
    [
      'confirms a restart whose answer was lost once startCount went up',
      input({ owned: owned(aLiveInstance({ startCount: 3 }), anInventoryEntry({ restartToken: 't2', pendingRestart: { token: 't2', startCount: 2 } })), desired: aDesiredInstance({ restartToken: 't2' }) }),
      { kind: 'in-sync', inventory: { kind: 'patch', changes: { pendingRestart: undefined } } },
    ],
    [
      'never restarts again for a token whose restart is unconfirmed: a notice says what to do',
      input({ owned: owned(aLiveInstance({ startCount: 2 }), anInventoryEntry({ restartToken: 't2', pendingRestart: { token: 't2', startCount: 2 } })), desired: aDesiredInstance({ restartToken: 't2' }) }),
      { kind: 'in-sync', notices: ['restart for token "t2" is not confirmed (its answer was lost and startCount is still 2): change restartToken again if it never happened'] },
    ],
    [
      'paces a recreate while every --max-unavailable slot is held by other keys',
      input({ desired: aDesiredInstance({ onImmutableChange: 'recreate', spec: { imageUuid: 'docker:nginx:1.27' } }), owned: owned(aLiveInstance()), recreate: { kind: 'paced', holders: ['web-2'], limit: 1 } }),
      { kind: 'wait', reason: 'recreate-paced', message: 'recreate waits for a --max-unavailable slot (1 in use: web-2)' },
    ],
    [
      'goes on with a recreate whose key already holds a slot',
      input({ desired: aDesiredInstance({ onImmutableChange: 'recreate', spec: { imageUuid: 'docker:nginx:1.27' } }), owned: owned(aLiveInstance(), anInventoryEntry({ recreating: true })), recreate: { kind: 'paced', holders: ['web-2'], limit: 1 } }),
      { kind: 'act', actions: [{ kind: 'remove', id: '1i1', via: 'stop', purpose: 'recreate' }, expect.objectContaining({ kind: 'create', record: { recreating: true } })] },
    ],
    [
      'gives the slot back once the recreated container runs as declared',
      input({ owned: owned(aLiveInstance(), anInventoryEntry({ recreating: true })) }),
      { kind: 'in-sync', inventory: { kind: 'patch', changes: { recreating: undefined } } },
    ],
  ])('%s', (_rule, given, expected) => {
    expect(diff(given)).toMatchObject(expected);
  });

  test('a blocked rename clash names the other container once, with no extra notice', () => {
    const plan = diff(input({ desired: aDesiredInstance({ spec: { name: 'web-2' } }), owned: owned(aLiveInstance()), named: [aLiveInstance({ id: '1i2', name: 'web-2' })] }));
    expect(plan).toEqual({ kind: 'blocked', reason: 'duplicate-name', message: 'cannot rename 1i1 to "web-2": 1i2 already has that name' });
  });
});
