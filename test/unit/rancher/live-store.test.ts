import { describe, expect, it, test } from '@jest/globals';
import type { LiveInstance } from '../../../src/domain/instance.js';
import { parseEvent } from '../../../src/rancher/event-stream.js';
import { LiveStore } from '../../../src/rancher/live-store.js';

function live(id: string, name: string, state = 'running'): LiveInstance {
  return { id, uuid: null, name, description: null, state, transitioning: 'no', transitioningMessage: null, actions: new Set(['stop']), hostId: null, externalId: null, removed: false, createdMs: null, fields: {} };
}

const sorted = (set: ReadonlySet<string>): string[] => [...set].sort();

describe('LiveStore', () => {
  it('applies a newer snapshot and reports old and new names', () => {
    const store = new LiveStore();
    store.apply(live('1i1', 'web'), 100);
    const change = store.apply(live('1i1', 'web-2'), 200);
    expect([sorted(change.names), sorted(change.ids)]).toEqual([['web', 'web-2'], ['1i1']]);
    expect(store.get('1i1')?.name).toBe('web-2');
  });

  test.each<[string, number, boolean]>([
    ['ignores an event older than the held snapshot', 50, false],
    ['applies an event as new as the held snapshot', 100, true],
    ['applies a newer event', 150, true],
  ])('%s', (_rule, eventTime, applied) => {
    const store = new LiveStore();
    store.apply(live('1i1', 'web', 'running'), 100);
    const change = store.apply(live('1i1', 'web', 'stopping'), eventTime);
    expect(change.ids.size > 0).toBe(applied);
    expect(store.get('1i1')?.state).toBe(applied ? 'stopping' : 'running');
  });

  it('finds containers by name through its index, across renames and re-lists', () => {
    const store = new LiveStore();
    store.apply(live('1i1', 'web'), 100);
    store.apply(live('1i2', 'web'), 100);
    store.apply(live('1i3', 'db'), 100);
    expect(store.byName('web').map((i) => i.id).sort()).toEqual(['1i1', '1i2']);
    store.apply(live('1i2', 'web-2'), 200);
    expect(store.byName('web').map((i) => i.id)).toEqual(['1i1']);
    expect(store.byName('web-2').map((i) => i.id)).toEqual(['1i2']);
    store.replaceAll([live('1i3', 'web'), live('1i4', 'db')], 150);
    // 1i2 was updated after the list started (200 > 150): it is kept, with its index entry
    expect(store.byName('web').map((i) => i.id)).toEqual(['1i3']);
    expect(store.byName('web-2').map((i) => i.id)).toEqual(['1i2']);
    expect(store.byName('db').map((i) => i.id)).toEqual(['1i4']);
    expect(store.byName('nope')).toEqual([]);
  });

  it('reports nothing for an identical snapshot', () => {
    const store = new LiveStore();
    store.apply(live('1i1', 'web'), 100);
    expect(store.apply(live('1i1', 'web'), 200).ids.size).toBe(0);
  });

  it('a re-list that changes nothing emits nothing', () => {
    const store = new LiveStore();
    store.replaceAll([live('1i1', 'a'), live('1i2', 'b')], 100);
    const change = store.replaceAll([live('1i1', 'a'), live('1i2', 'b')], 200);
    expect(change.ids.size + change.names.size).toBe(0);
  });

  it('a re-list drops what vanished and adds what appeared', () => {
    const store = new LiveStore();
    store.replaceAll([live('1i1', 'a'), live('1i2', 'b')], 100);
    const change = store.replaceAll([live('1i2', 'b'), live('1i3', 'c')], 200);
    expect([sorted(change.names), sorted(change.ids)]).toEqual([['a', 'c'], ['1i1', '1i3']]);
    expect(store.get('1i1')).toBeUndefined();
    expect(store.size).toBe(2);
  });

  it('a re-list keeps entries updated after the list started', () => {
    const store = new LiveStore();
    store.replaceAll([live('1i1', 'a', 'running')], 100);
    store.apply(live('1i1', 'a', 'stopping'), 250);
    store.apply(live('1i9', 'new'), 260);
    const change = store.replaceAll([live('1i1', 'a', 'running')], 200);
    expect(change.ids.size).toBe(0);
    expect(store.get('1i1')?.state).toBe('stopping');
    expect(store.get('1i9')?.name).toBe('new');
  });
});

describe('event parsing', () => {
  const resource = { id: '1i5', type: 'container', name: 'web', state: 'running' };
  test.each<[string, unknown, boolean]>([
    ['a container resource.change is applied', { name: 'resource.change', resourceType: 'container', resourceId: '1i5', time: 1000, data: { resource } }, true],
    ['a ping is ignored', { name: 'ping', resourceType: null, resourceId: null, data: {} }, false],
    ['a host change is ignored', { name: 'resource.change', resourceType: 'host', data: { resource: { id: '1h1', type: 'host' } } }, false],
    ['an event without a resource is ignored', { name: 'resource.change', resourceType: 'container', data: {} }, false],
  ])('%s', (_rule, event, applied) => {
    const parsed = parseEvent(JSON.stringify(event), 5);
    expect(parsed !== undefined).toBe(applied);
    if (parsed) expect(parsed).toEqual({ resource, timeMs: 1000, serverTime: true });
  });

  it('uses the local time when the event has none, and ignores garbage', () => {
    expect(parseEvent(JSON.stringify({ name: 'resource.change', resourceType: 'container', data: { resource } }), 42)?.timeMs).toBe(42);
    expect(parseEvent('not json', 1)).toBeUndefined();
  });
});
