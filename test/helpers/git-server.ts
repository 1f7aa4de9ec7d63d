/**
 * Real git servers for tests, on 127.0.0.1 and free ports, serving a folder of bare repositories:
 * smart HTTP (node:http in front of `git http-backend`, with Basic/Bearer checks and a stall switch),
 * `git daemon` (git://), and sshd (ssh://, test/helpers/git-ssh-server.ts). Each `stop()` kills what it
 * started and resolves once the port is closed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gitEnv } from '../../src/source/git/git-cli.js';
import { awaitLine, freePort, startListening, stopProcess } from './git-processes.js';

export { startSshGitServer, type SshGitServer } from './git-ssh-server.js';

/** Credentials the HTTP server demands; undefined serves anyone. */
export type HttpGitAuth = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string } | undefined;

/** A running smart-HTTP git server. */
export type HttpGitServer = Readonly<{
  baseUrl: string;
  /** `${baseUrl}/<repo>`, e.g. `url('manifests.git')`. */
  url(repo: string): string;
  /** Changes the credentials demanded from the next request on. */
  setAuth(auth: HttpGitAuth): void;
  /** Holds every later request this long (ms) before serving it; 0 serves at once. stop() drops held requests. */
  setStall(ms: number): void;
  /** How many requests arrived (rejected and held ones included). */
  requests(): number;
  stop(): Promise<void>;
}>;

/**
 * Starts a smart-HTTP git server over `root` on 127.0.0.1, port 0. A request without the expected
 * `Authorization` gets 401 with `WWW-Authenticate: Basic`; an authorised one runs `git http-backend` as
 * CGI (protocol v2 through the Git-Protocol header, gzip request bodies through HTTP_CONTENT_ENCODING).
 */
export async function startHttpGitServer(options: { root: string; auth?: HttpGitAuth }): Promise<HttpGitServer> {
  let auth = options.auth;
  let stallMs = 0;
  let count = 0;
  const backends = new Set<ChildProcess>();
  const stalled = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    count += 1;
    if (!isAuthorized(req.headers.authorization, auth)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' }).end('unauthorized\n');
      return;
    }
    const serve = (): void => runBackend(options.root, req, res, auth, backends);
    if (stallMs === 0) return serve();
    const timer = setTimeout(() => {
      stalled.delete(timer);
      serve();
    }, stallMs);
    stalled.add(timer);
  });
  await startListening(server, 0);
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    url: (repo) => `${baseUrl}/${repo}`,
    setAuth: (next) => { auth = next; },
    setStall: (ms) => { stallMs = ms; },
    requests: () => count,
    async stop() {
      for (const timer of stalled) clearTimeout(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([closed, ...[...backends].map((child) => stopProcess(child, 'SIGKILL'))]);
    },
  };
}

function isAuthorized(header: string | undefined, auth: HttpGitAuth): boolean {
  if (auth === undefined) return true;
  const expected = auth.kind === 'basic' ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : `Bearer ${auth.token}`;
  return header === expected;
}

/** One CGI request to `git http-backend`: request body in, `Status:` and headers parsed, body streamed out. */
function runBackend(root: string, req: IncomingMessage, res: ServerResponse, auth: HttpGitAuth, backends: Set<ChildProcess>): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const header = (name: string): string => String(req.headers[name] ?? '');
  const child = spawn('git', ['http-backend'], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: gitEnv({
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: header('content-type'),
      ...(req.headers['content-length'] === undefined ? {} : { CONTENT_LENGTH: header('content-length') }),
      HTTP_CONTENT_ENCODING: header('content-encoding'),
      GIT_PROTOCOL: header('git-protocol'),
      REMOTE_USER: auth?.kind === 'basic' ? auth.username : '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
    }),
  });
  backends.add(child);
  child.once('close', () => backends.delete(child));
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined); // the backend may exit before reading all of a rejected body
  let head = Buffer.alloc(0);
  const onHead = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    child.stdout.off('data', onHead);
    const { status, headers } = parseCgiHead(head.subarray(0, end).toString('latin1'));
    res.writeHead(status, headers);
    res.write(head.subarray(end + 4));
    child.stdout.pipe(res);
  };
  child.stdout.on('data', onHead);
  child.once('close', () => {
    if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' }).end('git http-backend sent no headers\n');
  });
}

function parseCgiHead(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
    else headers[name] = value;
  }
  return { status, headers };
}

/** A running `git daemon`. */
export type GitDaemon = Readonly<{ url(repo: string): string; stop(): Promise<void> }>;

/**
 * Starts `git daemon` exporting every repository under `root` on 127.0.0.1 and a free port (tried
 * again on another port when taken meanwhile); resolves once it listens ("Ready to rumble").
 */
export async function startGitDaemon(options: { root: string }): Promise<GitDaemon> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const child = spawn('git', ['daemon', '--reuseaddr', '--verbose', `--base-path=${options.root}`, '--export-all', '--listen=127.0.0.1', `--port=${port}`], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: gitEnv(),
    });
    const ready = await awaitLine(child, /Ready to rumble/);
    if (ready.ok) return { url: (repo) => `git://127.0.0.1:${port}/${repo}`, stop: () => stopProcess(child, 'SIGKILL', { group: true }) };
    if (attempt >= 5 || !/in use|allocate any listen/i.test(ready.output)) throw new Error(`git daemon did not start: ${ready.output}`);
  }
}
