/**
 * A small real HTTP server that serves `GET /events` and an SSE `GET /events/stream` from an event
 * list the test controls, with `Last-Event-ID` resume, for the `events` command while the daemon has
 * no history of its own to test against. `drop()` cuts every open stream (a daemon restart, a proxy
 * timeout), so a client's reconnect and resume can be seen.
 */
import { createServer, type ServerResponse } from 'node:http';
import { matchesFilter, type EventFilter, type EventInput, type EventKind, type ReconcilerEvent, type Severity } from '../../src/observability/event-model.js';

export type EventsServer = Readonly<{
  url: string;
  /** Records an event (id and time added) and sends it to every open stream. */
  record(input: Partial<EventInput> & Pick<EventInput, 'kind' | 'message'>): ReconcilerEvent;
  /** Ends every open stream from the server side. */
  drop(): void;
  /** The `Last-Event-ID` of every stream request so far (undefined when none was sent). */
  resumes: (string | undefined)[];
  /** Resolves once `n` stream requests have arrived. */
  streamsOpened(n: number): Promise<void>;
  close(): Promise<void>;
}>;

/** Starts the server on 127.0.0.1:0. */
export async function startEventsServer(): Promise<EventsServer> {
  const events: ReconcilerEvent[] = [];
  const streams = new Set<ServerResponse>();
  const resumes: (string | undefined)[] = [];
  const waiters: (() => void)[] = [];
  const send = (res: ServerResponse, e: ReconcilerEvent): void => void res.write(`id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    const filter: EventFilter = {
      ...(q.has('key') ? { key: q.get('key')! } : {}),
      ...(q.has('severity') ? { severity: q.get('severity') as Severity } : {}),
      ...(q.has('since') ? { since: q.get('since')! } : {}),
      ...(q.has('kind') ? { kinds: q.get('kind')!.split(',') as EventKind[] } : {}),
    };
    if (url.pathname === '/events') {
      const matching = events.filter((e) => matchesFilter(e, filter));
      const limit = q.has('limit') ? Number(q.get('limit')) : matching.length;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ events: matching.slice(Math.max(0, matching.length - limit)) }));
    } else if (url.pathname === '/events/stream') {
      const last = req.headers['last-event-id'];
      resumes.push(typeof last === 'string' ? last : undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': connected\n\n');
      if (typeof last === 'string') for (const e of events) if (e.id > Number(last) && matchesFilter(e, filter)) send(res, e);
      streams.add(res);
      res.on('close', () => streams.delete(res));
      for (const wake of waiters.splice(0)) wake();
    } else res.writeHead(404).end('not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    resumes,
    record(input) {
      const event: ReconcilerEvent = { severity: 'info', key: null, instanceId: null, revision: null, reason: 'Test', ...input, id: events.length + 1, time: new Date().toISOString() };
      events.push(event);
      for (const res of streams) send(res, event);
      return event;
    },
    drop() {
      for (const res of streams) res.destroy();
    },
    streamsOpened(n) {
      return new Promise((resolve) => {
        const check = (): void => (resumes.length >= n ? resolve() : void waiters.push(check));
        check();
      });
    },
    async close() {
      for (const res of streams) res.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
