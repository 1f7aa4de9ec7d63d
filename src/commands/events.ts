/**
 * `rancher-reconciler events [--daemon URL] [--env NAME] [--key K] [--severity S] [--kind K,...]
 * [--since D|ISO] [--limit N] [-o text|json] [--follow]`: a running daemon's event history (`GET
 * /events`), one line per event, oldest first; `-o json` prints each event as one JSON line.
 *
 * Instance keys are unique only within an environment (issue 15), so once events of more than one
 * environment are printed, each line names its environment (a column before the instance). `--env`
 * (repeatable or a comma list, else RECONCILER_ENV) filters on the daemon (`environment=`): one
 * `/events` read per name, merged by id, so `--limit N` is still the newest N of them all. The names
 * are checked against the daemon's first (`/status/<name>`): a typo is the usage error, not silence.
 *
 * `--follow` then stays on `/events/stream` (event-stream.ts: reconnects with backoff and resumes with
 * `Last-Event-ID`). The stream starts after the newest event the daemon had before the history was
 * read, so an event recorded between the two reads is printed once, by one of them. The filters are
 * sent to the stream too and applied here again (a daemon may send the stream unfiltered).
 *
 * Exit 1 with one `error:` line when the daemon cannot be reached, has no `/events` (404: `... has no
 * /events: upgrade it`), or for a bad flag value; 0 otherwise (after SIGINT/SIGTERM with `--follow`).
 */
import { Command, Option } from 'commander';
import { ConfigError, ReconcilerError } from '../errors.js';
import { eventKinds, matchesFilter, severities, type EventFilter, type EventKind, type ReconcilerEvent, type Severity } from '../observability/event-model.js';
import { exitCodes, type CliContext } from './context.js';
import { displayUrl, getDaemon } from './daemon-client.js';
import { followEvents, NoEventsError } from './event-stream.js';
import { environmentOption } from './status.js';
import { environmentNames, readStatus } from './status-read.js';
import { daemonUrlFrom } from './suspend.js';
import { uiTokenFrom, uiTokenHelp } from './ui-token.js';

type Options = Readonly<{ daemon?: string; uiTokenFile?: string; env: string[]; key?: string; severity?: Severity; kind?: string; since?: string; limit?: string; output: 'text' | 'json'; follow?: boolean }>;

const unitMs: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since` as an ISO time: a duration back from `nowMs` (`30s`, `10m`, `2h`, `1d`, `1h30m`) or an
 * ISO date/time (`2026-12-01`, `2026-12-01T10:00:00Z`). Throws ConfigError for anything else.
 */
export function parseSince(text: string, nowMs: number): string {
  const trimmed = text.trim();
  if (/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) {
    const ms = [...trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * (unitMs[unit!] ?? 0), 0);
    return new Date(nowMs - ms).toISOString();
  }
  const at = /^\d{4}-\d\d-\d\d/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(at)) throw new ConfigError([`--since: expected a duration (30s, 10m, 2h, 1d) or an ISO time, got \`${text}\``]);
  return new Date(at).toISOString();
}

const kindWidth = Math.max(...eventKinds.map((k) => k.length));

/**
 * One event as `events` prints it: time, severity, kind, key (`-` for none) and message, or one JSON
 * line. With `environmentWidth` (events of several environments are printed) the environment comes
 * before the key, padded to that width (`-` for an event that names none: an older daemon's).
 */
export function eventLine(event: ReconcilerEvent, output: Options['output'], environmentWidth?: number): string {
  if (output === 'json') return `${JSON.stringify(event)}\n`;
  const environment = environmentWidth === undefined ? '' : `${(event.environment ?? '-').padEnd(environmentWidth)}  `;
  return `${event.time}  ${event.severity.padEnd(7)}  ${event.kind.padEnd(kindWidth)}  ${environment}${event.key ?? '-'}  ${event.message}\n`;
}

