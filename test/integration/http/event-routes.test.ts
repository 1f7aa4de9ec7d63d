/**
 * GET /events and /events/stream over real HTTP, on a status server with a journal the test records
 * into: filters and 400s, live delivery, Last-Event-ID resume (exactly the missed events, no
 * duplicates), heartbeats, and a slow client dropped without holding up recording.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request, type IncomingMessage } from 'node:http';
import { aDaemonStatus } from '../../helpers/builders.js';
import { startStatusServer, type StatusServer } from '../../../src/http/status-server.js';
import { EventJournal } from '../../../src/observability/event-journal.js';
import type { EventInput, ReconcilerEvent } from '../../../src/observability/event-model.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { systemClock } from '../../../src/clock.js';
import { captureLogger } from '../../helpers/log-sink.js';

const source = { status: () => aDaemonStatus(), health: () => ({ ok: true }), readiness: () => ({ ready: true, reasons: [] }), requestReconcile: () => undefined };

function anEvent(overrides: Partial<EventInput> = {}): EventInput {
  return { kind: 'action-succeeded', severity: 'info', key: 'web-1', instanceId: '1i1', revision: 'r1', reason: 'Started', message: 'start 1i1', ...overrides };
}

type SseBlock = Readonly<{ id?: string; event?: string; data?: string; comment?: string }>;

/** A text/event-stream client over node:http that lets a test await blocks (checked on each chunk, never polled). */
class SseClient {
  readonly blocks: SseBlock[] = [];
  response!: IncomingMessage;
  #buffer = '';
  #waiters = new Set<() => void>();
  #closed = false;

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
        client.response = res;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.#take(chunk));
        res.on('close', () => {
          client.#closed = true;
          for (const waiter of [...client.#waiters]) waiter();
        });
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  get events(): SseBlock[] {
    return this.blocks.filter((b) => b.event !== undefined);
  }

  get closed(): boolean {
    return this.#closed;
  }

  #take(chunk: string): void {
    this.#buffer += chunk;
    let end: number;
    while ((end = this.#buffer.indexOf('\n\n')) !== -1) {
      const raw = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const block: Record<string, string> = {};
      for (const line of raw.split('\n')) {
        if (line.startsWith(':')) block.comment = line.slice(1).trim();
        else {
          const at = line.indexOf(': ');
          block[line.slice(0, at)] = line.slice(at + 2);
        }
      }
      this.blocks.push(block);
    }
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Resolves once `predicate` holds over what arrived (or the stream closed); rejects after `timeoutMs`. */
  until(predicate: (client: SseClient) => boolean, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this) && !this.#closed) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`stream condition not met within ${timeoutMs} ms; got ${JSON.stringify(this.blocks)}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  close(): void {
    this.response.destroy();
  }
}

const idsOf = (client: SseClient): number[] => client.events.map((b) => Number(b.id));

describe('the event routes', () => {
  const { log, sink } = captureLogger('debug');
  const journal = new EventJournal({ capacity: 50, clock: systemClock, log });
  let server: StatusServer;
  let slowServer: StatusServer;

  beforeAll(async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    server = await startStatusServer({ host: '127.0.0.1', port: 0, log, metrics, source, events: journal, eventStream: { heartbeatMs: 50 } });
    slowServer = await startStatusServer({ host: '127.0.0.1', port: 0, log, metrics, source, events: journal, eventStream: { heartbeatMs: 60_000, maxBufferedBytes: 64 * 1024 } });
  });
  afterAll(async () => {
    await server.close();
    await slowServer.close();
  });

  const getJson = async (path: string): Promise<{ status: number; body: { events?: ReconcilerEvent[]; error?: string } }> => {
    const res = await fetch(`${server.url}${path}`);
    return { status: res.status, body: (await res.json()) as never };
  };

  it('lists the events as JSON and filters them by key, severity, kind, since and limit', async () => {
    const first = journal.record(anEvent({ key: 'list-a' }));
    journal.record(anEvent({ key: 'list-b', kind: 'drift-detected', severity: 'warning' }));
    journal.record(anEvent({ key: 'list-a', kind: 'action-failed', severity: 'error' }));
    const all = await getJson('/events');
    expect(all.status).toBe(200);
    expect(all.body.events?.at(-3)).toEqual({ ...anEvent({ key: 'list-a' }), id: first.id, time: first.time });
    const ids = async (query: string) => (await getJson(`/events?${query}`)).body.events?.map((e) => [e.key, e.kind]);
    expect(await ids('key=list-a')).toEqual([['list-a', 'action-succeeded'], ['list-a', 'action-failed']]);
    expect(await ids('key=list-a&severity=warning')).toEqual([['list-a', 'action-failed']]);
    expect(await ids('kind=drift-detected&key=list-b')).toEqual([['list-b', 'drift-detected']]);
    expect(await ids('limit=1')).toEqual([['list-a', 'action-failed']]);
    expect(await ids(`since=${encodeURIComponent('2999-01-01T00:00:00Z')}`)).toEqual([]);
    expect(await ids(`since=${encodeURIComponent(first.time)}&key=list-b`)).toEqual([['list-b', 'drift-detected']]);
  });

  it.each([
    ['severity=loud', /^severity: /],
    ['since=last-tuesday', /^since: /],
    ['kind=exploded', /^kind: unknown event kind 'exploded'/],
    ['limit=-1', /^limit: /],
    ['instance=web-1', /^unknown parameter 'instance'/],
  ])('answers 400 to /events?%s, naming the parameter', async (query, message) => {
    const answer = await getJson(`/events?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(message);
  });

  it('answers 400 to a bad stream query or Last-Event-ID, and 405 to POST', async () => {
    expect((await fetch(`${server.url}/events/stream?severity=loud`)).status).toBe(400);
    const badHeader = await fetch(`${server.url}/events/stream`, { headers: { 'Last-Event-ID': 'yesterday' } });
    expect([badHeader.status, ((await badHeader.json()) as { error: string }).error]).toEqual([400, "Last-Event-ID: 'yesterday' is not an event id (a non-negative integer)"]);
    const post = await fetch(`${server.url}/events`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('streams live events, then resumes with Last-Event-ID with exactly the missed ones', async () => {
    const live = await SseClient.open(`${server.url}/events/stream?key=stream-1`);
    expect(live.response.statusCode).toBe(200);
    expect(live.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await live.until((c) => c.blocks.some((b) => b.comment === 'connected'));
    const sent = [1, 2, 3].map((n) => journal.record(anEvent({ key: 'stream-1', message: `m${n}` })));
    journal.record(anEvent({ key: 'someone-else' }));
    await live.until((c) => c.events.length === 3);
    expect(idsOf(live)).toEqual(sent.map((e) => e.id));
    expect(live.events[0]).toEqual({ id: String(sent[0]!.id), event: 'action-succeeded', data: JSON.stringify(sent[0]) });
    const lastId = live.events.at(-1)!.id!;
    live.close();
    await live.until((c) => c.closed);

    const missed = [4, 5].map((n) => journal.record(anEvent({ key: 'stream-1', message: `m${n}` })));
    journal.record(anEvent({ key: 'someone-else' }));
    const resumed = await SseClient.open(`${server.url}/events/stream?key=stream-1`, { 'Last-Event-ID': lastId });
    await resumed.until((c) => c.events.length === 2);
    const after = journal.record(anEvent({ key: 'stream-1', message: 'm6' }));
    await resumed.until((c) => c.events.length === 3);
    expect(idsOf(resumed)).toEqual([...missed.map((e) => e.id), after.id]);
    expect(resumed.events.map((b) => (JSON.parse(b.data!) as ReconcilerEvent).message)).toEqual(['m4', 'm5', 'm6']);
    resumed.close();
  });

  it('takes the resume point from ?lastEventId= too, and replays every kept event when the id is ahead of the journal (a restart)', async () => {
    const mark = journal.record(anEvent({ key: 'query-1', message: 'q1' }));
    journal.record(anEvent({ key: 'query-1', message: 'q2' }));
    const fromQuery = await SseClient.open(`${server.url}/events/stream?key=query-1&lastEventId=${mark.id}`);
    await fromQuery.until((c) => c.events.length === 1);
    expect(fromQuery.events.map((b) => (JSON.parse(b.data!) as ReconcilerEvent).message)).toEqual(['q2']);
    fromQuery.close();
    const ahead = await SseClient.open(`${server.url}/events/stream?key=query-1`, { 'Last-Event-ID': '999999' });
    await ahead.until((c) => c.events.length === 2);
    expect(ahead.blocks.some((b) => b.comment?.startsWith('event ids restarted') === true)).toBe(true);
    ahead.close();
  });

  it('applies the severity and kind filters to live events', async () => {
    const client = await SseClient.open(`${server.url}/events/stream?severity=warning&kind=drift-detected,action-failed`);
    await client.until((c) => c.blocks.some((b) => b.comment === 'connected'));
    journal.record(anEvent({ kind: 'drift-detected', severity: 'info' }));
    journal.record(anEvent({ kind: 'revision-seen', severity: 'warning' }));
    const wanted = journal.record(anEvent({ kind: 'action-failed', severity: 'error' }));
    await client.until((c) => c.events.length >= 1);
    expect(idsOf(client)).toEqual([wanted.id]);
    client.close();
  });

  it('sends a heartbeat comment while idle', async () => {
    const client = await SseClient.open(`${server.url}/events/stream?key=nobody`);
    await client.until((c) => c.blocks.filter((b) => b.comment === 'heartbeat').length >= 2);
    expect(client.events).toEqual([]);
    client.close();
  });

  it('drops a client that does not read, while recording goes on', async () => {
    const dropped = sink.waitForNext('event stream client dropped');
    const client = await SseClient.open(`${slowServer.url}/events/stream`);
    client.response.pause();
    const big = 'x'.repeat(4000);
    for (let i = 0; i < 200 && !client.closed; i += 1) journal.record(anEvent({ key: 'flood', message: big }));
    await dropped;
    await new Promise<void>((resolve) => {
      if (client.closed) resolve();
      else client.response.on('close', () => resolve());
      client.response.resume();
    });
    expect(journal.list({ key: 'flood' }).length).toBeGreaterThan(0);
  });
});
