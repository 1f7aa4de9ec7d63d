import { describe, expect, it, test } from '@jest/globals';
import { ApiError, ConfigError, ReconcilerError, coerceError, isRetryable, redactUrl } from '../../src/errors.js';

describe('errors', () => {
  test.each([
    ['http://key:secret@rancher:8080/v1', 'http://rancher:8080/v1'],
    ['https://rancher.example/v1/projects/1a5', 'https://rancher.example/v1/projects/1a5'],
    ['not a url //user:pw@host/x', 'not a url //host/x'],
  ])('redactUrl(%s) strips credentials', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('keeps code, retryable and cause', () => {
    const cause = new Error('socket hang up');
    const error = new ApiError('ERR_API_NETWORK', 'GET /v1/containers failed', { method: 'GET', url: 'http://x/v1' }, { retryable: true, cause });
    expect(error).toBeInstanceOf(ReconcilerError);
    expect(error.code).toBe('ERR_API_NETWORK');
    expect(error.cause).toBe(cause);
    expect(isRetryable(error)).toBe(true);
    expect(isRetryable(new Error('plain'))).toBe(false);
  });

  it('lists every config issue', () => {
    const error = new ConfigError(['a is bad', 'b is bad']);
    expect(error.issues).toEqual(['a is bad', 'b is bad']);
    expect(error.message).toContain('a is bad; b is bad');
  });

  it('coerces non-errors', () => {
    expect(coerceError('boom').message).toContain('boom');
    const e = new Error('x');
    expect(coerceError(e)).toBe(e);
  });
});