/**
 * Decides the environment column as events are printed: off while every event printed so far is of
 * one environment; on, for good, from the first of a second one (or from the start when `--env`
 * names several). Its width grows with the longest name seen, so the history's lines line up.
 */
class EnvironmentColumn {
  readonly #seen = new Set<string>();
  #on: boolean;
  #width = 1;

  constructor(names: readonly string[]) {
    this.#on = names.length > 1;
    for (const name of names) this.#width = Math.max(this.#width, name.length);
  }

  /** Notes the events about to be printed; returns the width to print them with, or undefined for no column. */
  see(events: readonly ReconcilerEvent[]): number | undefined {
    for (const event of events) {
      const name = event.environment ?? '-';
      this.#seen.add(name);
      this.#width = Math.max(this.#width, name.length);
    }
    if (this.#seen.size > 1) this.#on = true;
    return this.#on ? this.#width : undefined;
  }
}

/** The filter the flags give (validated: every problem in one ConfigError). */
function filterFrom(options: Options, nowMs: number): EventFilter {
  const issues: string[] = [];
  if (options.severity !== undefined && !severities.includes(options.severity)) issues.push(`--severity: expected one of ${severities.join(', ')}, got \`${options.severity}\``);
  const kinds = options.kind?.split(',').map((k) => k.trim()).filter((k) => k !== '');
  for (const kind of kinds ?? []) if (!(eventKinds as readonly string[]).includes(kind)) issues.push(`--kind: expected kinds among ${eventKinds.join(', ')}, got \`${kind}\``);
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) issues.push(`--limit: expected a whole number above 0, got \`${options.limit}\``);
  let since: string | undefined;
  try {
    since = options.since === undefined ? undefined : parseSince(options.since, nowMs);
  } catch (e: unknown) {
    issues.push(...(e as ConfigError).issues);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.severity === undefined ? {} : { severity: options.severity }),
    ...(kinds === undefined || kinds.length === 0 ? {} : { kinds: kinds as EventKind[] }),
    ...(since === undefined ? {} : { since }),
    ...(limit === undefined ? {} : { limit }),
  };
}

/** `?key=...&severity=...` for `filter` (`kind` comma-separated), or ''. */
function queryOf(filter: EventFilter): string {
  const params = new URLSearchParams();
  if (filter.environment !== undefined) params.set('environment', filter.environment);
  if (filter.key !== undefined) params.set('key', filter.key);
  if (filter.severity !== undefined) params.set('severity', filter.severity);
  if (filter.kinds !== undefined) params.set('kind', filter.kinds.join(','));
  if (filter.since !== undefined) params.set('since', filter.since);
  if (filter.limit !== undefined) params.set('limit', String(filter.limit));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** `GET /events` with `filter`: the events, oldest first. Accepts a bare array or `{ events: [...] }`. */
async function readEvents(daemonUrl: string, filter: EventFilter, signal: AbortSignal, token: string | undefined): Promise<ReconcilerEvent[]> {
  const answer = await getDaemon({ daemonUrl, path: `/events${queryOf(filter)}`, signal, ...(token === undefined ? {} : { token }) });
  const url = displayUrl(daemonUrl);
  if (answer.status === 404) throw new NoEventsError(daemonUrl, '/events');
  if (answer.status === 401) throw new ReconcilerError('ERR_DAEMON', `the daemon at ${url} needs a token for /events (401): --ui-token-file PATH (the file the daemon reads)`);
  if (answer.status !== 200) throw new ReconcilerError('ERR_DAEMON', `the daemon at ${url} answered ${answer.status} for /events${answer.status === 400 ? `: ${answer.text.trim().slice(0, 200)}` : ''}`);
  let doc: unknown;
  try {
    doc = JSON.parse(answer.text);
  } catch {
    // not JSON: reported below as not an event list
  }
  const list = Array.isArray(doc) ? doc : doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>)['events'] : undefined;
  if (!Array.isArray(list)) throw new ReconcilerError('ERR_DAEMON', `${url} is not a rancher-reconciler: its /events is not an event list`);
  return list as ReconcilerEvent[];
}

