/** Route names for metrics and logs: bounded cardinality, no ids, no project, no credentials. */

const idSegment = /^1[a-z]+\d+$/i;

/**
 * Normalises a request URL to a route label: the project prefix is dropped (`/v1/projects/1a5/x` →
 * `/v1/x`), id segments become `:id`, a trailing slash is removed, and only the `action` query
 * parameter is kept: `/v1/containers/:id?action=stop`.
 */
export function normalizeRoute(url: URL): string {
  const path = url.pathname
    .replace(/^\/v1\/projects\/[^/]+/i, '/v1')
    .split('/')
    .map((segment) => (idSegment.test(segment) ? ':id' : segment))
    .join('/')
    .replace(/(.)\/+$/, '$1');
  const action = url.searchParams.get('action');
  return action ? `${path}?action=${action}` : path;
}
