import { describe, expect, test } from '@jest/globals';
import {
  matchesCondition, parseCollectionQuery, parseLimit, parseMarker,
} from '../../../src/emulator/filters.js';
import { SchemaRegistry } from '../../../src/emulator/schemas.js';

const schemas = SchemaRegistry.load();
const query = (search: string) => parseCollectionQuery(schemas, 'container', new URLSearchParams(search));

describe('limit and marker', () => {
  test.each<[string, string | null, number]>([
    ['defaults to 100', null, 100],
    ['takes a value up to the maximum', '105', 105],
    ['clamps above 3000', '10005', 3000],
    ['treats 0 as the maximum', '0', 3000],
    ['treats a negative limit as the maximum', '-4', 3000],
    ['ignores a non-numeric value', 'ten', 100],
  ])('limit %s', (_rule, text, expected) => expect(parseLimit(text)).toBe(expected));

  test.each<[string, string | null, number]>([
    ['starts at 0 without a marker', null, 0],
    ['reads m<offset>', 'm200', 200],
    ['ignores an opaque marker of another shape', '200', 0],
  ])('marker %s', (_rule, text, expected) => expect(parseMarker(text)).toBe(expected));
});

describe('filter parameters', () => {
  test.each<[string, string, Record<string, { modifier: string; value: string }[]>]>([
    ['a bare field means eq', 'name=web', { name: [{ modifier: 'eq', value: 'web' }] }],
    ['field_modifier splits at the last underscore', 'name_prefix=we', { name: [{ modifier: 'prefix', value: 'we' }] }],
    ['repeated values are all kept (ANDed)', 'state_ne=running&state_ne=stopped',
      { state: [{ modifier: 'ne', value: 'running' }, { modifier: 'ne', value: 'stopped' }] }],
    ['a second modifier on a field replaces the first', 'name_prefix=a&name_ne=b', { name: [{ modifier: 'ne', value: 'b' }] }],
    ['an unknown field is ignored', 'color=red', {}],
    ['a modifier the field does not allow is ignored', 'state_prefix=run', {}],
    ['a modifier that does not exist is ignored', 'name_suffix=x', {}],
    ['a collectionFilter that is not a resourceField is ignored', 'agentId=1a1', {}],
    ['reserved parameters are not filters', 'limit=5&marker=m5&sort=name&order=desc&projectId=1a5&_method=GET', {}],
  ])('%s', (_rule, search, expected) => {
    expect(Object.fromEntries(query(search).conditions)).toEqual(expected);
  });

  test.each<[string, string, { field: string; order: 'asc' | 'desc' } | undefined]>([
    ['sorts by a filterable field ascending by default', 'sort=name', { field: 'name', order: 'asc' }],
    ['takes order=desc', 'sort=created&order=desc', { field: 'created', order: 'desc' }],
    ['treats an invalid order as asc', 'sort=name&order=sideways', { field: 'name', order: 'asc' }],
    ['ignores a sort on a field that is not filterable', 'sort=imageUuid', undefined],
  ])('%s', (_rule, search, expected) => expect(query(search).sort).toEqual(expected));
});

describe('condition matching (SQL semantics)', () => {
  test.each<[string, string, string, unknown, string, string, boolean]>([
    ['eq matches an equal string', 'name', 'string', 'web', 'eq', 'web', true],
    // MySQL's default collation (utf8_general_ci) makes Rancher's string equality case-insensitive
    ['eq ignores case, as utf8_general_ci does', 'name', 'string', 'Web', 'eq', 'web', true],
    ['eq still tells different names apart', 'name', 'string', 'Web', 'eq', 'wed', false],
    ['ne skips null like SQL', 'name', 'string', null, 'ne', 'web', false],
    ['prefix', 'name', 'string', 'web-1', 'prefix', 'web', true],
    ['like with %', 'name', 'string', 'web-12', 'like', 'web-%', true],
    ['like with _ matches one character', 'name', 'string', 'web-12', 'like', 'web-_', false],
    ['notlike', 'name', 'string', 'db-1', 'notlike', 'web%', true],
    ['null matches null', 'description', 'string', null, 'null', '', true],
    ['notnull skips null', 'description', 'string', null, 'notnull', '', false],
    ['int gt compares numerically', 'startCount', 'int', 10, 'gt', '9', true],
    ['id takes a formatted id', 'id', 'int', '1i12', 'gte', '1i9', true],
    ['id lt with a formatted id', 'id', 'int', '1i12', 'lt', '1i9', false],
    ['date lt takes the date format', 'created', 'date', Date.UTC(2016, 0, 1), 'lt', '2016-06-01T00:00:00Z', true],
    ['a bad date matches nothing', 'created', 'date', Date.UTC(2016, 0, 1), 'lt', 'yesterday', false],
    ['boolean eq compares the text', 'nativeContainer', 'boolean', false, 'eq', 'false', true],
  ])('%s', (_rule, field, type, raw, modifier, value, expected) => {
    expect(matchesCondition(field, type, raw, { modifier, value })).toBe(expected);
  });
});