/**
 * The history of `names` (every environment when empty): one read per name, merged by id (ids are the
 * daemon's, one sequence for every environment), and `limit` applied to the merge.
 */
async function readHistory(daemonUrl: string, filter: EventFilter, names: readonly string[], signal: AbortSignal, token: string | undefined): Promise<ReconcilerEvent[]> {
  if (names.length < 2) return readEvents(daemonUrl, names.length === 0 ? filter : { ...filter, environment: names[0] }, signal, token);
  const lists = await Promise.all(names.map((environment) => readEvents(daemonUrl, { ...filter, environment }, signal, token)));
  const merged = lists.flat().sort((a, b) => a.id - b.id);
  return filter.limit === undefined ? merged : merged.slice(-filter.limit);
}

async function events(ctx: CliContext, options: Options): Promise<void> {
  const daemonUrl = daemonUrlFrom(options.daemon, ctx.env, ctx.cwd);
  const filter = filterFrom(options, Date.now());
  const token = uiTokenFrom(options.uiTokenFile, ctx);
  const names = environmentNames(options.env, ctx.env['RECONCILER_ENV']);
  if (names.length > 0) await readStatus({ daemonUrl, signal: ctx.shutdown, environments: names, ...(token === undefined ? {} : { token }) });
  const column = new EnvironmentColumn(names);
  const print = (list: readonly ReconcilerEvent[]): void => {
    const width = column.see(list);
    for (const event of list) ctx.stdout.write(eventLine(event, options.output, width));
  };
  // the newest id before the history is read: the stream resumes after it (or after the last printed)
  const newest = options.follow === true ? (await readEvents(daemonUrl, { limit: 1 }, ctx.shutdown, token)).at(-1)?.id ?? 0 : 0;
  const history = await readHistory(daemonUrl, filter, names, ctx.shutdown, token);
  print(history);
  if (options.follow === true) {
    const afterId = Math.max(newest, ...history.map((e) => e.id));
    const { limit: _limit, since: _since, ...live } = filter;
    // one name is filtered by the daemon; several are one unfiltered stream, filtered here
    const streamed = names.length === 1 ? { ...live, environment: names[0] } : live;
    const wanted = (event: ReconcilerEvent): boolean => matchesFilter(event, streamed) && (names.length < 2 || names.includes(event.environment ?? ''));
    for await (const event of followEvents({ daemonUrl, query: queryOf(streamed), afterId, signal: ctx.shutdown, ...(token === undefined ? {} : { token }) })) {
      if (wanted(event)) print([event]);
    }
  }
  ctx.setExitCode(exitCodes.ok);
}

/** The `events` command. */
export function eventsCommand(ctx: CliContext): Command {
  return new Command('events')
    .description("print a running daemon's event history (time, severity, kind, environment with several, instance, message); --follow for live ones")
    .option('--daemon <url>', "the daemon's status server (default: the RECONCILER_LISTEN address, else http://127.0.0.1:8081)")
    .option('--ui-token-file <path>', uiTokenHelp)
    .addOption(environmentOption('only events of these environments'))
    .option('--key <name>', 'only events of this instance')
    .addOption(new Option('--severity <level>', 'only events at least this severe').choices([...severities]))
    .option('--kind <kinds>', `only these kinds, comma-separated (${eventKinds.join(', ')})`)
    .option('--since <when>', 'only events since a duration ago (30s, 10m, 2h, 1d) or an ISO time')
    .option('--limit <n>', 'only the newest N matching events')
    .addOption(new Option('-o, --output <format>', 'text (one line per event) or json (one JSON object per line)').choices(['text', 'json']).default('text'))
    .option('-f, --follow', 'then print new events as they happen, until interrupted')
    .action((options: Options) => events(ctx, options));
}
