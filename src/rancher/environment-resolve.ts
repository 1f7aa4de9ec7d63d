/**
 * `--environment`: turns an environment (project) id or name into the project-scoped base URL, once at
 * startup, from `GET /v1/projects` (what the Rancher CLI does for `--environment`,
 * docs/rancher-v1.md#environment-urls-and-keys). The choice itself is the pure {@link chooseEnvironment};
 * {@link resolveEnvironment} lists and retries as the command's other startup calls do.
 */
import { sleep, systemClock, type Clock } from '../clock.js';
import { ConfigError, ReconcilerError, coerceError, redactUrl } from '../errors.js';
import type { Logger } from '../logger.js';
import { apiConditionOf } from './api-condition.js';
import { toApiError } from './api-errors.js';
import type { HttpClient } from './http.js';
import { maxPageSize } from './api-config.js';
import { defaultRetryDelayOptions, retryDelayMs, type RetryDelayOptions } from './retry-delay.js';
import { RetryLogLevel } from './retry-log-level.js';

/** An environment as `GET /v1/projects` lists it: what the choice and its messages need. */
export type ProjectSummary = Readonly<{ id: string; name: string | null }>;

/** The outcome of {@link chooseEnvironment}: the project id, or the sentence that says why there is none. */
export type EnvironmentChoice = Readonly<{ kind: 'found'; projectId: string }> | Readonly<{ kind: 'none'; message: string }>;

/** Ids are formatted `1a<n>` (docs/rancher-v1.md#ids-and-dates); the CLI takes anything so shaped as an id. */
const projectIdShape = /^1a\d+$/;

/** At most this many environments are named in a message; the rest are counted. */
const listedAtMost = 20;

/**
 * Picks the environment `wanted` names among `projects`: an id (`1a5`) matches the id only; anything
 * else matches names exactly (case-sensitive, as Rancher stores them). No match, or a name two
 * environments share, is `none` with a message listing the environments the key can see.
 */
export function chooseEnvironment(wanted: string, projects: readonly ProjectSummary[]): EnvironmentChoice {
  if (projectIdShape.test(wanted)) {
    const byId = projects.find((project) => project.id === wanted);
    return byId ? { kind: 'found', projectId: byId.id } : { kind: 'none', message: `environment \`${wanted}\` not found: ${visible(projects)}` };
  }
  const named = projects.filter((project) => project.name === wanted);
  const [only] = named;
  if (named.length === 1 && only) return { kind: 'found', projectId: only.id };
  if (named.length > 1) {
    const ids = named.map((project) => project.id).join(', ');
    return { kind: 'none', message: `environment name \`${wanted}\` is ambiguous: ${ids} are all named so; give the id instead (e.g. --environment ${only?.id ?? ''})` };
  }
  return { kind: 'none', message: `environment \`${wanted}\` not found: ${visible(projects)}` };
}

function visible(projects: readonly ProjectSummary[]): string {
  if (projects.length === 0) return 'the key sees no environment';
  const shown = projects.slice(0, listedAtMost).map((project) => `\`${project.name ?? '(no name)'}\` (${project.id})`).join(', ');
  const more = projects.length > listedAtMost ? `, and ${projects.length - listedAtMost} more` : '';
  return `the key sees ${shown}${more}`;
}

/**
 * How failed lookups are retried, by command (the same rules as the first list of live state):
 * `once`: one listing, with the HTTP client's own GET retries (`plan`); `until`: retried with backoff
 * until `timeoutMs` has passed, but a failure no retry can fix (401/403, not the API, unknown host)
 * ends it at once (`apply`); `forever`: everything is retried until `signal` aborts (`run`: keys may be
 * rotated, Rancher may come back).
 */
export type ResolvePolicy =
  | Readonly<{ kind: 'once' }>
  | Readonly<{ kind: 'until'; timeoutMs: number }>
  | Readonly<{ kind: 'forever' }>;

/** Dependencies of {@link resolveEnvironment}. */
export type ResolveEnvironmentDeps = Readonly<{
  /** A client on the unscoped base URL (`.../v1`). */
  http: HttpClient;
  /** The id or name to look up. */
  environment: string;
  policy: ResolvePolicy;
  log?: Logger;
  clock?: Clock;
  signal?: AbortSignal;
  /** Delays between lookups; default the request defaults (as the live cache's first list). */
  retryDelay?: RetryDelayOptions;
  random?: () => number;
}>;

