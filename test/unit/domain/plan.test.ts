import { describe, expect, test } from '@jest/globals';
import { applyInventoryEffect, entryAfterAction } from '../../../src/domain/inventory-record.js';
import { describeAction, describeChanges, type Action } from '../../../src/domain/plan.js';
import { aDesiredInstance, anInventoryEntry } from '../../helpers/builders.js';

const now = '2026-11-27T12:00:00.000Z';
const spec = aDesiredInstance().spec;

describe('plan text', () => {
  test('describes changes old -> new and hides sensitive values', () => {
    expect(
      describeChanges([
        { field: 'description', from: 'a', to: 'b' },
        { field: 'description', from: null, to: 'b' },
        { field: 'ports', from: ['1:1/tcp'], to: ['2:2'] },
        { field: 'environment.PASS', from: '(sensitive)', to: '(sensitive)', sensitive: true },
      ]),
    ).toEqual(["description: 'a' -> 'b'", "description: null -> 'b'", 'ports: ["1:1/tcp"] -> ["2:2"]', 'environment.PASS: (sensitive changed)']);
  });

  test.each<[string, Action, string]>([
    ['create', { kind: 'create', spec, startOnCreate: false, record: {} }, "create 'web-1' (stopped)"],
    ['update', { kind: 'update', id: '1i1', changes: { name: 'x', description: 'y' }, previous: {} }, 'update 1i1 (name, description)'],
    ['start', { kind: 'start', id: '1i1' }, 'start 1i1'],
    ['stop', { kind: 'stop', id: '1i1', timeout: 10 }, 'stop 1i1 (timeout 10s)'],
    ['restart', { kind: 'restart', id: '1i1', token: 't' }, "restart 1i1 (token 't')"],
    ['prune', { kind: 'remove', id: '1i1', via: 'stop', timeout: 3, purpose: 'prune' }, 'stop+remove 1i1 (timeout 3s)'],
    ['recreate', { kind: 'remove', id: '1i1', via: 'remove', purpose: 'recreate' }, 'recreate: remove 1i1'],
  ])('describes a %s action', (_kind, action, text) => {
    expect(describeAction(action)).toBe(text);
  });
});

describe('inventory bookkeeping', () => {
  test('adopt writes a stamped entry', () => {
    const record = { key: 'web-1', id: '1i4', uuid: 'u', name: 'web-1', origin: 'adopted' as const, restartToken: 't' };
    expect(applyInventoryEffect(undefined, { kind: 'adopt', record }, now)).toEqual({ ...record, createdAt: now, updatedAt: now });
  });

  test('patch merges into the entry and bumps updatedAt; without an entry there is nothing to patch', () => {
    expect(applyInventoryEffect(anInventoryEntry(), { kind: 'patch', changes: { restartToken: 't2' } }, now)).toEqual(anInventoryEntry({ restartToken: 't2', updatedAt: now }));
    expect(applyInventoryEffect(undefined, { kind: 'patch', changes: { restartToken: 't2' } }, now)).toBeUndefined();
  });

  test('forget deletes the entry', () => {
    expect(applyInventoryEffect(anInventoryEntry(), { kind: 'forget' }, now)).toBeUndefined();
  });

  test('a successful create records a created entry with the token taken as applied', () => {
    const action: Action = { kind: 'create', spec, startOnCreate: true, record: { restartToken: 't1', stopTimeout: 5 } };
    expect(entryAfterAction('web-1', anInventoryEntry({ id: '1i0' }), action, { id: '1i9', uuid: 'u9' }, now)).toEqual({
      key: 'web-1', id: '1i9', uuid: 'u9', name: 'web-1', origin: 'created', restartToken: 't1', stopTimeout: 5, createdAt: now, updatedAt: now,
    });
  });

  test('a successful restart records its token; a rename records the name; start/stop/remove change nothing', () => {
    const entry = anInventoryEntry({ restartToken: 't1' });
    const result = { id: '1i1', uuid: 'uuid-1i1' };
    expect(entryAfterAction('web-1', entry, { kind: 'restart', id: '1i1', token: 't2' }, result, now)).toEqual({ ...entry, restartToken: 't2', updatedAt: now });
    expect(entryAfterAction('web-1', entry, { kind: 'update', id: '1i1', changes: { name: 'n' }, previous: {} }, result, now)).toEqual({ ...entry, name: 'n', updatedAt: now });
    expect(entryAfterAction('web-1', entry, { kind: 'update', id: '1i1', changes: { description: 'd' }, previous: {} }, result, now)).toBe(entry);
    for (const action of [{ kind: 'start', id: '1i1' }, { kind: 'stop', id: '1i1' }, { kind: 'remove', id: '1i1', via: 'remove', purpose: 'prune' }] as const) {
      expect(entryAfterAction('web-1', entry, action, result, now)).toBe(entry);
    }
  });
});
