/**
 * The client side of a running daemon's control endpoints (`POST /suspend`, `/resume`), for the
 * `suspend` and `resume` commands. It uses got, the project's HTTP client, but none of the Rancher
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
    const cause = e instanceof RequestError ? (e.code ?? e.message) : String(e);
    throw new ReconcilerError('ERR_DAEMON', `cannot reach the daemon at ${request.daemonUrl} (${cause}): is \`rancher-reconciler run\` listening there? (--daemon URL)`, { cause: e });
  }
}
