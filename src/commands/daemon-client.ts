/**
 * The client side of a running daemon's status server: its control endpoints (`POST /suspend`,
 * `/resume`) for the `suspend` and `resume` commands, and its read endpoints (`GET /status`, `/events`)
 * for `status` and `events`. It uses got, the project's HTTP client, but none of the Rancher
 * client around it (rancher/http.ts): no rate limiter and no retry (a suspend is sent once; the answer
 * says what happened), a short timeout, and got's failures translated here, once, into ERR_DAEMON.
 */
import got, { RequestError } from 'got';
import { ReconcilerError } from '../errors.js';

/** The daemon's answer: its HTTP status and JSON body (`{ error }` when the body was not JSON). */
export type ControlAnswer = Readonly<{ status: number; body: Readonly<Record<string, unknown>> }>;

export type ControlRequest = Readonly<{
  /** The status server's base URL, e.g. `http://127.0.0.1:8081`. */
  daemonUrl: string;
  action: 'suspend' | 'resume';
  token: string;
  /** The JSON body (`{ reason, by }` for a suspend). */
  body?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  /** Default 10 s: the daemon answers at once, after one small file write. */
  timeoutMs?: number;
}>;

function parseBody(text: string): Readonly<Record<string, unknown>> {
  try {
    const doc = JSON.parse(text) as unknown;
    if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) return doc as Record<string, unknown>;
  } catch {
    // not JSON (a proxy's error page): its text is the message
  }
  return { error: text.trim().slice(0, 200) };
}

/**
 * Sends one control request. Any HTTP status is an answer (the caller explains it); no answer at all is
 * a ReconcilerError `ERR_DAEMON` naming the URL and the cause (`ECONNREFUSED`, a timeout). The token is
 * sent only in the Authorization header and never appears in a message.
 */
export async function postControl(request: ControlRequest): Promise<ControlAnswer> {
  const url = `${request.daemonUrl.replace(/\/+$/, '')}/${request.action}`;
  try {
    const response = await got.post(url, {
      headers: { authorization: `Bearer ${request.token}` },
      ...(request.body === undefined ? {} : { json: request.body }),
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { request: request.timeoutMs ?? 10_000 },
      followRedirect: false,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    return { status: response.statusCode, body: parseBody(response.body) };
  } catch (e: unknown) {
    throw unreachable(request.daemonUrl, e);
  }
}

/** `url` without user name and password, for messages (a `--daemon http://user:pass@host` must not leak). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/+$/, '');
  } catch {
    // not a URL at all: got will refuse it, and this text is what the user typed
    return url;
  }
}

/** The ERR_DAEMON error for a request that got no answer at all, naming the URL (without credentials) and the cause. */
export function unreachable(daemonUrl: string, e: unknown): ReconcilerError {
  const cause = e instanceof RequestError ? (e.code ?? e.message) : String(e);
  return new ReconcilerError('ERR_DAEMON', `cannot reach the daemon at ${displayUrl(daemonUrl)} (${cause}): is \`rancher-reconciler run\` listening there? (--daemon URL)`, { cause: e });
}

/** A read of the status server: `path` with its query (`/status`, `/events?key=web-1`). */
export type ReadRequest = Readonly<{
  daemonUrl: string;
  path: string;
  /** Sent as `Authorization: Bearer` when the status server is protected (`--ui-token-file`). */
  token?: string;
  signal?: AbortSignal;
  /** Default 10 s. */
  timeoutMs?: number;
}>;

/** A read's answer: the HTTP status and the body text, as sent. */
export type ReadAnswer = Readonly<{ status: number; text: string }>;

/**
 * One GET, no retry (the caller polls or gives up), any HTTP status an answer; no answer at all is
 * ERR_DAEMON as for {@link postControl}.
 */
export async function getDaemon(request: ReadRequest): Promise<ReadAnswer> {
  const url = `${request.daemonUrl.replace(/\/+$/, '')}${request.path}`;
  try {
    const response = await got(url, {
      headers: request.token === undefined ? {} : { authorization: `Bearer ${request.token}` },
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { request: request.timeoutMs ?? 10_000 },
      followRedirect: false,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    return { status: response.statusCode, text: response.body };
  } catch (e: unknown) {
    throw unreachable(request.daemonUrl, e);
  }
}
