/**
 * The protection of the dashboard and the read endpoints (`--ui-token-file`): a request passes with
 * `Authorization: Bearer <token>` or with the session cookie `rr_ui` that a login at `/login` sets.
 *
 * The cookie is never the token: it is an HMAC-SHA256 of the token under a key drawn at random when the
 * server starts, so it is worthless elsewhere, cannot be turned back into the token, and every session
 * ends when the daemon restarts (the page then sends the person to `/login` again). Both checks compare
 * in constant time (bearer-token.ts); neither the token nor the cookie is ever logged or echoed.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { hasBearerToken } from './bearer-token.js';

/** The session cookie's name. */
export const sessionCookie = 'rr_ui';

/** How one protected request is refused: a browser is sent to the login form, an API client gets 401 JSON. */
export type Refusal = Readonly<{ kind: 'login-redirect' }> | Readonly<{ kind: 'unauthorized'; message: string }>;

export type UiAuth = Readonly<{
  /** Whether the request carries the right bearer token or session cookie. */
  allows(headers: IncomingMessage['headers']): boolean;
  /** Whether a submitted login form (`application/x-www-form-urlencoded`, field `token`) holds the token. */
  acceptsLogin(formBody: string): boolean;
  /** The `Set-Cookie` value after a good login; `Secure` when the request came over https (directly or per `X-Forwarded-Proto`). */
  sessionCookieFor(req: IncomingMessage): string;
}>;

/** The message of the 401 an API client gets. */
export const unauthorizedMessage = 'this status server needs the UI token: send `Authorization: Bearer <token>` (the file of --ui-token-file) or log in at /login';

/**
 * The checks for one configured token. `key` (tests only) fixes the HMAC key; by default it is random.
 */
export function createUiAuth(token: string, key: Buffer = randomBytes(32)): UiAuth {
  const session = createHmac('sha256', key).update(token, 'utf8').digest('base64url');
  const sessionBytes = Buffer.from(session, 'utf8');
  const hasSession = (header: string | undefined): boolean => {
    const given = Buffer.from(cookieValue(header, sessionCookie) ?? '', 'utf8');
    // same length first (the HMAC's length is no secret), then a constant-time compare
    return given.length === sessionBytes.length && timingSafeEqual(given, sessionBytes);
  };
  return {
    allows: (headers) => hasBearerToken(headers.authorization, token) || hasSession(headers.cookie),
    acceptsLogin: (formBody) => hasBearerToken(`Bearer ${new URLSearchParams(formBody).get('token') ?? ''}`, token),
    sessionCookieFor: (req) => `${sessionCookie}=${session}; HttpOnly; SameSite=Strict; Path=/${cameOverHttps(req) ? '; Secure' : ''}`,
  };
}

/** How to refuse a protected request: a browser's GET (Accept names `text/html`) goes to the login form. */
export function refusalFor(req: IncomingMessage): Refusal {
  const method = req.method ?? 'GET';
  const browser = (method === 'GET' || method === 'HEAD') && (req.headers.accept ?? '').includes('text/html');
  return browser ? { kind: 'login-redirect' } : { kind: 'unauthorized', message: unauthorizedMessage };
}

/** The value of cookie `name` in a `Cookie` header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function cameOverHttps(req: IncomingMessage): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted === true) return true;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}
