import { describe, expect, test } from '@jest/globals';
import { RequestLog, summariseCreateBody } from '../../../src/emulator/request-log.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const arrive = (log: RequestLog, count: number): void => {
  for (let index = 0; index < count; index += 1) log.begin({ method: 'GET', path: '/v1/hosts', action: undefined });
};

describe('request log', () => {
  test('keeps the last `limit` entries, in order', () => {
    const log = new RequestLog({ clock: new ManualClock(), limit: 10 });
    arrive(log, 25);
    expect(log.entries().map((entry) => entry.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(log.entries(22).map((entry) => entry.seq)).toEqual([23, 24, 25]);
  });

  test('hands out copies: a reader cannot change the log', () => {
    const log = new RequestLog({ clock: new ManualClock() });
    arrive(log, 1);
    log.entries()[0]!.status = 500;
    expect(log.entries()[0]!.status).toBe('pending');
  });

  test('takes the container id from resource routes only', () => {
    const log = new RequestLog({ clock: new ManualClock() });
    const ids = ['/v1/containers/1i5', '/v1/instances/1i6', '/v1/containers', '/v1/hosts/1h1'].map((path) =>
      log.begin({ method: 'GET', path, action: undefined }).containerId);
    expect(ids).toEqual(['1i5', '1i6', null, null]);
  });

  test('a clear keeps counting', () => {
    const log = new RequestLog({ clock: new ManualClock() });
    arrive(log, 3);
    log.clear();
    arrive(log, 1);
    expect(log.entries().map((entry) => entry.seq)).toEqual([4]);
  });

  test.each<[string, string, ReturnType<typeof summariseCreateBody>]>([
    ['name and labels', '{"name":"web","labels":{"a":"b"},"imageUuid":"docker:x"}', { name: 'web', labels: { a: 'b' } }],
    ['neither', '{"imageUuid":"docker:x"}', { name: null, labels: null }],
    ['an empty body', '', { name: null, labels: null }],
    ['not JSON', '{', { name: null, labels: null }],
  ])('summarises a create body with %s', (_rule, text, expected) => {
    expect(summariseCreateBody(text)).toEqual(expected);
  });
});
