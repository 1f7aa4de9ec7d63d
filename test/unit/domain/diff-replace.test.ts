/**
 * `onImmutableChange: replace` (src/domain/replace.ts): one row per step, including the lost answers and
 * the lost inventory it must resume from, and the failures that must leave the old container running.
 */
import { describe, expect, test } from '@jest/globals';
import { diff, type DiffInput } from '../../../src/domain/diff.js';
import type { LiveInstance } from '../../../src/domain/instance.js';
import { ownershipLabels } from '../../../src/domain/ownership.js';
import type { InventoryEntry, Plan } from '../../../src/domain/plan.js';
import { replacementName } from '../../../src/domain/replace.js';
import { aDesiredInstance, aLiveInstance, aLiveInstanceIn, anInventoryEntry, type LiveOverrides } from '../../helpers/builders.js';

const newImage = 'docker:nginx:1.27';
const desired = aDesiredInstance({ onImmutableChange: 'replace', spec: { imageUuid: newImage } });
const newSpec = desired.spec;
const old = aLiveInstance();
const recorded = anInventoryEntry({ replacement: { id: '1i9', uuid: 'uuid-1i9' }, recreating: true });
/** The replacement as Rancher shows it: `web-1-next`, the new image, our labels for web-1. */
const next = (state: Parameters<typeof aLiveInstanceIn>[0] = 'running', overrides: LiveOverrides = {}): LiveInstance =>
  aLiveInstanceIn(state, { id: '1i9', uuid: 'uuid-1i9', name: 'web-1-next', ...overrides, fields: { imageUuid: newImage, labels: { ...ownershipLabels('web-1') }, ...overrides.fields } });
const input = (overrides: Partial<DiffInput>): DiffInput => ({ key: 'web-1', desired, named: [old], owned: { entry: anInventoryEntry(), live: old }, ...overrides });
const replacing = (live: DiffInput['replacement'], oldLive: LiveInstance | 'gone' = old, entry: InventoryEntry = recorded): Partial<DiffInput> => ({
  owned: { entry, live: oldLive },
  replacement: live,
});
const imageChange = [{ field: 'imageUuid', from: 'docker:nginx:1.25', to: newImage }];

