/**
 * The host agent's websocket endpoints a hostAccess URL points at (`/v1/exec/`, `/v1/logs/`,
 * `/v1/console/`, `/v1/container-proxy/`), answered by the emulator itself. A real agent would attach to
 * the container; the emulator has no container to attach to, so it checks the token exactly (signature,
 * expiry, and that it was issued for this endpoint), completes the handshake and closes at once with
 * a close frame that says so. A bad token is refused before the handshake with a 401 error body.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { ApiFailure } from './api-failure.js';
import { hostAccessPaths, type HostAccessKind } from './tokens-host-access.js';
import type { HostAccessTokens } from './tokens.js';

/**
 * The close code of a host-access socket: 4000 is the first of the codes RFC 6455 leaves to
 * applications; no standard code means "this server does not do that".
 */
export const notEmulatedCloseCode = 4000;

/** The close reason per endpoint (kept under the 123-byte limit of a close frame reason). */
export function notEmulatedReason(kind: HostAccessKind): string {
  return `not emulated: ${kind} needs a host agent, and the emulator has none`;
}

/** The endpoint a path names, or undefined (the trailing slash is optional, as the agent's mux strips it). */
export function hostAccessKindOf(pathname: string): HostAccessKind | undefined {
  const path = pathname.endsWith('/') ? pathname : `${pathname}/`;
  for (const [kind, prefix] of Object.entries(hostAccessPaths)) if (path === prefix) return kind as HostAccessKind;
  return undefined;
}

/** The token a client sent: `?token=` (how Rancher's UI and agents dial) or `Authorization: Bearer`. */
function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const query = url.searchParams.get('token');
  if (query !== null && query !== '') return query;
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/** What {@link serveHostAccess} needs from the server. */
export type HostAccessServer = Readonly<{ wss: WebSocketServer; tokens: HostAccessTokens }>;

/**
 * Checks the token for `kind` and either throws a 401 ApiFailure (the caller writes it as the refusal)
 * or upgrades and closes with {@link notEmulatedCloseCode}. `onOpen` runs once the handshake is done.
 */
export function serveHostAccess(server: HostAccessServer, kind: HostAccessKind, req: IncomingMessage, socket: Duplex,
  head: Buffer, url: URL, onOpen: () => void): void {
  const token = tokenOf(req, url);
  const claims = token === undefined ? undefined : server.tokens.verify(token);
  // a token issued for another endpoint (a logs token on /v1/exec/) is as good as none
  if (claims === undefined || claims[kind] === undefined) throw ApiFailure.status(401);
  server.wss.handleUpgrade(req, socket, head, (ws) => {
    onOpen();
    ws.on('error', () => undefined);
    ws.close(notEmulatedCloseCode, notEmulatedReason(kind));
  });
}