/**
 * Resolves `environment` to the project-scoped base URL (`<base>/projects/<id>`). Logs
 * `environment resolved` (info) on success and `environment lookup retrying` (warn once per kind of
 * failure, then debug) before each retry.
 *
 * @throws ConfigError when no environment, or more than one, answers to the name (never retried: the
 *   configuration must change). ApiError when the lookup fails and the policy gives up (at once for
 *   `once`, and for fatal conditions under `until`). ReconcilerError `ERR_WAIT_TIMEOUT` when `until`
 *   runs out of time; its message names the last failure. The abort reason when `signal` aborts.
 */
export async function resolveEnvironment(deps: ResolveEnvironmentDeps): Promise<string> {
  const clock = deps.clock ?? systemClock;
  const started = clock.now();
  const retryLevel = new RetryLogLevel();
  for (let attempt = 1; ; attempt += 1) {
    let projects: ProjectSummary[];
    try {
      projects = await listProjects(deps.http, deps.signal);
    } catch (e: unknown) {
      const error = coerceError(e);
      if (deps.signal?.aborted) throw deps.signal.reason;
      const retryInMs = retryDelayMs(attempt, (error as { retryAfterMs?: number }).retryAfterMs, deps.retryDelay ?? defaultRetryDelayOptions, deps.random);
      giveUpOn(error, deps, clock.now() - started + retryInMs);
      deps.log?.[retryLevel.failed(error)]({ environment: deps.environment, attempt, retryInMs, err: { code: (error as { code?: unknown }).code, message: error.message } }, 'environment lookup retrying');
      await sleep(clock, retryInMs, deps.signal);
      continue;
    }
    const choice = chooseEnvironment(deps.environment, projects);
    if (choice.kind === 'none') throw new ConfigError([choice.message]);
    const url = `${deps.http.baseUrl}/projects/${choice.projectId}`;
    deps.log?.info({ environment: deps.environment, projectId: choice.projectId, url: redactUrl(url) }, 'environment resolved');
    return url;
  }
}

/** Throws when the policy says the failed lookup is not tried again (`elapsedMs` counts the next wait). */
function giveUpOn(error: Error, deps: ResolveEnvironmentDeps, elapsedMs: number): void {
  const { policy } = deps;
  if (policy.kind === 'forever') return;
  if (policy.kind === 'once' || apiConditionOf(error)?.fatal === true) throw error;
  if (elapsedMs > policy.timeoutMs) {
    const cause = apiConditionOf(error)?.message ?? error.message;
    throw new ReconcilerError('ERR_WAIT_TIMEOUT', `environment \`${deps.environment}\` not looked up within ${Math.round(policy.timeoutMs / 1000)}s (--timeout): ${cause}`, { cause: error });
  }
}

/** Every environment `GET /v1/projects` lists, following `pagination.next`; a non-collection is an invalid answer. */
async function listProjects(http: HttpClient, signal: AbortSignal | undefined): Promise<ProjectSummary[]> {
  const projects: ProjectSummary[] = [];
  let path: string | undefined = 'projects';
  let searchParams: Readonly<Record<string, string | number>> | undefined = { limit: maxPageSize };
  while (path !== undefined) {
    const response = await http.request({ method: 'GET', path, ...(searchParams ? { searchParams } : {}), ...(signal ? { signal } : {}) });
    const page = projectPage(response.body);
    // not a collection: the API condition table calls it `not-rancher` (fatal), as for the first list
    if (page === undefined) throw toApiError({ kind: 'invalid-response', detail: 'not a Rancher collection' }, { method: 'GET', url: `${http.baseUrl}/projects` });
    projects.push(...page.items);
    path = page.next;
    searchParams = undefined;
  }
  return projects;
}

function projectPage(body: unknown): { items: ProjectSummary[]; next: string | undefined } | undefined {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { data?: unknown }).data)) return undefined;
  const { data, pagination } = body as { data: unknown[]; pagination?: { next?: unknown } };
  const items = data.flatMap((item): ProjectSummary[] => {
    if (typeof item !== 'object' || item === null) return [];
    const { id, name } = item as { id?: unknown; name?: unknown };
    return typeof id === 'string' ? [{ id, name: typeof name === 'string' ? name : null }] : [];
  });
  const next = typeof pagination?.next === 'string' && pagination.next !== '' ? pagination.next : undefined;
  return { items, next };
}
