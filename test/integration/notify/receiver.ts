/**
 * A local notification receiver for the notify tests: node:http on 127.0.0.1, port 0. It records every
 * request (method, path, headers, raw body) and answers with the next status of a script (the last one
 * repeats), or never answers (`hang`). Tests await requests by count: checked on every arrival, never
 * by polling.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceivedRequest = Readonly<{ method: string; path: string; headers: IncomingHttpHeaders; body: string }>;

/** An answer: an HTTP status, or `hang` (read the body, never respond). */
export type Answer = number | 'hang';

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  readonly #server: Server;
  readonly #waiters = new Set<() => void>();
  readonly #hanging: ServerResponse[] = [];
  #answers: Answer[];
  /** Requests whose connection closed before an answer (a client that gave up or aborted). */
  abandoned = 0;

  private constructor(answers: Answer[]) {
    this.#answers = answers;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const answer = this.#answers.length > 1 ? this.#answers.shift()! : (this.#answers[0] ?? 200);
        if (answer === 'hang') {
          this.#hanging.push(res);
          res.on('close', () => (this.abandoned += 1));
        } else {
          res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
        }
        for (const waiter of [...this.#waiters]) waiter();
      });
    });
  }

  /** Starts a receiver answering `answers` in turn (default: always 200). */
  static async start(answers: Answer[] = [200]): Promise<Receiver> {
    const receiver = new Receiver([...answers]);
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Replaces the answer script. */
  answer(...answers: Answer[]): void {
    this.#answers = answers;
  }

  /** Resolves once `count` requests have arrived (at once if they have); rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.requests.length < count) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(this.requests.slice(0, count));
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`expected ${count} requests within ${timeoutMs} ms, got ${this.requests.length}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
