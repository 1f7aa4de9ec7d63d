/**
 * The read-only web dashboard of the status server: `GET /` (the page) and `GET /ui/<asset>` (its one
 * script and one stylesheet), read once from the package's `ui/` folder. The page itself talks only to
 * this server (`/status`, `/events`, `/events/stream`, `POST /reconcile`); the Content-Security-Policy
 * says so to the browser, so no asset can reach any other host.
 *
 * Nothing secret is served here: the page renders `/status`, whose messages and `changes` are masked
 * where the status is built (domain/sensitive.ts). The reconcile token is never sent to the page; the
 * page only learns whether one is configured (and asks the person for it).
 */
import { readFileSync } from 'node:fs';

/** One answer of a dashboard route (the status server's reply shape). */
export type DashboardReply = Readonly<{ status: number; type: string; body: string; headers?: Readonly<Record<string, string>> }>;

export type DashboardOptions = Readonly<{
  /** Whether `POST /reconcile` is enabled with a token: then the page shows "Reconcile now" and asks for it. */
  reconcileToken: boolean;
  /** Whether `GET /events` and `/events/stream` are served: the page then follows the stream, else it polls `/status`. */
  events: boolean;
  /** The folder holding index.html, dashboard.js and dashboard.css; defaults to the package's `ui/`. */
  assetsDir?: URL;
}>;

/** `src/http/dashboard/` and `dist/http/dashboard/` are both three levels below the package root. */
export const packageUi = new URL('../../../ui/', import.meta.url);

const assets: ReadonlyArray<readonly [file: string, type: string]> = [
  ['dashboard.js', 'text/javascript; charset=utf-8'],
  ['dashboard.css', 'text/css; charset=utf-8'],
];

/** Same origin only; no inline script or style, no frames (the page is read-only but has a button). */
export const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** The placeholders index.html carries; replaced by the actual settings when the page is served. */
const markers = { reconcile: 'data-reconcile="off"', events: 'data-events="off"' } as const;

/**
 * The dashboard's routes as `[path, reply]` pairs (every one a GET). The files are read here, once, so
 * a missing asset fails at startup rather than on the first visit.
 *
 * @throws Error (ENOENT) when the assets folder is incomplete (a broken install).
 */
export function dashboardRoutes(options: DashboardOptions): ReadonlyArray<readonly [string, () => DashboardReply]> {
  const dir = options.assetsDir ?? packageUi;
  const html = readFileSync(new URL('index.html', dir), 'utf8')
    .replace(markers.reconcile, `data-reconcile="${options.reconcileToken ? 'on' : 'off'}"`)
    .replace(markers.events, `data-events="${options.events ? 'on' : 'off'}"`);
  const page: DashboardReply = {
    status: 200,
    type: 'text/html; charset=utf-8',
    body: html,
    headers: { 'Content-Security-Policy': contentSecurityPolicy, 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' },
  };
  const routes: [string, () => DashboardReply][] = [['/', () => page]];
  for (const [file, type] of assets) {
    const reply: DashboardReply = { status: 200, type, body: readFileSync(new URL(file, dir), 'utf8') };
    routes.push([`/ui/${file}`, () => reply]);
  }
  return routes;
}
