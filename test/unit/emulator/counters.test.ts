import { describe, expect, test } from '@jest/globals';
import { normalisePath, routeOf } from '../../../src/emulator/counters.js';

describe('counter routes', () => {
  test.each<[string, string, string | undefined, string]>([
    ['a collection', '/v1/containers', undefined, '/v1/containers'],
    ['a trailing slash is dropped', '/v1/containers/', undefined, '/v1/containers'],
    ['an id becomes :id', '/v1/containers/1i42', undefined, '/v1/containers/:id'],
    ['the project prefix is stripped', '/v1/projects/1a5/containers/1i42', undefined, '/v1/containers/:id'],
    ['an action is appended', '/v1/containers/1i42/', 'stop', '/v1/containers/:id?action=stop'],
    ['instances actions keep their collection', '/v1/instances/1i3', 'start', '/v1/instances/:id?action=start'],
    ['the root', '/v1', undefined, '/v1'],
    ['a project root', '/v1/projects/1a5', undefined, '/v1'],
    ['a schema id', '/v1/schemas/container', undefined, '/v1/schemas/:id'],
  ])('%s', (_rule, path, action, expected) => expect(routeOf(path, action)).toBe(expected));

  test('normalisePath keeps non-project paths', () => {
    expect(normalisePath('/v1/subscribe')).toBe('/v1/subscribe');
  });
});
