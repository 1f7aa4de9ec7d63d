import { describe, expect, it } from '@jest/globals';
import { queryInstances } from '../../../src/emulator/collection.js';
import { parseCollectionQuery } from '../../../src/emulator/filters.js';
import { SchemaRegistry } from '../../../src/emulator/schemas.js';
import { ProjectStore, type InstanceRecord } from '../../../src/emulator/store.js';

const schemas = SchemaRegistry.load();

function aRecord(id: number, name: string | null): InstanceRecord {
  return {
    id, projectId: '1a5', uuid: `uuid-${id}`, kind: 'container', created: 1_700_000_000_000, name, description: null,
    state: 'running', transitioningError: false, transitioningMessage: null, hostId: 1, externalId: null,
    primaryIpAddress: null, firstRunning: null, removed: null, startCount: 1, createIndex: id, healthState: null,
    fields: { imageUuid: 'docker:nginx' },
  };
}

const ask = (store: ProjectStore, search: string) =>
  queryInstances(schemas, 'container', store, parseCollectionQuery(schemas, 'container', new URLSearchParams(search)));

describe('store with 10,000 containers', () => {
  const store = new ProjectStore();
  for (let id = 1; id <= 10_000; id += 1) store.add(aRecord(id, `app-${id % 5000}`));

  it('answers a name-filtered list from the name index', () => {
    const page = ask(store, 'name=app-42');
    expect(page.items.map((record) => record.id)).toEqual([42, 5042]);
    expect(page.partial).toBe(false);
  });

  it('pages through the id-ordered list with markers', () => {
    const page = ask(store, 'limit=100&marker=m9950');
    expect(page.items).toHaveLength(50);
    expect(page.items[0]?.id).toBe(9951);
    expect(page.partial).toBe(false);
    expect(ask(store, 'limit=3000').partial).toBe(true);
  });

  it('combines the name index with other filters', () => {
    expect(ask(store, 'name=app-42&id_gt=1i100').items.map((record) => record.id)).toEqual([5042]);
  });

  it('drops removed records from lists and the name lookup but keeps them by id', () => {
    const record = store.get(5042)!;
    store.markRemoved(record, 1_700_000_100_000);
    expect(ask(store, 'name=app-42').items.map((item) => item.id)).toEqual([42]);
    expect(store.listed()).toHaveLength(9_999);
    expect(store.get(5042)?.removed).toBe(1_700_000_100_000);
  });

  it('keeps the name index right across renames', () => {
    store.rename(store.get(7)!, 'renamed');
    expect(ask(store, 'name=renamed').items.map((item) => item.id)).toEqual([7]);
    expect(ask(store, 'name=app-7').items.map((item) => item.id)).toEqual([5007]);
  });

  it('sorts by a field with id as the tiebreaker in the same direction', () => {
    const page = ask(store, 'name_prefix=app-1&sort=name&order=desc&limit=4');
    expect(page.items.map((item) => item.name)).toEqual(['app-1999', 'app-1999', 'app-1998', 'app-1998']);
    expect(page.items.map((item) => item.id)).toEqual([6999, 1999, 6998, 1998]);
  });
});
