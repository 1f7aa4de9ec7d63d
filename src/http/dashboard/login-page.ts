/**
 * The login form of a protected status server (`--ui-token-file`): `GET /login` serves ui/login.html
 * under the dashboard's Content-Security-Policy; it posts the token to `/login` (http/ui-auth.ts checks
 * it). The page needs only `/ui/dashboard.css`, which stays open. A message (after a wrong token) is
 * one of our own fixed texts, never anything the request sent.
 */
import { readFileSync } from 'node:fs';
import { contentSecurityPolicy, packageUi, type DashboardReply } from './dashboard-routes.js';

const messageMarker = '<p id="login-message" class="banner" role="alert" data-testid="login-message" hidden></p>';

/** Renders the form, with `message` shown above it when given. */
export type LoginPage = (status: number, message?: string) => DashboardReply;

/**
 * Reads the form once (a missing file fails at startup).
 *
 * @throws Error (ENOENT) when the assets folder lacks login.html (a broken install).
 */
export function loginPage(assetsDir: URL = packageUi): LoginPage {
  const html = readFileSync(new URL('login.html', assetsDir), 'utf8');
  const headers = { 'Content-Security-Policy': contentSecurityPolicy, 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' };
  return (status, message) => ({
    status,
    type: 'text/html; charset=utf-8',
    body: message === undefined ? html : html.replace(messageMarker, messageMarker.replace(' hidden>', `>${escapeHtml(message)}`)),
    headers,
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
