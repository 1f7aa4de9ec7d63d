/**
 * Sending one notification request with got, the project's HTTP client: one attempt (got's retry is
 * off; the channel owns the retry policy), a timeout, no redirects (a redirect could carry the body
 * elsewhere), and the outcome as a value. The result names only the status or the error code, never
 * the URL: a got error's message and options hold the URL, which may carry a token.
 */
import got, { RequestError } from 'got';
import type { OutgoingRequest } from './provider.js';

/** What one attempt ended as. `retryable`: worth another try (no answer, timeout, 408, 429, 5xx). */
export type SendResult =
  | Readonly<{ kind: 'sent'; status: number }>
  | Readonly<{ kind: 'failed'; retryable: boolean; status?: number; error: string }>;

/** Options of {@link postNotification}. `timeoutMs` bounds the whole attempt (connect to last byte). */
export type PostOptions = Readonly<{ timeoutMs: number; signal: AbortSignal }>;

/** Whether an HTTP status is worth another try: the receiver is overloaded or failing, not refusing. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** POSTs `request` once. Never throws: every failure is a `failed` result. */
export async function postNotification(request: OutgoingRequest, options: PostOptions): Promise<SendResult> {
  try {
    const response = await got.post(request.url, {
      body: request.body,
      headers: { ...request.headers, 'user-agent': 'rancher-reconciler' },
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { request: options.timeoutMs },
      followRedirect: false,
      signal: options.signal,
    });
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { kind: 'sent', status };
    return { kind: 'failed', retryable: isRetryableStatus(status), status, error: `HTTP ${status}` };
  } catch (e: unknown) {
    if (options.signal.aborted) return { kind: 'failed', retryable: false, error: 'aborted' };
    // the code (ECONNREFUSED, ETIMEDOUT, ENOTFOUND) only: the message and options name the URL
    const code = e instanceof RequestError ? e.code : 'ERR_UNKNOWN';
    return { kind: 'failed', retryable: true, error: code };
  }
}
