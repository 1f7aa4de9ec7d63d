/**
 * The single place that decides which ApiError code a failed call gets and whether it is retryable.
 * Pure: http.ts reduces got's errors and responses to an {@link ApiFailure} and calls {@link toApiError}.
 */
import { ApiError, redactUrl, type ErrorCode } from '../errors.js';
import { parseErrorBody } from './wire.js';

/** How a call failed, before it becomes an ApiError. */
export type ApiFailure =
  | Readonly<{ kind: 'status'; status: number; body: string; retryAfterMs?: number }>
  | Readonly<{ kind: 'timeout'; detail: string }>
  | Readonly<{ kind: 'network'; detail: string }>
  | Readonly<{ kind: 'tls'; detail: string }>
  | Readonly<{ kind: 'invalid-response'; detail: string }>
  | Readonly<{ kind: 'aborted' }>;

/** One row per outcome: the code and whether a later attempt may succeed. */
const statusTable: ReadonlyMap<number, Readonly<{ code: ErrorCode; retryable: boolean }>> = new Map([
  [400, { code: 'ERR_API_BAD_REQUEST', retryable: false }],
  [401, { code: 'ERR_API_UNAUTHORIZED', retryable: false }],
  [403, { code: 'ERR_API_FORBIDDEN', retryable: false }],
  [404, { code: 'ERR_API_NOT_FOUND', retryable: false }],
  [405, { code: 'ERR_API_METHOD_NOT_ALLOWED', retryable: false }],
  // Rancher answers 409 Conflict when the resource's process is busy; gdapi-python retries it (docs/rancher-v1.md#how-clients-handle-errors)
  [409, { code: 'ERR_API_CONFLICT', retryable: true }],
  [422, { code: 'ERR_API_UNPROCESSABLE', retryable: false }],
  [429, { code: 'ERR_API_RATE_LIMITED', retryable: true }],
  [503, { code: 'ERR_API_UNAVAILABLE', retryable: true }],
]);

/**
 * The retry table: code and retryable flag for an HTTP status. Other 5xx are ERR_API_SERVER (retryable);
 * any other 4xx is ERR_API_BAD_REQUEST (not retryable).
 */
export function classifyStatus(status: number): Readonly<{ code: ErrorCode; retryable: boolean }> {
  const row = statusTable.get(status);
  if (row) return row;
  if (status >= 500) return { code: 'ERR_API_SERVER', retryable: true };
  return { code: 'ERR_API_BAD_REQUEST', retryable: false };
}

/** Code and retryable flag for the failures that have no status. */
export const failureTable: Readonly<Record<Exclude<ApiFailure['kind'], 'status'>, Readonly<{ code: ErrorCode; retryable: boolean }>>> = {
  timeout: { code: 'ERR_API_TIMEOUT', retryable: true },
  network: { code: 'ERR_API_NETWORK', retryable: true },
  // an untrusted, expired or mismatched certificate will not fix itself on the next attempt
  tls: { code: 'ERR_API_TLS', retryable: false },
  'invalid-response': { code: 'ERR_API_INVALID_RESPONSE', retryable: false },
  aborted: { code: 'ERR_API_ABORTED', retryable: false },
};

/**
 * Parses a Retry-After header value (delta seconds or an HTTP-date) into milliseconds from `nowMs`.
 * Returns undefined for a missing or malformed value; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined; // "1.5" or "-3": not a valid delta-seconds nor a date
  const dateMs = Date.parse(text);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}

/** `GET /v1/containers` from a full URL: the path only (never host, query values or credentials). */
export function describePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    // not a URL (a relative path in a test): keep what precedes the query
    return redactUrl(url).split('?')[0] ?? '';
  }
}

/**
 * Translates a failure into the ApiError other modules see. The message looks like
 * `POST /v1/containers failed: 422 MissingRequired (imageUuid)`; it never contains credentials.
 */
export function toApiError(failure: ApiFailure, request: Readonly<{ method: string; url: string }>, cause?: unknown): ApiError {
  const url = redactUrl(request.url);
  const prefix = `${request.method} ${describePath(request.url)} failed`;
  if (failure.kind === 'status') {
    const { code, retryable } = classifyStatus(failure.status);
    const body = parseErrorBody(failure.body);
    const what = [String(failure.status), body.code ?? '', body.fieldName ? `(${body.fieldName})` : ''].filter(Boolean).join(' ');
    return new ApiError(
      code,
      `${prefix}: ${what}`,
      {
        status: failure.status,
        method: request.method,
        url,
        ...(body.code === undefined ? {} : { apiCode: body.code }),
        ...(body.fieldName === undefined ? {} : { fieldName: body.fieldName }),
        ...(body.detail === undefined ? {} : { detail: body.detail }),
        ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
      },
      { retryable, cause },
    );
  }
  const { code, retryable } = failureTable[failure.kind];
  const detail = failure.kind === 'aborted' ? 'aborted' : failure.detail;
  return new ApiError(code, `${prefix}: ${failure.kind === 'aborted' ? 'aborted' : `${failure.kind} error (${detail})`}`, { method: request.method, url, detail }, { retryable, cause });
}