describe('diff: onImmutableChange replace, step by step', () => {
  test.each<[string, DiffInput, Plan]>([
    [
      '1. creates the replacement beside the running container (plan shows the whole replace)',
      input({}),
      {
        kind: 'act',
        actions: [
          { kind: 'create', spec: { ...newSpec, name: 'web-1-next' }, startOnCreate: true, replaces: '1i1', record: {} },
          { kind: 'remove', id: '1i1', via: 'stop', purpose: 'replace' },
          { kind: 'update', id: 'web-1-next', changes: { name: 'web-1' }, previous: { name: 'web-1-next' } },
        ],
        changes: imageChange,
      },
    ],
    [
      '1. is paced like a recreate while every --max-unavailable slot is held',
      input({ recreate: { kind: 'paced', holders: ['web-2'], limit: 1 } }),
      { kind: 'wait', reason: 'recreate-paced', message: 'replace waits for a --max-unavailable slot (1 in use: web-2)' },
    ],
    [
      '1. a replacement whose create answer was lost is found by name and labels, never created twice',
      input({ candidates: [next('starting')] }),
      { kind: 'wait', reason: 'replacing', message: 'found replacement 1i9 ("web-1-next") of 1i1', inventory: { kind: 'patch', changes: { replacement: { id: '1i9', uuid: 'uuid-1i9' } } } },
    ],
    [
      '2. waits while the replacement starts; the old one is untouched',
      input(replacing(next('starting'))),
      { kind: 'wait', reason: 'replacing', message: 'replacement 1i9 is starting: In Progress' },
    ],
    [
      '2. waits for a health check to report healthy',
      input(replacing(next('running', { healthState: 'initializing' }))),
      { kind: 'wait', reason: 'replacing', message: 'waiting for replacement 1i9 to be running and healthy: it is running (health: initializing)' },
    ],
    [
      '2. a replacement in error fails the replace and leaves the old container running',
      input(replacing(next('error', { transitioningMessage: 'Allocation failed: host needs ports 80/tcp available' }))),
      {
        kind: 'blocked',
        reason: 'replace-failed',
        message: 'replacement 1i9 ("web-1-next") failed: Allocation failed: host needs ports 80/tcp available; 1i1 keeps running. Change the manifest to try again, or remove 1i9',
      },
    ],
    [
      '2. an unhealthy replacement fails the replace',
      input(replacing(next('running', { healthState: 'unhealthy' }))),
      { kind: 'blocked', reason: 'replace-failed', message: 'replacement 1i9 ("web-1-next") failed: its health check reports unhealthy; 1i1 keeps running. Change the manifest to try again, or remove 1i9' },
    ],
    [
      '2. a replacement that no longer matches the manifest (changed again) is removed first',
      input(replacing(next('running', { fields: { imageUuid: 'docker:nginx:1.26' } }))),
      { kind: 'act', actions: [{ kind: 'remove', id: '1i9', via: 'stop', purpose: 'replacement' }], changes: [{ field: 'imageUuid', from: 'docker:nginx:1.26', to: newImage }] },
    ],
    [
      '2. a replacement removed by hand: the replace starts over',
      input(replacing('gone')),
      { kind: 'wait', reason: 'replacing', message: 'replacement 1i9 is gone: the replace starts over', inventory: { kind: 'patch', changes: { replacement: undefined } } },
    ],
    [
      '3. removes the old container once the replacement runs (healthy)',
      input(replacing(next('running', { healthState: 'healthy' }))),
      {
        kind: 'act',
        actions: [{ kind: 'remove', id: '1i1', via: 'stop', purpose: 'replace' }, { kind: 'update', id: '1i9', changes: { name: 'web-1' }, previous: { name: 'web-1-next' } }],
        changes: [],
      },
    ],
    [
      '3. waits while the old container stops',
      input(replacing(next('running'), aLiveInstanceIn('stopping'))),
      { kind: 'wait', reason: 'transitioning', message: '1i1 is stopping: In Progress' },
    ],
    [
      '4. once the old container is going, the entry moves to the replacement and renames it',
      input({ ...replacing(next('running'), aLiveInstanceIn('removing')), named: [aLiveInstanceIn('removing')] }),
      {
        kind: 'act',
        actions: [{ kind: 'update', id: '1i9', changes: { name: 'web-1' }, previous: { name: 'web-1-next' } }],
        changes: [{ field: 'name', from: 'web-1-next', to: 'web-1' }],
        inventory: { kind: 'patch', changes: { id: '1i9', uuid: 'uuid-1i9', name: 'web-1-next', replacement: undefined } },
      },
    ],
    [
      '4. after a lost inventory, a lone replacement is recovered by its labels (not created again)',
      { key: 'web-1', desired, named: [], candidates: [next('running')] },
      {
        kind: 'act',
        actions: [{ kind: 'update', id: '1i9', changes: { name: 'web-1' }, previous: { name: 'web-1-next' } }],
        changes: [{ field: 'name', from: 'web-1-next', to: 'web-1' }],
        inventory: { kind: 'adopt', record: { key: 'web-1', id: '1i9', uuid: 'uuid-1i9', name: 'web-1', origin: 'created' } },
      },
    ],
    [
      'done: the renamed replacement as declared gives its --max-unavailable slot back',
      input({ owned: { entry: anInventoryEntry({ id: '1i9', uuid: 'uuid-1i9', recreating: true }), live: next('running', { name: 'web-1' }) }, named: [next('running', { name: 'web-1' })] }),
      { kind: 'in-sync', inventory: { kind: 'patch', changes: { recreating: undefined } } },
    ],
    [
      'a second replacement (a late-committed create) is removed as a surplus twin while the replace goes on',
      input({ ...replacing(next('running', { healthState: 'initializing' })), candidates: [next('running', { id: '1i10', uuid: 'uuid-1i10' })] }),
      { kind: 'act', actions: [{ kind: 'remove', id: '1i10', via: 'stop', purpose: 'twin' }], changes: [] },
    ],
    [
      'a replacement left over once the key is in sync is removed as a surplus twin',
      input({ owned: { entry: anInventoryEntry({ id: '1i9', uuid: 'uuid-1i9' }), live: next('running', { name: 'web-1' }) }, named: [next('running', { name: 'web-1' })], candidates: [next('running', { id: '1i10', uuid: 'uuid-1i10' })] }),
      { kind: 'act', actions: [{ kind: 'remove', id: '1i10', via: 'stop', purpose: 'twin' }], changes: [] },
    ],
    [
      'an orphan mid-replace (manifest deleted, prune allowed): the replacement goes first',
      { key: 'web-1', desired: undefined, named: [], removal: 'allowed', ...replacing(next('running')) },
      { kind: 'act', actions: [{ kind: 'remove', id: '1i9', via: 'stop', purpose: 'replacement' }], changes: [{ field: 'state', from: 'running', to: 'removed' }] },
    ],
  ])('%s', (_name, given, expected) => {
    expect(diff(given)).toEqual(expected);
  });

  test('the temporary name stays within Rancher names (255 characters)', () => {
    expect(replacementName('web')).toBe('web-next');
    expect(replacementName('a'.repeat(255))).toHaveLength(255);
  });
});
