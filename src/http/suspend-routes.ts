/**
 * `POST /suspend` and `POST /resume`: the whole daemon stops acting during an incident, and starts again
 * (controller/suspension.ts holds the state). They change what the daemon does, so they are off until a
 * control token is configured (`--control-token-file`): 403 without one, 401 with a missing or wrong
 * `Authorization: Bearer <token>` (compared in constant time; never logged), then:
 *
 * | request | answer |
 * |---|---|
 * | `POST /suspend`, body empty or `{"reason": "...", "by": "..."}` | 200 `{ suspended: {since, reason, by}, changed, persisted }` |
 * | `POST /resume` (any body is ignored) | 200 `{ suspended: null, changed, persisted }` |
 * | a body that is not such JSON | 400 `{ error }`; over 16 KiB: 413 |
 *
 * `changed` is false when it was already so; `persisted` false when the state dir could not be written
 * (the state holds until a restart).
 */
import type { IncomingMessage } from 'node:http';
import type { SuspensionStatus } from '../domain/status.js';
import { assertNever } from '../errors.js';
import type { Logger } from '../logger.js';
import { hasBearerToken } from './bearer-token.js';
import { readBody } from './read-body.js';

/** What the routes drive; implemented by DaemonSuspension. */
export interface SuspensionControl {
  suspend(request: Readonly<{ reason?: string; by?: string }>, remoteAddress: string | undefined): Promise<SuspensionAnswer>;
  resume(remoteAddress: string | undefined): Promise<SuspensionAnswer>;
}

export type SuspensionAnswer = Readonly<{ suspended: SuspensionStatus | null; changed: boolean; persisted: boolean }>;

/** An answer for the status server to send as JSON. `closeConnection`: the body was left unread. */
export type ControlReply = Readonly<{ status: number; body: unknown; headers?: Readonly<Record<string, string>>; closeConnection?: boolean }>;

export type ControlRouteOptions = Readonly<{ control: SuspensionControl; token: string | undefined; log: Logger }>;

const maxBodyBytes = 16 * 1024;
const limits = { reason: 1000, by: 200 } as const;

const disabled: ControlReply = {
  status: 403,
  body: { error: 'POST /suspend and /resume are disabled: start the daemon with --control-token-file PATH (or RECONCILER_CONTROL_TOKEN_FILE) to enable them' },
};

/** The `{reason, by}` of a suspend body, or why it is not one. An empty body asks for nothing. */
export function parseSuspendBody(body: Buffer): Readonly<{ reason?: string; by?: string }> | string {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // the message of JSON.parse would echo the body back; say what is expected instead
    return 'the body must be JSON: {"reason": "...", "by": "..."} (both optional)';
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return 'the body must be a JSON object: {"reason": "...", "by": "..."}';
  const request: { reason?: string; by?: string } = {};
  for (const [field, value] of Object.entries(doc)) {
    if (field !== 'reason' && field !== 'by') return `unknown field "${field}": expected reason and by`;
    if (typeof value !== 'string') return `${field}: expected a string`;
    const trimmed = value.trim();
    if (trimmed.length > limits[field]) return `${field}: at most ${limits[field]} characters, got ${trimmed.length}`;
    if (trimmed !== '') request[field] = trimmed;
  }
  return request;
}

/** Answers one `POST /suspend` or `/resume`. The body is drained (or read, for a suspend) in every case. */
export async function answerControl(action: 'suspend' | 'resume', req: IncomingMessage, options: ControlRouteOptions): Promise<ControlReply | undefined> {
  const { control, token, log } = options;
  const remoteAddress = req.socket.remoteAddress;
  const authorized = token !== undefined && hasBearerToken(req.headers.authorization, token);
  if (action === 'resume' || !authorized) req.resume();
  if (token === undefined) return disabled;
  if (!authorized) {
    log.warn({ remoteAddress, action }, 'control request rejected');
    return { status: 401, body: { error: 'unauthorized: send Authorization: Bearer <the --control-token-file token>' }, headers: { 'WWW-Authenticate': 'Bearer realm="rancher-reconciler"' } };
  }
  if (action === 'resume') return { status: 200, body: await control.resume(remoteAddress) };
  const read = await readBody(req, maxBodyBytes);
  switch (read.kind) {
    case 'aborted':
      return undefined;
    case 'too-large':
      return { status: 413, body: { error: `the body is over ${maxBodyBytes} bytes` }, closeConnection: true };
    case 'read': {
      const request = parseSuspendBody(read.body);
      if (typeof request === 'string') return { status: 400, body: { error: request } };
      return { status: 200, body: await control.suspend(request, remoteAddress) };
    }
    default:
      return assertNever(read, 'body read');
  }
}
