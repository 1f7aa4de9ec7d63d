import { expect, test } from '@jest/globals';
import { formatLogMessage } from '../../../src/observability/log-fields.js';

const plain = { gray: (text: string) => text };
const line = (log: Record<string, unknown>): string => formatLogMessage({ time: 't', level: 30, pid: 1, hostname: 'h', ...log }, 'msg', plain);

test.each<[string, Record<string, unknown>, string]>([
  ['the message, then the fields as name=value; time, level, pid and hostname are shown elsewhere or not at all', { msg: 'manifests loaded', revision: 'sha256:abc', instances: 4 }, 'manifests loaded revision=sha256:abc instances=4'],
  ['key, instanceId, action and phase come first', { msg: 'action succeeded', component: 'reconciler', action: 'start', key: 'web', instanceId: '1i3', durationMs: 20 }, 'action succeeded key=web instanceId=1i3 action=start component=reconciler durationMs=20'],
  ['a string with a space, quote or = is a JSON string', { msg: 'm', message: 'a "b" c', expr: 'a=b' }, 'm message="a \\"b\\" c" expr="a=b"'],
  ['null, booleans and arrays are JSON', { msg: 'm', previous: null, ready: true, keys: ['a', 'b'] }, 'm previous=null ready=true keys=["a","b"]'],
  ['nested objects are flattened with dots', { msg: 'm', http: { method: 'GET', url: 'http://r/v1', status: 404 } }, 'm http.method=GET http.url=http://r/v1 http.status=404'],
  ['an error is flattened without its stack', { msg: 'm', err: { type: 'ApiError', message: 'boom', stack: 'ApiError: boom\n    at x', code: 'ERR_API_NOT_FOUND' } }, 'm err.type=ApiError err.message=boom err.code=ERR_API_NOT_FOUND'],
  ['two levels down are flattened, deeper ones are JSON', { msg: 'm', a: { b: { c: { d: 1 } } } }, 'm a.b.c={"d":1}'],
  ['control characters are escaped, never written raw', { msg: 'm\u001b[2J', description: 'x\u001b]0;title\u0007', name: 'bidi\u202e' }, 'm\\u001b[2J description="x\\u001b]0;title\\u0007" name="bidi\\u202e"'],
  ['DEL and C1 controls too', { msg: 'm', v: 'a\u007fb\u009bc' }, 'm v="a\\u007fb\\u009bc"'],
  ['redacted values stay redacted', { msg: 'm', secretKey: '[redacted]' }, 'm secretKey=[redacted]'],
])('%s', (_rule, log, expected) => {
  expect(line(log)).toBe(expected);
});

test('field names go through the paint, values do not', () => {
  expect(formatLogMessage({ msg: 'm', key: 'web' }, 'msg', { gray: (text) => `<${text}>` })).toBe('m <key=>web');
});
