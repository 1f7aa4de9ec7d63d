/**
 * Process and port plumbing shared by the test git servers (git-server.ts, git-ssh-server.ts): free
 * ports, readiness read from a server's own log line, and stopping a process (group) for good.
 */
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';

/** Listens on 127.0.0.1:`port` (0 = any free one) and resolves once listening. */
export function startListening(server: Pick<Server, 'listen' | 'once' | 'off'>, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * A port that was free a moment ago (bound on port 0, then closed), for servers that cannot listen on
 * port 0 themselves. Another process may take it meanwhile: callers retry on "address in use".
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await startListening(server, 0);
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from a TCP server');
  return address.port;
}

/**
 * Resolves `{ ok: true }` when the child's stderr shows a line matching `ready`, `{ ok: false }` when it
 * exits first; `output` is what stderr said until then. stderr keeps being drained afterwards, so a
 * chatty server never blocks on a full pipe.
 */
export function awaitLine(child: ChildProcess, ready: RegExp): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      if (settled) return;
      output += chunk.toString('utf8');
      if (!ready.test(output)) return;
      settled = true;
      resolve({ ok: true, output });
    });
    child.once('close', () => {
      if (settled) return;
      settled = true;
      resolve({ ok: false, output });
    });
  });
}

/**
 * Sends `signal` to the child, or to its whole process group with `group` (the child was spawned
 * `detached`, so it leads one), and resolves once it has exited and its pipes are closed. A child that
 * is gone already resolves at once.
 */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals, options: { group?: boolean } = {}): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  if (options.group === true) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the group has no member left; 'close' is on its way
    }
  } else {
    child.kill(signal);
  }
  return closed;
}

/**
 * The argv of every live process but this one (from /proc: Linux only). Zombies have an empty command
 * line and are left out: they hold no socket and no file.
 */
/**
 * Kills `child`'s process group when this process exits (a jest worker that ends without running its
 * afterAll, or is killed by jest's timeout): a detached engine (MariaDB, etcd) must not outlive the suite.
 */
export function killAtExit(child: ChildProcess): void {
  const kill = (): void => {
    try {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
}

export async function liveProcesses(): Promise<{ pid: number; argv: string[] }[]> {
  const found: { pid: number; argv: string[] }[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => ''); // gone meanwhile: not listed
    if (cmdline !== '') found.push({ pid: Number(name), argv: cmdline.replace(/\0$/, '').split('\0') });
  }
  return found;
}

/** The pids of live processes whose command line (arguments joined by spaces) contains `needle`. */
export async function processesMatching(needle: string): Promise<number[]> {
  return (await liveProcesses()).filter((p) => p.argv.join(' ').includes(needle)).map((p) => p.pid);
}

/**
 * Resolves once `check()` holds, looking every 20 ms; rejects after `timeoutMs`. Only for facts no
 * event announces (another process's exit, a count in a server we do not own): await events otherwise.
 */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
