/**
 * The event history over HTTP (issue 14), routed by status-server.ts:
 *
 * | route | answer |
 * |---|---|
 * | `GET /events?environment=&key=&severity=&since=&kind=&limit=` | 200 `{ "events": [...] }`, oldest first; 400 `{ "error" }` naming a bad parameter |
 * | `GET /events/stream` (same filters, and `lastEventId`) | `text/event-stream`: `id:`, `event: <kind>`, `data: <json>` per event |
 *
 * The stream first replays the kept events newer than `Last-Event-ID` (the header a browser's
 * EventSource sends on reconnect; else `?lastEventId=`), then sends each new event as it is recorded, and
 * a comment every `heartbeatMs` (15 s) so proxies keep the connection. It never slows the controller:
 * events are written into the connection's buffer, and a client that lets more than `maxBufferedBytes`
 * (1 MiB) pile up is dropped (`event stream client dropped`); it can reconnect with its last id.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import { eventKinds, matchesFilter, severities, type EventFilter, type EventKind, type EventSource, type ReconcilerEvent, type Severity } from '../observability/event-model.js';

/** How the stream behaves; the defaults suit production, tests shorten the heartbeat. */
export type EventStreamOptions = Readonly<{
  /** A comment line this often keeps idle connections open through proxies. Default 15 000. */
  heartbeatMs?: number;
  /** Unsent bytes a connection may hold before it is dropped. Default 1 MiB. */
  maxBufferedBytes?: number;
  clock?: Clock;
}>;

export type EventRouteDeps = Readonly<{ source: EventSource; log: Logger; stream?: EventStreamOptions }>;

/** A parsed query: the filter, or the message of a 400 naming the parameter. */
export type EventQuery = Readonly<{ ok: true; filter: EventFilter }> | Readonly<{ ok: false; message: string }>;

const listParams: ReadonlySet<string> = new Set(['environment', 'key', 'severity', 'since', 'kind', 'limit']);
const streamParams: ReadonlySet<string> = new Set([...listParams, 'lastEventId']);

/** Parses the filters of `/events` (`stream`: of `/events/stream`, which also takes `lastEventId`). Pure. */
export function parseEventQuery(params: URLSearchParams, stream: boolean): EventQuery {
  const allowed = stream ? streamParams : listParams;
  let filter: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {};
  for (const name of new Set(params.keys())) {
    if (!allowed.has(name)) return { ok: false, message: `unknown parameter '${name}' (expected ${[...allowed].join(', ')})` };
    const values = params.getAll(name);
    if (name !== 'kind' && values.length > 1) return { ok: false, message: `${name}: given ${values.length} times` };
    const value = values[0] ?? '';
    const parsed = parseParam(name, value, values);
    if (typeof parsed === 'string') return { ok: false, message: `${name}: ${parsed}` };
    filter = { ...filter, ...parsed };
  }
  return { ok: true, filter };
}

/** One parameter into its part of the filter, or why it is wrong. */
function parseParam(name: string, value: string, values: readonly string[]): EventFilter | string {
  switch (name) {
    case 'key':
      return value === '' ? 'must not be empty' : { key: value };
    case 'environment':
      return value === '' ? 'must not be empty' : { environment: value };
    case 'severity':
      return (severities as readonly string[]).includes(value) ? { severity: value as Severity } : `'${value}' is not a severity (expected ${severities.join(', ')})`;
    case 'since': {
      const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
      return Number.isNaN(ms) ? `'${value}' is not an ISO-8601 time (e.g. 2026-12-01T10:00:00Z)` : { since: new Date(ms).toISOString() };
    }
    case 'kind': {
      const kinds = values.flatMap((v) => v.split(',')).map((k) => k.trim()).filter((k) => k !== '');
      const unknown = kinds.find((k) => !(eventKinds as readonly string[]).includes(k));
      if (unknown !== undefined) return `unknown event kind '${unknown}' (expected ${eventKinds.join(', ')})`;
      return kinds.length === 0 ? 'must name at least one event kind' : { kinds: kinds as EventKind[] };
    }
    case 'limit':
      return /^[1-9]\d{0,8}$/.test(value) ? { limit: Number(value) } : `'${value}' is not a positive integer`;
    case 'lastEventId':
      return parseEventId(value) ?? `'${value}' is not an event id (a non-negative integer)`;
    default:
      return `unknown parameter`;
  }
}

function parseEventId(value: string): { afterId: number } | undefined {
  return /^\d{1,15}$/.test(value.trim()) ? { afterId: Number(value.trim()) } : undefined;
}

