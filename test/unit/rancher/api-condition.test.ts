import { describe, expect, it, test } from '@jest/globals';
import { ApiError, ReconcilerError } from '../../../src/errors.js';
import { toApiError, type ApiFailure } from '../../../src/rancher/api-errors.js';
import { apiConditionOf, fatalApiCondition } from '../../../src/rancher/api-condition.js';
import { RetryLogLevel } from '../../../src/rancher/retry-log-level.js';

const list = 'http://rancher.example:8080/v1/containers?limit=1000';
const one = 'http://rancher.example:8080/v1/containers/1i5/';
const projectList = 'http://rancher.example:8080/v1/projects/1a5/containers?name=web';

/** An ApiError as http.ts makes it: through the one translation table. */
function failed(failure: ApiFailure, method = 'GET', url = list, cause?: Error): ApiError {
  return toApiError(failure, { method, url }, cause);
}
const status = (code: number, method = 'GET', url = list): ApiError => failed({ kind: 'status', status: code, body: '' }, method, url);
/** A network failure with the cause http.ts keeps: got's message and the system error's code. */
const network = (code: string, message: string): ApiError =>
  failed({ kind: 'network', detail: `${code}: ${message}` }, 'GET', list, Object.assign(new Error(message), { code }));

/** The condition and fatal flag a row expects; undefined = the failure says nothing about the API. */
type Expected = Readonly<{ condition: string; fatal: boolean }> | undefined;

describe('apiConditionOf: which condition a failure shows, and whether retrying can help', () => {
  test.each<[string, unknown, Expected]>([
    ['401 on a list: the credentials are wrong', status(401), { condition: 'unauthorized', fatal: true }],
    ['403 on an action: the key cannot reach the project', status(403, 'POST', one), { condition: 'unauthorized', fatal: true }],
    ['404 on the collection: the URL is not the API', status(404), { condition: 'not-rancher', fatal: true }],
    ['404 on a project-scoped collection: the URL is not the API', status(404, 'GET', projectList), { condition: 'not-rancher', fatal: true }],
    ['404 on the API root: the URL is not the API', status(404, 'GET', 'http://rancher.example:8080/v1'), { condition: 'not-rancher', fatal: true }],
    ['a list answer that is not a collection: not the API', failed({ kind: 'invalid-response', detail: '200 with a body that is not JSON' }), { condition: 'not-rancher', fatal: true }],
    ['ENOTFOUND: the host does not resolve', network('ENOTFOUND', 'getaddrinfo ENOTFOUND rancher.invalid'), { condition: 'unreachable', fatal: true }],
    ['EAI_AGAIN: the resolver may answer next time', network('EAI_AGAIN', 'getaddrinfo EAI_AGAIN rancher.example'), { condition: 'unreachable', fatal: false }],
    ['connection refused: Rancher may be restarting', network('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'), { condition: 'unreachable', fatal: false }],
    ['a timeout: worth another attempt', failed({ kind: 'timeout', detail: "Timeout awaiting 'request' for 30000ms" }), { condition: 'unreachable', fatal: false }],
    ['an untrusted certificate does not fix itself', failed({ kind: 'tls', detail: 'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate' }), { condition: 'unreachable', fatal: true }],
    ['500: a server error, retried', status(500), { condition: 'server-error', fatal: false }],
    ['503: a server error, retried', status(503, 'POST', one), { condition: 'server-error', fatal: false }],
    ['404 on one container: that container is gone, the API is fine', status(404, 'GET', one), undefined],
    ['404 on an action: not about the API', status(404, 'POST', one), undefined],
    ['422 on a create: about one request', status(422, 'POST', list), undefined],
    ['409 conflict: a state race', status(409, 'POST', one), undefined],
    ['429: throttling, the limiter handles it', status(429), undefined],
    ['an abort: we gave up, Rancher did not fail', failed({ kind: 'aborted' }), undefined],
    ['a non-API error', new ReconcilerError('ERR_INTERNAL', 'bug'), undefined],
    ['not an error at all', 'boom', undefined],
  ])('%s', (_rule, error, expected) => {
    const seen = apiConditionOf(error);
    expect(seen === undefined ? undefined : { condition: seen.condition, fatal: seen.fatal }).toEqual(expected);
    expect(fatalApiCondition(error) !== undefined).toBe(expected?.fatal === true);
  });

  it('says what is wrong in words an operator can act on, without credentials or query values', () => {
    expect(apiConditionOf(status(401))).toEqual({ condition: 'unauthorized', message: 'Rancher rejected the credentials (401)', code: 'ERR_API_UNAUTHORIZED', status: 401, fatal: true });
    expect(apiConditionOf(status(403))?.message).toBe('Rancher rejected the credentials (403)');
    expect(apiConditionOf(status(404))).toEqual({
      condition: 'not-rancher',
      message: 'Rancher API not found at http://rancher.example:8080/v1 (404): is the URL the v1 API?',
      code: 'ERR_API_NOT_FOUND',
      status: 404,
      fatal: true,
    });
    expect(apiConditionOf(status(404, 'GET', projectList))?.message).toBe('Rancher API not found at http://rancher.example:8080/v1/projects/1a5 (404): is the URL the v1 API?');
    expect(apiConditionOf(network('ENOTFOUND', 'getaddrinfo ENOTFOUND rancher.invalid'))).toEqual({
      condition: 'unreachable',
      message: 'Rancher unreachable: getaddrinfo ENOTFOUND rancher.invalid',
      code: 'ERR_API_NETWORK',
      fatal: true,
    });
    expect(apiConditionOf(network('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'))?.message).toBe('Rancher unreachable: connect ECONNREFUSED 127.0.0.1:9');
    // a cause whose text lacks its code gets it appended
    const timeout = failed({ kind: 'timeout', detail: "Timeout awaiting 'request' for 30000ms" }, 'GET', list, Object.assign(new Error("Timeout awaiting 'request' for 30000ms"), { code: 'ETIMEDOUT' }));
    expect(apiConditionOf(timeout)?.message).toBe("Rancher unreachable: Timeout awaiting 'request' for 30000ms (ETIMEDOUT)");
    expect(apiConditionOf(status(502))?.message).toBe('Rancher server error (502)');
  });

  it('finds ENOTFOUND anywhere along the cause chain (got wraps the resolver error)', () => {
    const resolver = Object.assign(new Error('getaddrinfo ENOTFOUND rancher.invalid'), { code: 'ENOTFOUND' });
    const wrapped = new Error('request failed', { cause: resolver });
    const error = failed({ kind: 'network', detail: 'request failed' }, 'GET', list, wrapped);
    expect(fatalApiCondition(error)?.condition).toBe('unreachable');
  });
});

describe('RetryLogLevel', () => {
  it('warns on the first failure of a kind, is quiet while it repeats, and warns again after a success or another kind', () => {
    const level = new RetryLogLevel();
    const refused = network('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9');
    expect([level.failed(refused), level.failed(refused), level.failed(refused)]).toEqual(['warn', 'debug', 'debug']);
    expect(level.failed(status(503))).toBe('warn');
    expect(level.failed(status(500))).toBe('debug'); // both server errors
    level.succeeded();
    expect(level.failed(status(500))).toBe('warn');
  });
});
