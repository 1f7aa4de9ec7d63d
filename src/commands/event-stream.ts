/**
 * The client of a daemon's `GET /events/stream` (server-sent events) for `events --follow` and
 * `status --watch`: the SSE text decoded into messages (a pure decoder), and a follower that
 * reconnects with backoff on a disconnect, resuming with `Last-Event-ID` from the last id received.
 *
 * Resuming from the last id *received*, not the last one printed, is what makes a reconnect give no
 * duplicates and no gaps: the daemon sends the events after that id from its ring, then live ones.
 * Only the first answer's status matters: 404 (no stream: an older daemon) and 401 end the follow
 * with an error, as every later connect would get the same.
 */
import got from 'got';
import { backoffDelay, type BackoffOptions } from '../backoff.js';
import { ReconcilerError } from '../errors.js';
import type { ReconcilerEvent } from '../observability/event-model.js';
import { displayUrl, unreachable } from './daemon-client.js';

/** One dispatched SSE message: the `id:`, `event:` and joined `data:` lines before a blank line. */
export type SseMessage = Readonly<{ id?: string; event: string; data: string }>;

/**
 * Decodes SSE text as it arrives (chunks may split lines anywhere), per the WHATWG rules this needs:
 * `field: value` lines (one space after the colon dropped), `:` comment lines ignored (heartbeats),
 * CRLF, LF or CR line ends, a blank line dispatching the message; a message with no data is dropped.
 */
export class SseDecoder {
  #buffer = '';
  #id: string | undefined;
  #event = '';
  #data: string[] = [];

  /** Feeds `chunk` and returns the messages it completed, in order. */
  push(chunk: string): SseMessage[] {
    this.#buffer += chunk;
    const out: SseMessage[] = [];
    // a trailing CR may be the first half of a CRLF: keep it until the next chunk says
    for (let match = /\r\n|\n|\r(?!$)/.exec(this.#buffer); match !== null; match = /\r\n|\n|\r(?!$)/.exec(this.#buffer)) {
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const message = this.#line(line);
      if (message !== undefined) out.push(message);
    }
    return out;
  }

  #line(line: string): SseMessage | undefined {
    if (line === '') {
      const message = this.#data.length === 0 ? undefined : { ...(this.#id === undefined ? {} : { id: this.#id }), event: this.#event || 'message', data: this.#data.join('\n') };
      this.#event = '';
      this.#data = [];
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    return undefined;
  }
}

/** What {@link followEvents} needs. */
export type FollowOptions = Readonly<{
  daemonUrl: string;
  /** The query string, with its `?` (filters the daemon may apply), or ''. */
  query?: string;
  token?: string;
  /** Resume after this event id (sent as `Last-Event-ID`); undefined: only events from now on. */
  afterId?: number;
  /** Ends the follow (the generator returns). */
  signal: AbortSignal;
  /** Called on each (re)connect; `status --watch` refetches `/status` then, to catch what it missed. */
  onConnected?: () => void;
  /** Reconnect delays; default 250 ms doubling to 10 s. */
  backoff?: BackoffOptions;
}>;

const defaultFollowBackoff: BackoffOptions = { baseMs: 250, maxMs: 10_000, factor: 2, jitter: 0.2 };

/** A daemon without `/events` or `/events/stream` (404): a version from before the event history. Not retryable. */
export class NoEventsError extends ReconcilerError {
  override name = 'NoEventsError';

  constructor(daemonUrl: string, path: string) {
    super('ERR_DAEMON', `the daemon at ${displayUrl(daemonUrl)} has no ${path}: upgrade it`);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Opens the stream once and yields its events until it ends; throws for a first answer other than 200. */
async function* connectOnce(options: FollowOptions, afterId: number | undefined): AsyncGenerator<ReconcilerEvent> {
  const url = `${options.daemonUrl.replace(/\/+$/, '')}/events/stream${options.query ?? ''}`;
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (afterId !== undefined) headers['last-event-id'] = String(afterId);
  const stream = got.stream(url, { headers, throwHttpErrors: false, retry: { limit: 0 }, timeout: { connect: 10_000, response: 10_000 }, signal: options.signal });
  const status = await new Promise<number>((resolve, reject) => {
    stream.once('response', (response: { statusCode: number }) => resolve(response.statusCode));
    stream.once('error', reject);
  }).catch((e: unknown) => {
    const error = unreachable(options.daemonUrl, e);
    throw new ReconcilerError(error.code, error.message, { retryable: true, cause: e });
  });
  if (status === 404) throw new NoEventsError(options.daemonUrl, '/events/stream');
  if (status === 401) throw new ReconcilerError('ERR_DAEMON', `the daemon at ${displayUrl(options.daemonUrl)} needs a token for /events/stream (401): --ui-token-file PATH (the file the daemon reads)`);
  if (status !== 200) throw new ReconcilerError('ERR_DAEMON', `the daemon at ${displayUrl(options.daemonUrl)} answered ${status} for /events/stream`, { retryable: true });
  options.onConnected?.();
  const decoder = new SseDecoder();
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) {
    for (const message of decoder.push(chunk)) {
      const event = JSON.parse(message.data) as ReconcilerEvent;
      if (typeof event.id === 'number') yield event;
    }
  }
}

/**
 * Yields the daemon's events from `afterId` on, forever: a dropped connection (the daemon restarting,
 * a proxy timing out) is reopened after a backoff delay with `Last-Event-ID` = the last id received,
 * so no event is yielded twice or skipped while the daemon's ring still holds it. Returns when
 * `signal` aborts. Throws {@link NoEventsError} on 404 and ERR_DAEMON on 401 or when the very first
 * connect gets no answer (the daemon is not there: say so instead of retrying in silence).
 */
export async function* followEvents(options: FollowOptions): AsyncGenerator<ReconcilerEvent> {
  let lastId = options.afterId;
  let failures = 0;
  let connected = false;
  while (!options.signal.aborted) {
    try {
      for await (const event of connectOnce({ ...options, onConnected: () => ((connected = true), (failures = 0), options.onConnected?.()) }, lastId)) {
        if (lastId !== undefined && event.id <= lastId) continue;
        lastId = event.id;
        yield event;
      }
    } catch (e: unknown) {
      if (options.signal.aborted) return;
      // a first connect that fails says so at once; after that a drop (got's error mid-stream, a
      // daemon restarting) is retried, and only what every retry would get again (404, 401) ends it
      if (!connected || (e instanceof ReconcilerError && !e.retryable)) throw e;
    }
    await pause(backoffDelay(failures++, options.backoff ?? defaultFollowBackoff), options.signal);
  }
}
