import { describe, expect, it, test } from '@jest/globals';
import type { ErrorCode } from '../../../src/errors.js';
import { classifyStatus, parseRetryAfter, toApiError, type ApiFailure } from '../../../src/rancher/api-errors.js';

describe('the retry table', () => {
  test.each<[string, number, ErrorCode, boolean]>([
    ['400 is a bad request, final', 400, 'ERR_API_BAD_REQUEST', false],
    ['401 is unauthorized, final', 401, 'ERR_API_UNAUTHORIZED', false],
    ['403 is forbidden, final', 403, 'ERR_API_FORBIDDEN', false],
    ['404 is not found, final', 404, 'ERR_API_NOT_FOUND', false],
    ['405 is method not allowed, final', 405, 'ERR_API_METHOD_NOT_ALLOWED', false],
    ['409 Conflict (process busy) is retryable', 409, 'ERR_API_CONFLICT', true],
    ['422 is unprocessable, final', 422, 'ERR_API_UNPROCESSABLE', false],
    ['429 is rate limited, retryable', 429, 'ERR_API_RATE_LIMITED', true],
    ['503 is unavailable, retryable', 503, 'ERR_API_UNAVAILABLE', true],
    ['500 is a server error, retryable', 500, 'ERR_API_SERVER', true],
    ['502 is a server error, retryable', 502, 'ERR_API_SERVER', true],
    ['an unlisted 4xx is a bad request, final', 418, 'ERR_API_BAD_REQUEST', false],
  ])('%s', (_rule, status, code, retryable) => expect(classifyStatus(status)).toEqual({ code, retryable }));

  test.each<[string, ApiFailure, ErrorCode, boolean]>([
    ['a timeout is retryable', { kind: 'timeout', detail: 'Timeout awaiting request' }, 'ERR_API_TIMEOUT', true],
    ['a network error is retryable', { kind: 'network', detail: 'ECONNRESET' }, 'ERR_API_NETWORK', true],
    ['an unparseable body is final', { kind: 'invalid-response', detail: 'not JSON' }, 'ERR_API_INVALID_RESPONSE', false],
    ['an abort is final', { kind: 'aborted' }, 'ERR_API_ABORTED', false],
  ])('%s', (_rule, failure, code, retryable) => {
    const error = toApiError(failure, { method: 'GET', url: 'http://h:1/v1/containers' });
    expect([error.code, error.retryable]).toEqual([code, retryable]);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 27, 12, 0, 0);
  test.each<[string, string | undefined, number | undefined]>([
    ['delta seconds', '3', 3000],
    ['zero seconds', '0', 0],
    ['an HTTP-date in the future', 'Fri, 27 Nov 2026 12:00:05 GMT', 5000],
    ['an HTTP-date in the past gives 0', 'Fri, 27 Nov 2026 11:59:00 GMT', 0],
    ['missing', undefined, undefined],
    ['garbage', 'soon', undefined],
    ['a negative number', '-3', undefined],
    ['a fraction', '1.5', undefined],
  ])('%s', (_rule, value, expected) => expect(parseRetryAfter(value, now)).toBe(expected));
});

describe('toApiError', () => {
  it('builds the message from method, path, status, Rancher code and field', () => {
    const body = '{"type":"error","status":422,"code":"MissingRequired","fieldName":"imageUuid"}';
    const error = toApiError({ kind: 'status', status: 422, body }, { method: 'POST', url: 'http://h:8080/v1/containers' });
    expect(error.message).toBe('POST /v1/containers failed: 422 MissingRequired (imageUuid)');
    expect(error).toMatchObject({ status: 422, apiCode: 'MissingRequired', fieldName: 'imageUuid', method: 'POST', url: 'http://h:8080/v1/containers' });
  });

  it('carries Retry-After and strips credentials from the URL', () => {
    const error = toApiError({ kind: 'status', status: 429, body: '', retryAfterMs: 1000 }, { method: 'GET', url: 'http://key:secret@h:8080/v1/containers?name=a' });
    expect(error.retryAfterMs).toBe(1000);
    expect(error.url).not.toContain('secret');
    expect(error.message).toBe('GET /v1/containers failed: 429');
  });
});
