import { equalsCi, likeMatcher } from './collation.js';
import { parseDate, parseId } from './format.js';
import type { SchemaRegistry } from './schemas.js';

/** One filter condition as the collection's `filters` map shows it (GDJ Condition: modifier and value only). */
export type Condition = Readonly<{ modifier: string; value: string }>;

/** Collection query options parsed from the URL (docs/rancher-v1.md#collections). */
export type CollectionQuery = Readonly<{
  limit: number;
  offset: number;
  sort: Readonly<{ field: string; order: 'asc' | 'desc' }> | undefined;
  /** Field -> conditions, all ANDed. A second modifier on a field replaces the first (map keyed by field). */
  conditions: ReadonlyMap<string, readonly Condition[]>;
}>;

/** Default page size of a collection. */
export const defaultLimit = 100;
/** Largest page size (Rancher >= 1.2); larger limits and `limit<=0` get this. */
export const maxLimit = 3000;

const reservedParams = new Set(['limit', 'marker', 'sort', 'order', 'include', 'projectId']);

/** The page size a `limit` parameter asks for: default 100, clamped to 3000, `<= 0` meaning the maximum. */
export function parseLimit(text: string | null): number {
  if (text === null || !/^\s*-?\d+\s*$/.test(text)) return defaultLimit;
  const limit = Number(text);
  if (limit <= 0 || limit > maxLimit) return maxLimit;
  return limit;
}

/** The offset a `marker` holds (`m<offset>`); anything else starts at 0. */
export function parseMarker(text: string | null): number {
  const match = /^m(\d{1,9})$/.exec(text ?? '');
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/**
 * Parses limit, marker, sort/order and filters for a collection of `typeId`. Filter names are `field` (eq)
 * or `field_modifier`, split at the last underscore; fields that are not both a collectionFilter and a
 * resourceField, and modifiers the field does not allow, are silently ignored, as in Rancher.
 */
export function parseCollectionQuery(schemas: SchemaRegistry, typeId: string, params: URLSearchParams): CollectionQuery {
  const conditions = new Map<string, Condition[]>();
  for (const key of new Set(params.keys())) {
    if (reservedParams.has(key) || key.startsWith('_')) continue;
    let field = key;
    let modifier = 'eq';
    if (!schemas.filterModifiers(typeId, key)) {
      const split = key.lastIndexOf('_');
      if (split <= 0) continue;
      field = key.slice(0, split);
      modifier = key.slice(split + 1);
    }
    if (!schemas.filterModifiers(typeId, field)?.includes(modifier)) continue;
    conditions.set(field, params.getAll(key).map((value) => ({ modifier, value })));
  }
  const sortField = params.get('sort');
  const sort = sortField !== null && schemas.filterModifiers(typeId, sortField)
    ? { field: sortField, order: params.get('order') === 'desc' ? ('desc' as const) : ('asc' as const) }
    : undefined;
  return { limit: parseLimit(params.get('limit')), offset: parseMarker(params.get('marker')), sort, conditions };
}

/** Converts a filter value to the field's comparable form; undefined when it cannot match anything. */
function comparable(field: string, type: string, text: string): string | number | undefined {
  if (field === 'id') return parseId('[a-z]+', text) ?? (/^\d+$/.test(text) ? Number(text) : undefined);
  if (type === 'date') return parseDate(text);
  if (type === 'int') return /^-?\d+$/.test(text) ? Number(text) : undefined;
  return text;
}

/**
 * Whether a raw field value satisfies a condition, with SQL semantics: null matches only `null`, and
 * comparisons with null are false (so `name_ne=x` skips unnamed containers).
 */
export function matchesCondition(field: string, type: string, raw: unknown, condition: Condition): boolean {
  if (condition.modifier === 'null') return raw === null || raw === undefined;
  if (condition.modifier === 'notnull') return raw !== null && raw !== undefined;
  if (raw === null || raw === undefined) return false;
  const value = field === 'id' ? parseId('[a-z]+', String(raw)) : typeof raw === 'boolean' ? String(raw) : raw;
  const wanted = comparable(field, type, condition.value);
  if (wanted === undefined || (typeof value !== 'string' && typeof value !== 'number')) return false;
  if (isCollated(field, type) && typeof value === 'string' && typeof wanted === 'string') {
    return matchesText(value, condition.modifier, wanted);
  }
  switch (condition.modifier) {
    case 'eq': return value === wanted;
    case 'ne': return value !== wanted;
    case 'lt': return value < wanted;
    case 'lte': return value <= wanted;
    case 'gt': return value > wanted;
    case 'gte': return value >= wanted;
    default: return false;
  }
}

/** Text columns (strings, enums) compare under the database collation; ids and references do not. */
function isCollated(field: string, type: string): boolean {
  return field !== 'id' && (type === 'string' || type === 'enum');
}

/**
 * A text condition as cattle's SQL runs it on `utf8_general_ci` (docs/rancher-v1.md#filters): `=`/`<>`
 * ignore case, accents and trailing spaces; `prefix` is `LIKE '<value>%'` with the value unescaped, so
 * its `_` and `%` are wildcards too; `like`/`notlike` take the pattern as given.
 */
function matchesText(value: string, modifier: string, wanted: string): boolean {
  switch (modifier) {
    case 'eq': return equalsCi(value, wanted);
    case 'ne': return !equalsCi(value, wanted);
    case 'prefix': return likeMatcher(`${wanted}%`)(value);
    case 'like': return likeMatcher(wanted)(value);
    case 'notlike': return !likeMatcher(wanted)(value);
    default: return false;
  }
}
