/**
 * `/login` of a protected status server (`--ui-token-file`): `GET` serves the form, `POST` takes the
 * submitted token (`application/x-www-form-urlencoded`, field `token`, at most 4 KiB). The right token
 * gets the session cookie (ui-auth.ts) and a 303 to the dashboard; a wrong one a 401 with the form and
 * a message. Only the outcome and the peer's address are logged, never what was typed.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../logger.js';
import type { DashboardReply } from './dashboard/dashboard-routes.js';
import type { LoginPage } from './dashboard/login-page.js';
import { readBody } from './read-body.js';
import type { UiAuth } from './ui-auth.js';

export type LoginDeps = Readonly<{ auth: UiAuth; page: LoginPage; log: Logger }>;

/** The status server's reply shape; `closeConnection` when the body was left unread. */
export type LoginReply = DashboardReply & Readonly<{ closeConnection?: boolean }>;

const maxFormBytes = 4096;
const textType = 'text/plain; charset=utf-8';

/** Answers one request to `/login`; undefined when the client went away while sending the form. */
export async function answerLogin(req: IncomingMessage, deps: LoginDeps): Promise<LoginReply | undefined> {
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') {
    req.resume();
    return deps.page(200);
  }
  if (method !== 'POST') {
    req.resume();
    return { status: 405, type: textType, body: 'method not allowed\n', headers: { Allow: 'GET, HEAD, POST' } };
  }
  const read = await readBody(req, maxFormBytes);
  if (read.kind === 'aborted') return undefined;
  if (read.kind === 'too-large') return { status: 413, type: textType, body: 'login form too large\n', closeConnection: true };
  const remoteAddress = req.socket.remoteAddress;
  if (!deps.auth.acceptsLogin(read.body.toString('utf8'))) {
    deps.log.warn({ remoteAddress }, 'dashboard login rejected');
    return deps.page(401, 'That is not the UI token. Try again.');
  }
  deps.log.info({ remoteAddress }, 'dashboard login');
  return { status: 303, type: textType, body: 'see /\n', headers: { Location: '/', 'Set-Cookie': deps.auth.sessionCookieFor(req) } };
}
