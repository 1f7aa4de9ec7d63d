/**
 * Git plumbing for the git-source benchmarks, with the real git CLI: a bare "server" repository and a
 * work clone that commits and pushes into it (by file path, as a developer's push would land), and a
 * `git daemon` serving the bare repositories over git:// on 127.0.0.1 for the reconciler to fetch from.
 * Every git run is hermetic (no user or system config), like the daemon's own (src/source/git/git-cli.ts).
 */
import { execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The hermetic environment of every git run here. */
export function gitEnv() {
  return {
    PATH: process.env.PATH ?? '',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Bench Author',
    GIT_AUTHOR_EMAIL: 'bench@example.test',
    GIT_COMMITTER_NAME: 'Bench Author',
    GIT_COMMITTER_EMAIL: 'bench@example.test',
  };
}

/** Runs git in `cwd`; resolves with its trimmed stdout, rejects with the command and git's stderr. */
export async function git(cwd, args) {
  try {
    const { stdout } = await execFileAsync('git', args, { cwd, env: gitEnv(), maxBuffer: 64 << 20 });
    return stdout.trim();
  } catch (e) {
    throw new Error(`git ${args.join(' ')} (in ${cwd}) failed: ${e.stderr || e.message}`);
  }
}

/**
 * A bare repository at `bare` (HEAD = main) and a work clone at `work` pushing to it by path. Returns
 * `{ bare, work, commit(message), push() }`; `commit` stages everything and returns the new sha.
 */
export async function makeRepository({ bare, work }) {
  await mkdir(work, { recursive: true });
  await git(work, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await git(work, ['init', '--quiet', '--initial-branch=main']);
  await git(work, ['remote', 'add', 'origin', bare]);
  return {
    bare,
    work,
    async commit(message) {
      await git(work, ['add', '--all']);
      await git(work, ['commit', '--quiet', '--allow-empty', '--no-gpg-sign', '--message', message]);
      return git(work, ['rev-parse', 'HEAD']);
    },
    push: () => git(work, ['push', '--quiet', 'origin', 'HEAD:refs/heads/main']),
  };
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `git daemon --export-all --base-path=<root>` on 127.0.0.1 and a free port (another port is tried when
 * it was taken meanwhile). Resolves once it logs "Ready to rumble" with `{ url(repo), stop() }`; `stop`
 * kills its process group (the daemon and the upload-pack children it forked).
 */
export async function startGitDaemon(root) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn('git', ['daemon', '--reuseaddr', '--verbose', '--export-all', `--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: gitEnv(),
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let output = '';
    const ready = await new Promise((resolve) => {
      child.stderr.on('data', (chunk) => {
        if (output.length < 8000) output += chunk.toString('utf8'); // keep draining after: a full pipe would block it
        if (/Ready to rumble/.test(output)) resolve(true);
      });
      void exited.then(() => resolve(false));
    });
    if (ready) {
      return {
        url: (repo) => `git://127.0.0.1:${port}/${repo}`,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // the group is gone already
          }
          await exited;
        },
      };
    }
    if (attempt >= 5 || !/in use|allocate any listen/i.test(output)) throw new Error(`git daemon did not start: ${output}`);
  }
}

/**
 * Smart HTTP over `root` on 127.0.0.1 (port 0): node:http in front of `git http-backend` as CGI, one
 * backend process per request. Resolves with `{ url(repo), stop() }`.
 */
export async function startHttpGitServer(root) {
  const backends = new Set();
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const child = spawn('git', ['http-backend'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: {
        ...gitEnv(),
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: String(req.headers['content-type'] ?? ''),
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_ADDR: req.socket.remoteAddress ?? '',
        ...(req.headers['content-length'] === undefined ? {} : { CONTENT_LENGTH: String(req.headers['content-length']) }),
      },
    });
    backends.add(child);
    child.once('close', () => backends.delete(child));
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const onHead = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      child.stdout.off('data', onHead);
      let status = 200;
      const headers = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(line.slice(colon + 1), 10);
        else headers[name] = line.slice(colon + 1).trim();
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
      child.stdout.pipe(res);
    };
    child.stdout.on('data', onHead);
    child.once('close', () => {
      if (!res.headersSent) res.writeHead(502).end('git http-backend sent no headers\n');
    });
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: (repo) => `http://127.0.0.1:${port}/${repo}`,
    async stop() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      for (const child of backends) child.kill('SIGKILL');
      await closed;
    },
  };
}

