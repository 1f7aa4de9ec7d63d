/**
 * The UI token checks (src/http/ui-auth.ts): bearer or session cookie, the cookie never the token,
 * a login form's token, `Secure` over https, and how a refused request is answered.
 */
import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { cookieValue, createUiAuth, refusalFor } from '../../../src/http/ui-auth.js';

const token = 'ui-token-7f3a9c2e';
const key = Buffer.alloc(32, 7);

/** Just the parts of a request the checks read. */
const request = (headers: IncomingMessage['headers'], method = 'GET', encrypted = false): IncomingMessage =>
  ({ method, headers, socket: { encrypted } }) as unknown as IncomingMessage;

const sessionOf = (setCookie: string): string => /^rr_ui=([^;]+);/.exec(setCookie)![1]!;

describe('createUiAuth', () => {
  const auth = createUiAuth(token, key);
  const session = sessionOf(auth.sessionCookieFor(request({})));

  it('accepts the bearer token and refuses another, a prefix, or none', () => {
    expect(auth.allows({ authorization: `Bearer ${token}` })).toBe(true);
    expect(auth.allows({ authorization: `bearer ${token}` })).toBe(true);
    expect(auth.allows({ authorization: 'Bearer ui-token-7f3a9c2' })).toBe(false);
    expect(auth.allows({ authorization: `Basic ${token}` })).toBe(false);
    expect(auth.allows({})).toBe(false);
  });

  it('sets a session cookie that is not the token, and accepts it among other cookies', () => {
    const setCookie = auth.sessionCookieFor(request({}));
    expect(setCookie).toBe(`rr_ui=${session}; HttpOnly; SameSite=Strict; Path=/`);
    expect(session).not.toContain(token);
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auth.allows({ cookie: `theme=dark; rr_ui=${session}; other=1` })).toBe(true);
  });

  it('refuses the token itself as a cookie, a changed cookie, and the cookie of another server', () => {
    expect(auth.allows({ cookie: `rr_ui=${token}` })).toBe(false);
    const changed = `${session.slice(0, -1)}${session.endsWith('A') ? 'B' : 'A'}`;
    expect(auth.allows({ cookie: `rr_ui=${changed}` })).toBe(false);
    expect(auth.allows({ cookie: 'rr_ui=' })).toBe(false);
    const other = createUiAuth(token);
    expect(other.allows({ cookie: `rr_ui=${session}` })).toBe(false);
  });

  it('adds Secure when the request came over TLS or X-Forwarded-Proto says https', () => {
    expect(auth.sessionCookieFor(request({}, 'POST', true))).toMatch(/; Secure$/);
    expect(auth.sessionCookieFor(request({ 'x-forwarded-proto': 'https, http' }))).toMatch(/; Secure$/);
    expect(auth.sessionCookieFor(request({ 'x-forwarded-proto': 'http' }))).not.toContain('Secure');
  });

  it('checks the token of a submitted form, URL-encoded', () => {
    expect(auth.acceptsLogin(`token=${encodeURIComponent(token)}`)).toBe(true);
    expect(createUiAuth('a+b&c=d', key).acceptsLogin(`token=${encodeURIComponent('a+b&c=d')}`)).toBe(true);
    expect(auth.acceptsLogin('token=wrong')).toBe(false);
    expect(auth.acceptsLogin('token=')).toBe(false);
    expect(auth.acceptsLogin('')).toBe(false);
  });
});

describe('refusalFor', () => {
  it('sends a browser GET to the login form and answers everyone else 401', () => {
    expect(refusalFor(request({ accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }))).toEqual({ kind: 'login-redirect' });
    expect(refusalFor(request({ accept: 'application/json' }))).toMatchObject({ kind: 'unauthorized' });
    expect(refusalFor(request({}))).toMatchObject({ kind: 'unauthorized' });
    expect(refusalFor(request({ accept: 'text/html' }, 'POST'))).toMatchObject({ kind: 'unauthorized' });
  });
});

describe('cookieValue', () => {
  it('finds a cookie by exact name', () => {
    expect(cookieValue('a=1; rr_ui=xyz', 'rr_ui')).toBe('xyz');
    expect(cookieValue('xrr_ui=1', 'rr_ui')).toBeUndefined();
    expect(cookieValue(undefined, 'rr_ui')).toBeUndefined();
  });
});
