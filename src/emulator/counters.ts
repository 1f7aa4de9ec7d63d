/**
 * Request counters (emulator extension): every arriving API request is counted under
 * `${METHOD} ${route}` and under `total`.
 */

/** Strips `/v1/projects/<pid>` to `/v1` and a trailing slash. */
export function normalisePath(pathname: string): string {
  const path = pathname.replace(/^\/v1\/projects\/[^/]+(?=\/|$)/, '/v1');
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/**
 * The counter route of a request: the normalised path with the resource id segment as `:id`, plus
 * `?action=<name>` for actions. `GET /v1/containers/1i5` -> `/v1/containers/:id`.
 */
export function routeOf(pathname: string, action: string | undefined): string {
  const segments = normalisePath(pathname).split('/');
  // ['', 'v1', '<type>', '<id>', '<link>...']
  if (segments.length >= 4 && segments[1] === 'v1' && segments[3] !== '') segments[3] = ':id';
  const route = segments.join('/') || '/';
  return action === undefined ? route : `${route}?action=${action}`;
}

/** Counts requests by `${METHOD} ${route}` and in `total`. */
export class RequestCounters {
  #counts = new Map<string, number>();

  /** Counts one request. */
  count(method: string, pathname: string, action: string | undefined): void {
    const key = `${method} ${routeOf(pathname, action)}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    this.#counts.set('total', (this.#counts.get('total') ?? 0) + 1);
  }

  /** A frozen snapshot of the counters. */
  snapshot(): Readonly<Record<string, number>> {
    return Object.freeze(Object.fromEntries(this.#counts));
  }

  /** Sets every counter back to zero (removes them). */
  reset(): void {
    this.#counts = new Map();
  }
}
