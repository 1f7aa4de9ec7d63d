/**
 * The emulator in its own process (`node dist/cli.js emulator ...`), so that it never shares an event loop
 * with the reconciler being measured, plus thin clients for its API and `/_emulator/*` admin routes.
 */
import { spawn } from 'node:child_process';
import { cliPath } from './cli-process.mjs';

/**
 * Spawns the emulator with `flags` (e.g. ['--transition-ms', '100', '--rate-limit', '200']) and resolves
 * with `{ url, origin, stop(), requestLog() }` once it has printed its URL line. With `--log-level debug`
 * the emulator logs one `request served` JSON line per API request; `requestLog()` returns those parsed.
 */
export async function startEmulatorProcess(flags = [], { keepLog = false } = {}) {
  const child = spawn(process.execPath, [cliPath(), 'emulator', '--port', '0', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let errTail = '';
  const logLines = [];
  let partial = '';
  child.stderr.on('data', (chunk) => {
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (keepLog && line.includes('"request served"')) logLines.push(line);
      else errTail = (errTail + line + '\n').slice(-4000);
    }
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not print its URL within 10 s: ${errTail}`)), 10_000);
    child.stdout.on('data', (chunk) => {
      out += chunk.toString('utf8');
      const match = out.match(/^(http:\/\/\S+\/v1)\n/m);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => reject(new Error(`emulator exited (${code}) before printing its URL: ${errTail}`)));
  });
  const origin = new URL(url).origin;
  return {
    url,
    origin,
    child,
    /** Parsed `request served` lines: `{ time, method, path, status }`; clears the buffer. */
    takeRequestLog() {
      const taken = logLines.splice(0, logLines.length);
      return taken.map((line) => {
        const entry = JSON.parse(line);
        return { time: Date.parse(entry.time), method: entry.http?.method, path: entry.http?.url, status: entry.http?.status };
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function json(method, url, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Admin and API helpers over HTTP for an emulator at `url` (`.../v1`). */
export function emulatorClient(url) {
  const origin = new URL(url).origin;
  return {
    counters: async () => (await json('GET', `${origin}/_emulator/counters`)).body,
    resetCounters: async () => void (await json('DELETE', `${origin}/_emulator/counters`)),
    setFaults: async (plan) => {
      const result = await json('PUT', `${origin}/_emulator/faults`, plan);
      if (result.status !== 200) throw new Error(`PUT /_emulator/faults: ${result.status} ${JSON.stringify(result.body)}`);
    },
    closeSubscriptions: async () => void (await json('POST', `${origin}/_emulator/subscriptions/close`)),
    /** Every container (all pages, removed ones included). Not counted against the rate limit? It is: call with faults off. */
    async listAll() {
      const all = [];
      let next = `${url}/containers?limit=1000`;
      while (next) {
        const result = await json('GET', next);
        if (result.status !== 200) throw new Error(`GET ${next}: ${result.status}`);
        all.push(...result.body.data);
        next = result.body.pagination?.next ?? null;
      }
      return all;
    },
    post: (path, body) => json('POST', `${url}${path}`, body),
    put: (path, body) => json('PUT', `${url}${path}`, body),
    get: (path) => json('GET', `${url}${path}`),
  };
}

/** Sum of the mutating requests (POST, PUT, DELETE) in a counters snapshot. */
export function mutationsOf(counters) {
  return Object.entries(counters).filter(([key]) => /^(POST|PUT|DELETE) /.test(key)).reduce((sum, [, n]) => sum + n, 0);
}

/** Sum of the GET requests (lists, single reads, the websocket upgrade) in a counters snapshot. */
export function readsOf(counters) {
  return Object.entries(counters).filter(([key]) => key.startsWith('GET ')).reduce((sum, [, n]) => sum + n, 0);
}