/** `GET /events`: the status and JSON body of the answer. */
export function listEvents(url: URL, source: EventSource): Readonly<{ status: number; body: unknown }> {
  const query = parseEventQuery(url.searchParams, false);
  if (!query.ok) return { status: 400, body: { error: query.message } };
  return { status: 200, body: { events: source.list(query.filter) } };
}

/** One event in the text/event-stream format. JSON has no raw newline, so `data:` is one line. */
export function formatServerSentEvent(event: ReconcilerEvent): string {
  return `id: ${event.id}\nevent: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * `GET /events/stream`: answers a bad query with 400 (returned, for the server to send); otherwise takes
 * the response over (headers, replay, live events, heartbeats) until the client goes away or is
 * dropped, and returns undefined.
 */
export function streamEvents(req: IncomingMessage, res: ServerResponse, url: URL, deps: EventRouteDeps): Readonly<{ status: number; body: unknown }> | undefined {
  const query = parseEventQuery(url.searchParams, true);
  if (!query.ok) return { status: 400, body: { error: query.message } };
  const header = req.headers['last-event-id'];
  let filter = query.filter;
  if (typeof header === 'string' && header.trim() !== '') {
    const resumed = parseEventId(header);
    if (resumed === undefined) return { status: 400, body: { error: `Last-Event-ID: '${header}' is not an event id (a non-negative integer)` } };
    filter = { ...filter, ...resumed };
  }
  new EventStreamConnection(res, filter, deps).open();
  return undefined;
}

/** One client of `/events/stream`. */
class EventStreamConnection {
  readonly #res: ServerResponse;
  readonly #filter: EventFilter;
  readonly #deps: EventRouteDeps;
  readonly #clock: Clock;
  #heartbeat: TimerHandle | undefined;
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  constructor(res: ServerResponse, filter: EventFilter, deps: EventRouteDeps) {
    this.#res = res;
    this.#filter = filter;
    this.#deps = deps;
    this.#clock = deps.stream?.clock ?? systemClock;
  }

  open(): void {
    const res = this.#res;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
      // nginx and similar proxies would otherwise hold events back in their buffer
      'X-Accel-Buffering': 'no',
    });
    res.on('close', () => this.#close());
    if (res.req.method === 'HEAD') {
      res.end();
      return;
    }
    res.write(': connected\n\n');
    // replay and subscribe in one synchronous step: no event can fall between them
    const { limit, afterId, ...live } = this.#filter;
    if (afterId !== undefined) this.#replay(afterId, limit);
    this.#unsubscribe = this.#deps.source.subscribe((event) => {
      if (matchesFilter(event, live)) this.#send(formatServerSentEvent(event));
    });
    this.#armHeartbeat();
  }

  #replay(afterId: number, limit: number | undefined): void {
    const { source } = this.#deps;
    const kept = source.list();
    const oldest = kept[0];
    const newest = kept[kept.length - 1];
    // ids start at 1 again after a restart: a client ahead of us missed everything we kept
    const restarted = newest !== undefined && newest.id < afterId;
    const from = restarted ? 0 : afterId;
    if (restarted) this.#send(': event ids restarted (the daemon restarted): replaying every kept event\n\n');
    else if (oldest !== undefined && oldest.id > from + 1) this.#send(`: events ${from + 1} to ${oldest.id - 1} are no longer kept\n\n`);
    const { limit: _limit, afterId: _afterId, ...rest } = this.#filter;
    for (const event of source.list({ ...rest, afterId: from, ...(limit === undefined ? {} : { limit }) })) this.#send(formatServerSentEvent(event));
  }

  #send(chunk: string): void {
    if (this.#closed) return;
    this.#res.write(chunk);
    const limit = this.#deps.stream?.maxBufferedBytes ?? 1024 * 1024;
    if (this.#res.writableLength > limit) {
      this.#deps.log.warn({ remoteAddress: this.#res.socket?.remoteAddress, bufferedBytes: this.#res.writableLength }, 'event stream client dropped');
      this.#res.destroy();
      this.#close();
    }
  }

  #armHeartbeat(): void {
    const every = this.#deps.stream?.heartbeatMs ?? 15_000;
    this.#heartbeat = this.#clock.setTimeout(() => {
      this.#send(': heartbeat\n\n');
      if (!this.#closed) this.#armHeartbeat();
    }, every);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    if (this.#heartbeat !== undefined) this.#clock.clearTimeout(this.#heartbeat);
  }
}
