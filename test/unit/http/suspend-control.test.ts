import { describe, expect, test } from '@jest/globals';
import { daemonUrlFrom } from '../../../src/commands/suspend.js';
import { ConfigError } from '../../../src/errors.js';
import { parseSuspendBody } from '../../../src/http/suspend-routes.js';

describe('POST /suspend bodies', () => {
  test.each<[string, string, ReturnType<typeof parseSuspendBody>]>([
    ['an empty body asks for nothing', '', {}],
    ['reason and by are taken, trimmed', '{"reason": " db failover ", "by": "ann@ops"}', { reason: 'db failover', by: 'ann@ops' }],
    ['empty strings are left out', '{"reason": "  "}', {}],
    ['not JSON', 'stop now', 'the body must be JSON: {"reason": "...", "by": "..."} (both optional)'],
    ['not an object', '["x"]', 'the body must be a JSON object: {"reason": "...", "by": "..."}'],
    ['an unknown field', '{"reason": "x", "until": "noon"}', 'unknown field "until": expected reason and by'],
    ['a reason that is not a string', '{"reason": 42}', 'reason: expected a string'],
    ['a reason over 1000 characters', JSON.stringify({ reason: 'r'.repeat(1001) }), 'reason: at most 1000 characters, got 1001'],
  ])('%s', (_rule, body, expected) => expect(parseSuspendBody(Buffer.from(body))).toEqual(expected));
});

describe('where `suspend` and `resume` find the daemon', () => {
  test.each<[string, string | undefined, Record<string, string>, string]>([
    ['--daemon wins, without a trailing slash', 'http://reconciler:9000/', { RECONCILER_LISTEN: '0.0.0.0:8081' }, 'http://reconciler:9000'],
    ["--listen's default without anything", undefined, {}, 'http://127.0.0.1:8081'],
    ['the RECONCILER_LISTEN address', undefined, { RECONCILER_LISTEN: '10.0.0.5:9090' }, 'http://10.0.0.5:9090'],
    ['a wildcard listen address means loopback', undefined, { RECONCILER_LISTEN: '0.0.0.0:8081' }, 'http://127.0.0.1:8081'],
    ['an IPv6 wildcard means the IPv6 loopback', undefined, { RECONCILER_LISTEN: '[::]:8081' }, 'http://[::1]:8081'],
  ])('%s', (_rule, given, env, expected) => expect(daemonUrlFrom(given, env, '/')).toBe(expected));

  test('a RECONCILER_LISTEN that is no address is an error that says what to do', () => {
    expect(() => daemonUrlFrom(undefined, { RECONCILER_LISTEN: 'localhost' }, '/')).toThrow(ConfigError);
    expect(() => daemonUrlFrom(undefined, { RECONCILER_LISTEN: 'localhost' }, '/')).toThrow(/RECONCILER_LISTEN: expected HOST:PORT.*give the daemon with --daemon URL/);
  });
});
