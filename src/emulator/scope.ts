import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { ApiFailure } from './api-failure.js';

/** The realm real Rancher challenges with (`api.auth.realm`). */
export const authRealm = 'Basic realm="Enter API access key and secret key as username and password"';

/** Who a request acts for and where its links point. */
export type RequestScope = Readonly<{
  projectId: string;
  /** `http://HOST:PORT/v1`, or `.../v1/projects/<pid>` when the project came from the path. */
  apiBase: string;
  /** The path with any `/v1/projects/<pid>` prefix rewritten to `/v1`. */
  path: string;
}>;

/** Access control and projects, as configured. */
export type ScopeConfig = Readonly<{
  credentials: Readonly<{ accessKey: string; secretKey: string }> | undefined;
  projects: readonly string[];
}>;

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Throws 401 unless the request carries the configured key pair as HTTP Basic credentials. */
export function checkAuth(config: ScopeConfig, headers: IncomingHttpHeaders, upgrade: boolean): void {
  if (!config.credentials) return;
  const match = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? '');
  if (match?.[1] !== undefined) {
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const split = decoded.indexOf(':');
    if (split >= 0 && sameText(decoded.slice(0, split), config.credentials.accessKey)
      && sameText(decoded.slice(split + 1), config.credentials.secretKey)) return;
  }
  // no challenge for a websocket upgrade or when the client opts out (BasicAuthImpl `challenge`)
  const challenge = !upgrade && String(headers['x-api-no-challenge']).toLowerCase() !== 'true';
  throw ApiFailure.status(401, challenge ? { 'WWW-Authenticate': authRealm } : undefined);
}

/**
 * Resolves the project of a request: `/v1/projects/<pid>/...` first, then the `X-API-Project-Id` header,
 * then the `projectId` query parameter, else the default (first) project. A malformed id is
 * 400 InvalidFormat, an unknown project 403 Forbidden. `/v1/projects/<pid>` itself (nothing after the
 * id) is the project resource, not a scope: it is routed as `/v1/projects/<pid>` (project-routes.ts).
 */
export function resolveScope(config: ScopeConfig, origin: string, url: URL, headers: IncomingHttpHeaders): RequestScope {
  const pathMatch = /^\/v1\/projects\/([^/]+)(\/.*)$/.exec(url.pathname);
  const header = headers['x-api-project-id'];
  const requested = pathMatch?.[1] ?? (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('projectId') ?? undefined;
  const projectId = requested ?? config.projects[0] ?? '1a5';
  if (!/^1a\d+$/.test(projectId)) {
    throw new ApiFailure(400, 'InvalidFormat', { message: 'projectId header format is incorrect' });
  }
  if (!config.projects.includes(projectId)) throw ApiFailure.status(403);
  if (pathMatch) {
    return { projectId, apiBase: `${origin}/v1/projects/${projectId}`, path: `/v1${pathMatch[2] ?? ''}` };
  }
  return { projectId, apiBase: `${origin}/v1`, path: url.pathname };
}
