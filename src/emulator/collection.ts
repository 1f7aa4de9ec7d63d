import { matchesCondition, type CollectionQuery, type Condition } from './filters.js';
import { compareCodeUnits, type SchemaRegistry } from './schemas.js';
import type { InstanceRecord, ProjectStore } from './store.js';
import { instanceFieldValue } from './render.js';

/** One page of records and whether more follow. */
export type Page<T> = Readonly<{ items: readonly T[]; partial: boolean }>;

/** Compares two raw field values with nulls first (ascending), numbers numerically, the rest as strings. */
function compareRaw(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareCodeUnits(String(a), String(b));
}

/**
 * Answers a container/instance collection query from one project's store. A plain page is a slice of the
 * id-ordered list and a name filter starts from the name index, so neither walks the whole store; other
 * filters and sorts scan the listed records, as a database without that index would.
 */
export function queryInstances(
  schemas: SchemaRegistry, typeId: string, store: ProjectStore, query: CollectionQuery,
): Page<InstanceRecord> {
  const nameConditions = query.conditions.get('name');
  const nameEq = nameConditions?.find((condition) => condition.modifier === 'eq');
  let candidates: readonly InstanceRecord[] = nameEq ? store.listedByName(nameEq.value) : store.listed();
  const others = [...query.conditions].filter(([field]) => !(field === 'name' && nameConditions?.length === 1 && nameEq));
  if (others.length > 0) {
    const fields = schemas.require(typeId).resourceFields;
    candidates = candidates.filter((record) =>
      others.every(([field, conditions]) => conditions.every((condition: Condition) =>
        matchesCondition(field, fields[field]?.type ?? 'string', instanceFieldValue(record, field), condition))));
  }
  if (query.sort) {
    const { field, order } = query.sort;
    const sign = order === 'desc' ? -1 : 1;
    candidates = [...candidates].sort((a, b) =>
      sign * (compareRaw(instanceFieldValue(a, field), instanceFieldValue(b, field)) || a.id - b.id));
  }
  const end = query.offset + query.limit;
  return { items: candidates.slice(query.offset, end), partial: candidates.length > end };
}

/** Inputs of a collection envelope. `url` is the request URL rebuilt on the API base (scheme, host, path, query). */
export type EnvelopeInput = Readonly<{
  resourceType: string;
  collectionUrl: string;
  url: URL;
  createTypes: Readonly<Record<string, string>>;
  data: readonly unknown[];
  query: CollectionQuery;
  partial: boolean;
}>;

function withParams(url: URL, drop: readonly string[], add: Readonly<Record<string, string>>): string {
  const params = new URLSearchParams(url.search);
  for (const name of drop) params.delete(name);
  for (const [name, value] of Object.entries(add)) params.append(name, value);
  const search = params.toString();
  return `${url.origin}${url.pathname}${search ? `?${search}` : ''}`;
}

/**
 * The collection envelope in the real key order: type, resourceType, links, createTypes, actions, data,
 * sortLinks, pagination, sort, filters, createDefaults (docs/rancher-v1.md#collection-envelope). `first`, `previous` and `total` are
 * always null and `next` is set only on a partial page, as cattle does.
 */
export function collectionEnvelope(schemas: SchemaRegistry, input: EnvelopeInput): Record<string, unknown> {
  const schema = schemas.require(input.resourceType);
  const filterNames = Object.keys(schema.collectionFilters);
  const sortLinks: Record<string, string> = {};
  for (const name of filterNames) sortLinks[name] = withParams(input.url, ['sort', 'order'], { sort: name });
  const filters: Record<string, readonly Condition[] | null> = {};
  for (const name of filterNames) filters[name] = input.query.conditions.get(name) ?? null;
  const { sort } = input.query;
  return {
    type: 'collection',
    resourceType: input.resourceType,
    links: { self: input.collectionUrl },
    createTypes: input.createTypes,
    actions: {},
    data: input.data,
    sortLinks,
    pagination: {
      first: null,
      previous: null,
      next: input.partial
        ? withParams(input.url, ['marker'], { marker: `m${input.query.offset + input.query.limit}` })
        : null,
      limit: input.query.limit,
      total: null,
      partial: input.partial,
    },
    sort: sort
      ? {
        name: sort.field,
        order: sort.order,
        reverse: withParams(input.url, ['sort', 'order'], { sort: sort.field, order: sort.order === 'asc' ? 'desc' : 'asc' }),
      }
      : null,
    filters,
    createDefaults: {},
  };
}