/** The `X-Signature` header value of the generic webhook: `sha256=<hex HMAC-SHA256 of body>`. */
export function genericSignature(body, secret) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Posts a signed generic webhook; returns `{ status, body }` (202 `{ accepted, triggered }` when it fired). */
export async function postGenericWebhook(origin, secret, payload) {
  const body = JSON.stringify(payload);
  const response = await fetch(`${origin}/hooks/generic`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Signature': genericSignature(body, secret) },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** `{ bytes, files }` of a folder tree: apparent sizes (stat size) of its files, links not followed. */
export async function treeSize(dir) {
  let bytes = 0;
  let files = 0;
  const walk = async (path) => {
    const info = await lstat(path);
    if (info.isDirectory()) {
      for (const name of await readdir(path)) await walk(join(path, name));
    } else {
      bytes += info.size;
      files += 1;
    }
  };
  await walk(dir);
  return { bytes, files };
}

/** `{ objects, commits, shallow }` of a (bare) repository: objects loose + packed, commits reachable from `ref`. */
export async function repositoryFacts(gitDir, ref) {
  const counts = Object.fromEntries((await git(gitDir, ['count-objects', '-v'])).split('\n').map((line) => line.split(': ')).map(([k, v]) => [k, Number(v)]));
  const commits = Number(await git(gitDir, ['rev-list', '--count', ref]));
  const shallow = await lstat(join(gitDir, 'shallow')).then(() => true, () => false);
  return { objects: (counts.count ?? 0) + (counts['in-pack'] ?? 0), commits, shallow };
}

/**
 * The git steps of one poll, timed by hand against `url` (what src/source/git/git-mirror.ts runs, in its
 * order), median over `repeats` cold runs each into a fresh bare repository under `dir`: `ls-remote`, the
 * shallow `fetch`, `read-tree` + `checkout-index` of the commit, and one trivial git process (`rev-parse
 * --git-dir`), the cost of each of the mirror's bookkeeping calls (cat-file -e, rev-parse, update-ref, show).
 * Resolves with medians in ms: `{ lsRemoteMs, fetchMs, checkoutMs, spawnMs }`.
 */
export async function timeGitSteps(url, dir, repeats = 5) {
  const samples = { lsRemoteMs: [], fetchMs: [], checkoutMs: [], spawnMs: [] };
  const timed = async (key, fn) => {
    const t0 = performance.now();
    await fn();
    samples[key].push(performance.now() - t0);
  };
  for (let i = 0; i < repeats; i++) {
    const gitDir = join(dir, `steps-${i}.git`);
    const tree = join(dir, `steps-${i}-tree`);
    await mkdir(tree, { recursive: true });
    await git(dir, ['init', '--quiet', '--bare', gitDir]);
    await timed('lsRemoteMs', () => git(dir, ['ls-remote', '--', url, 'refs/heads/main', 'refs/tags/main']));
    await timed('fetchMs', () => git(gitDir, ['fetch', '--quiet', '--depth=1', '--no-tags', '--no-recurse-submodules', '--', url, 'refs/heads/main']));
    await timed('spawnMs', () => git(gitDir, ['rev-parse', '--git-dir']));
    await timed('checkoutMs', async () => {
      const env = ['-c', 'core.bare=false'];
      await git(gitDir, [...env, `--work-tree=${tree}`, 'read-tree', 'FETCH_HEAD']);
      await git(gitDir, [...env, `--work-tree=${tree}`, 'checkout-index', '--all', '--force']);
    });
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, median(values)]));
}
