import { describe, expect, test } from '@jest/globals';
import { diff, type DiffInput, type OwnedLive } from '../../../src/domain/diff.js';
import type { LiveInstance } from '../../../src/domain/instance.js';
import type { InventoryEntry, Plan } from '../../../src/domain/plan.js';
import { aDesiredInstance, aLiveInstance, aLiveInstanceIn, anInventoryEntry } from '../../helpers/builders.js';

const spec = aDesiredInstance().spec;
const owns = (live: OwnedLive, entry: InventoryEntry = anInventoryEntry()): DiffInput['owned'] => ({ entry, live });
const input = (overrides: Partial<DiffInput>): DiffInput => ({ key: 'web-1', desired: aDesiredInstance(), named: [], ...overrides });
const stoppedWithout = (action: string): LiveInstance =>
  aLiveInstanceIn('stopped', { actions: ['error', 'logs', 'remove', 'setlabels', 'start', 'update'].filter((a) => a !== action) });

describe('diff: one row per rule (exact plans)', () => {
  test.each<[string, DiffInput, Plan]>([
    [
      'creates a missing instance started when state is running',
      input({}),
      { kind: 'act', actions: [{ kind: 'create', spec, startOnCreate: true, record: {} }], changes: [{ field: 'imageUuid', from: null, to: spec.imageUuid }, { field: 'state', from: null, to: 'running' }] },
    ],
    [
      'creates a missing instance stopped when state is stopped',
      input({ desired: aDesiredInstance({ state: 'stopped' }) }),
      { kind: 'act', actions: [{ kind: 'create', spec, startOnCreate: false, record: {} }], changes: [{ field: 'imageUuid', from: null, to: spec.imageUuid }, { field: 'state', from: null, to: 'stopped' }] },
    ],
    [
      'records a restartToken present at creation as applied (and the stopTimeout)',
      input({ desired: aDesiredInstance({ restartToken: 't1', stopTimeout: 5 }) }),
      {
        kind: 'act',
        actions: [{ kind: 'create', spec, startOnCreate: true, record: { restartToken: 't1', stopTimeout: 5 } }],
        changes: [{ field: 'imageUuid', from: null, to: spec.imageUuid }, { field: 'state', from: null, to: 'running' }],
      },
    ],
    [
      'creates again when the owned instance is gone and nothing has the name',
      input({ owned: owns('gone') }),
      { kind: 'act', actions: [{ kind: 'create', spec, startOnCreate: true, record: {} }], changes: [{ field: 'imageUuid', from: null, to: spec.imageUuid }, { field: 'state', from: null, to: 'running' }] },
    ],
    [
      'creates again when the owned instance was purged',
      input({ owned: owns(aLiveInstanceIn('purged')) }),
      { kind: 'act', actions: [{ kind: 'create', spec, startOnCreate: true, record: {} }], changes: [{ field: 'imageUuid', from: null, to: spec.imageUuid }, { field: 'state', from: null, to: 'running' }] },
    ],
    [
      'ignores removed and removing instances with the name (creates)',
      input({ named: [aLiveInstanceIn('removed', { id: '1i7' }), aLiveInstanceIn('removing', { id: '1i8' })] }),
      { kind: 'act', actions: [{ kind: 'create', spec, startOnCreate: true, record: {} }], changes: [{ field: 'imageUuid', from: null, to: spec.imageUuid }, { field: 'state', from: null, to: 'running' }] },
    ],
    [
      'waits when the owned instance is not in the live view yet (never creates a twin)',
      input({ owned: owns('unseen') }),
      { kind: 'wait', reason: 'not-yet-visible', message: 'owned 1i1 is not in the live view yet' },
    ],
    [
      'adopts the only live instance with the name, taking the current restartToken as applied',
      input({ desired: aDesiredInstance({ restartToken: 't1' }), named: [aLiveInstance()] }),
      {
        kind: 'in-sync',
        inventory: { kind: 'adopt', record: { key: 'web-1', id: '1i1', uuid: 'uuid-1i1', name: 'web-1', origin: 'adopted', restartToken: 't1' } },
      },
    ],
    [
      'adopts by name a replacement for a gone owned instance, then compares it',
      input({ desired: aDesiredInstance({ spec: { description: 'new' }, stopTimeout: 3 }), owned: owns('gone'), named: [aLiveInstance({ id: '1i9', uuid: 'u9', description: 'old' })] }),
      {
        kind: 'act',
        actions: [{ kind: 'update', id: '1i9', changes: { description: 'new' }, previous: { description: 'old' } }],
        changes: [{ field: 'description', from: 'old', to: 'new' }],
        inventory: { kind: 'adopt', record: { key: 'web-1', id: '1i9', uuid: 'u9', name: 'web-1', origin: 'adopted', stopTimeout: 3 } },
      },
    ],
    [
      'blocks when several live instances share the name and none is owned (never guesses)',
      input({ named: [aLiveInstance({ id: '1i1' }), aLiveInstance({ id: '1i2' })] }),
      { kind: 'blocked', reason: 'duplicate-name', message: '2 containers are named "web-1" (1i1, 1i2): none is owned, remove or rename all but one' },
    ],
    [
      'never creates a twin of a container another manifest owns under the same name (blocks instead)',
      input({ named: [aLiveInstance({ id: '1i7' })], claims: new Map([['1i7', { key: 'web-7', declared: true, entry: anInventoryEntry({ key: 'web-7', id: '1i7' }) }]]) }),
      { kind: 'blocked', reason: 'duplicate-name', message: '"web-1" is already the name of 1i7, owned by another manifest: rename one of them' },
    ],
    [
      'blocks a rename onto a name another instance already has',
      input({ desired: aDesiredInstance({ spec: { name: 'web-2' } }), owned: owns(aLiveInstance()), named: [aLiveInstance({ id: '1i2', name: 'web-2' })] }),
      { kind: 'blocked', reason: 'duplicate-name', message: 'cannot rename 1i1 to "web-2": 1i2 already has that name' },
    ],
    [
      'waits while Rancher is transitioning (never acts mid-transition)',
      input({ owned: owns(aLiveInstanceIn('starting', { transitioningMessage: 'Networking' })) }),
      { kind: 'wait', reason: 'transitioning', message: '1i1 is starting: Networking' },
    ],
    [
      'retries the start of a stopped instance whose start failed (transitioning error)',
      input({ owned: owns(aLiveInstanceIn('stopped', { transitioning: 'error', transitioningMessage: 'Failing [compute.instance.activate]' })) }),
      { kind: 'act', actions: [{ kind: 'start', id: '1i1' }], changes: [{ field: 'state', from: 'stopped', to: 'running' }] },
    ],
    [
      'blocks a transitioning error once the retry budget is exhausted, with the message',
      input({ errorRetriesExhausted: true, owned: owns(aLiveInstanceIn('stopped', { transitioning: 'error', transitioningMessage: 'Failing [compute.instance.activate]' })) }),
      { kind: 'blocked', reason: 'live-in-error', message: '1i1 is in error: Failing [compute.instance.activate]' },
    ],
    [
      'blocks state error when start is not offered (Rancher offers only remove)',
      input({ owned: owns(aLiveInstanceIn('error', { transitioning: 'error', transitioningMessage: 'Failing [storage.volume.activate]' })) }),
      { kind: 'blocked', reason: 'live-in-error', message: '1i1 is in error: Failing [storage.volume.activate]' },
    ],
    [
      'retries start from state error when start is offered and the budget is not spent',
      input({ owned: owns(aLiveInstanceIn('error', { actions: ['remove', 'start'] })) }),
      { kind: 'act', actions: [{ kind: 'start', id: '1i1' }], changes: [{ field: 'state', from: 'error', to: 'running' }] },
    ],
    [
      'blocks state error when the budget is exhausted even if start is offered',
      input({ errorRetriesExhausted: true, owned: owns(aLiveInstanceIn('error', { actions: ['remove', 'start'] })) }),
      { kind: 'blocked', reason: 'live-in-error', message: '1i1 is in error: error' },
    ],
    [
      'PUTs a changed description with the previous value',
      input({ desired: aDesiredInstance({ spec: { description: 'b' } }), owned: owns(aLiveInstance({ description: 'a' })) }),
      {
        kind: 'act',
        actions: [{ kind: 'update', id: '1i1', changes: { description: 'b' }, previous: { description: 'a' } }],
        changes: [{ field: 'description', from: 'a', to: 'b' }],
      },
    ],
    [
      'PUTs a changed name and records it',
      input({ desired: aDesiredInstance({ spec: { name: 'web-new' } }), owned: owns(aLiveInstance()) }),
      {
        kind: 'act',
        actions: [{ kind: 'update', id: '1i1', changes: { name: 'web-new' }, previous: { name: 'web-1' } }],
        changes: [{ field: 'name', from: 'web-1', to: 'web-new' }],
      },
    ],
    ['never compares an undeclared description', input({ owned: owns(aLiveInstance({ description: 'set by hand' })) }), { kind: 'in-sync' }],
    ["treats a declared empty description as Rancher's null", input({ desired: aDesiredInstance({ spec: { description: '' } }), owned: owns(aLiveInstance()) }), { kind: 'in-sync' }],
    [
      'blocks a changed create-only field, listing it',
      input({ desired: aDesiredInstance({ spec: { imageUuid: 'docker:nginx:1.27' } }), owned: owns(aLiveInstance()) }),
      {
        kind: 'blocked',
        reason: 'immutable-field-changed',
        message: 'create-only fields changed: imageUuid (onImmutableChange: block)',
        changes: [{ field: 'imageUuid', from: 'docker:nginx:1.25', to: 'docker:nginx:1.27' }],
      },
    ],
    [
      'recreates a running instance (stop with remove, then create) when onImmutableChange is recreate',
      input({ desired: aDesiredInstance({ onImmutableChange: 'recreate', stopTimeout: 7, spec: { imageUuid: 'docker:nginx:1.27' } }), owned: owns(aLiveInstance()) }),
      {
        kind: 'act',
        actions: [
          { kind: 'remove', id: '1i1', via: 'stop', timeout: 7, purpose: 'recreate' },
          { kind: 'create', spec: { ...spec, imageUuid: 'docker:nginx:1.27' }, startOnCreate: true, record: { stopTimeout: 7 } },
        ],
        changes: [{ field: 'imageUuid', from: 'docker:nginx:1.25', to: 'docker:nginx:1.27' }],
      },
    ],
    [
      'recreates a stopped instance with the remove action',
      input({ desired: aDesiredInstance({ onImmutableChange: 'recreate', spec: { labels: { tier: 'web' } } }), owned: owns(aLiveInstanceIn('stopped')) }),
      {
        kind: 'act',
        actions: [
          { kind: 'remove', id: '1i1', via: 'remove', purpose: 'recreate' },
          { kind: 'create', spec: { ...spec, labels: { tier: 'web' } }, startOnCreate: true, record: {} },
        ],
        changes: [{ field: 'labels.tier', from: null, to: 'web' }],
      },
    ],
    [
      'starts a stopped instance when running is desired',
      input({ owned: owns(aLiveInstanceIn('stopped')) }),
      { kind: 'act', actions: [{ kind: 'start', id: '1i1' }], changes: [{ field: 'state', from: 'stopped', to: 'running' }] },
    ],
    [
      'waits instead of starting when start is not offered',
      input({ owned: owns(stoppedWithout('start')) }),
      { kind: 'wait', reason: 'action-not-offered', message: '1i1 in state stopped does not offer "start"' },
    ],
    [
      'stops a running instance with stopTimeout when stopped is desired',
      input({ desired: aDesiredInstance({ state: 'stopped', stopTimeout: 10 }), owned: owns(aLiveInstance(), anInventoryEntry({ stopTimeout: 10 })) }),
      { kind: 'act', actions: [{ kind: 'stop', id: '1i1', timeout: 10 }], changes: [{ field: 'state', from: 'running', to: 'stopped' }] },
    ],
    [
      'restarts a running instance once for a new restartToken',
      input({ desired: aDesiredInstance({ restartToken: 't2' }), owned: owns(aLiveInstance(), anInventoryEntry({ restartToken: 't1' })) }),
      { kind: 'act', actions: [{ kind: 'restart', id: '1i1', token: 't2' }], changes: [{ field: 'restartToken', from: 't1', to: 't2' }] },
    ],
    [
      'does not restart again for the token already applied',
      input({ desired: aDesiredInstance({ restartToken: 't2' }), owned: owns(aLiveInstance(), anInventoryEntry({ restartToken: 't2' })) }),
      { kind: 'in-sync' },
    ],
    [
      'waits instead of restarting when restart is not offered',
      input({ desired: aDesiredInstance({ restartToken: 't2' }), owned: owns(aLiveInstance({ actions: ['stop'] })) }),
      { kind: 'wait', reason: 'action-not-offered', message: '1i1 in state running does not offer "restart"' },
    ],
    [
      'records a new token on a stopped instance without acting',
      input({ desired: aDesiredInstance({ state: 'stopped', restartToken: 't2' }), owned: owns(aLiveInstanceIn('stopped')) }),
      { kind: 'in-sync', inventory: { kind: 'patch', changes: { restartToken: 't2' } } },
    ],
    [
      'starts (not restarts) a stopped instance with a new token, recording the token',
      input({ desired: aDesiredInstance({ restartToken: 't2' }), owned: owns(aLiveInstanceIn('stopped'), anInventoryEntry({ restartToken: 't1' })) }),
      {
        kind: 'act',
        actions: [{ kind: 'start', id: '1i1' }],
        changes: [{ field: 'state', from: 'stopped', to: 'running' }],
        inventory: { kind: 'patch', changes: { restartToken: 't2' } },
      },
    ],
    [
      'plans the PUT first, then the restart',
      input({ desired: aDesiredInstance({ restartToken: 't2', spec: { description: 'b' } }), owned: owns(aLiveInstance({ description: 'a' })) }),
      {
        kind: 'act',
        actions: [
          { kind: 'update', id: '1i1', changes: { description: 'b' }, previous: { description: 'a' } },
          { kind: 'restart', id: '1i1', token: 't2' },
        ],
        changes: [
          { field: 'description', from: 'a', to: 'b' },
          { field: 'restartToken', from: null, to: 't2' },
        ],
      },
    ],
    [
      'records a changed stopTimeout so a later prune stops with it',
      input({ desired: aDesiredInstance({ stopTimeout: 30 }), owned: owns(aLiveInstance(), anInventoryEntry({ stopTimeout: 10 })) }),
      { kind: 'in-sync', inventory: { kind: 'patch', changes: { stopTimeout: 30 } } },
    ],
    ['is in sync when everything declared matches', input({ owned: owns(aLiveInstance()) }), { kind: 'in-sync' }],
    ['never touches an instance it does not own when no manifest declares it', input({ desired: undefined, named: [aLiveInstance()], removal: 'allowed' }), { kind: 'in-sync', note: 'unmanaged' }],
    [
      'removes a running orphan with stop {remove, timeout} when removal is allowed',
      input({ desired: undefined, owned: owns(aLiveInstance(), anInventoryEntry({ stopTimeout: 4 })), removal: 'allowed' }),
      { kind: 'act', actions: [{ kind: 'remove', id: '1i1', via: 'stop', timeout: 4, purpose: 'prune' }], changes: [{ field: 'state', from: 'running', to: 'removed' }] },
    ],
    [
      'removes a stopped orphan with the remove action',
      input({ desired: undefined, owned: owns(aLiveInstanceIn('stopped')), removal: 'allowed' }),
      { kind: 'act', actions: [{ kind: 'remove', id: '1i1', via: 'remove', purpose: 'prune' }], changes: [{ field: 'state', from: 'stopped', to: 'removed' }] },
    ],
    [
      'waits instead of removing when the remove action is not offered',
      input({ desired: undefined, owned: owns(stoppedWithout('remove')), removal: 'allowed' }),
      { kind: 'wait', reason: 'action-not-offered', message: '1i1 in state stopped does not offer "remove"' },
    ],
    ['keeps an owned orphan when pruning is disabled', input({ desired: undefined, owned: owns(aLiveInstance()), removal: 'disabled' }), { kind: 'in-sync', note: 'orphan-kept' }],
    ['defaults to pruning disabled', input({ desired: undefined, owned: owns(aLiveInstance()) }), { kind: 'in-sync', note: 'orphan-kept' }],
    [
      'blocks removal while the manifest tree is incomplete',
      input({ desired: undefined, owned: owns(aLiveInstance()), removal: 'frozen-incomplete' }),
      { kind: 'blocked', reason: 'removal-frozen', message: 'manifest for "web-1" is gone but the tree did not parse completely: removals are frozen' },
    ],
    [
      'blocks removal when the revision is over the delete budget',
      input({ desired: undefined, owned: owns(aLiveInstance()), removal: 'over-budget' }),
      { kind: 'blocked', reason: 'over-delete-budget', message: 'manifest for "web-1" is gone but this revision is over the delete budget: nothing is removed' },
    ],
    ['forgets an orphan whose instance is gone', input({ desired: undefined, owned: owns('gone'), removal: 'allowed' }), { kind: 'in-sync', note: 'gone', inventory: { kind: 'forget' } }],
    ['forgets an orphan once it is removed', input({ desired: undefined, owned: owns(aLiveInstanceIn('removed')), removal: 'allowed' }), { kind: 'in-sync', note: 'gone', inventory: { kind: 'forget' } }],
    [
      'blocks a key whose manifest is invalid, touching nothing',
      input({ desired: undefined, manifestIssue: 'web.yaml:3:5: spec.ports: expected a list', owned: owns(aLiveInstance()), removal: 'allowed' }),
      { kind: 'blocked', reason: 'manifest-invalid', message: 'web.yaml:3:5: spec.ports: expected a list' },
    ],
  ])('%s', (_rule, given, expected) => {
    expect(diff(given)).toEqual(expected);
  });
});
