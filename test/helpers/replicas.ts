/**
 * Replica daemons as real processes (`node dist/cli.js run`, spawned with test/helpers/cli.ts) against
 * one emulator and one shared state store (test/helpers/shared-store.ts). Each replica has its own state
 * dir, `--replica-id`, status server on a free port and JSON logs, and reaches the store through its own
 * TCP proxy (test/helpers/tcp-proxy.ts), so a test can cut one replica off the database and leave the
 * others connected. Processes are spawned with `spawnCli`, so a TrialGuard reaps them after a timeout.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { spawnCli, stopCli, type SpawnedCli } from './cli.js';
import type { SharedStore } from './shared-store.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { until } from './until.js';

/** What `/status` says of the default environment's election (absent while the replica does not answer). */
export type LeadershipView = Readonly<{ role: 'leader' | 'standby'; replica: string; leader: string | null; epoch: number | null; error: string | null }>;

/** The parts of `/status`'s environment document the replica tests read (src/domain/status.ts). */
export type EnvironmentView = Readonly<{
  summary: Readonly<Record<string, number>>;
  instances: readonly Readonly<{ name: string; id: string | null; phase: string; notices: readonly string[] }>[];
  leadership?: LeadershipView;
}>;

export type Replica = Readonly<{
  id: string;
  cli: SpawnedCli;
  pid: number;
  /** The status server's base URL. */
  url: string;
  /** This replica's way to the store: `cut()` it to partition the replica from the database. */
  proxy: TcpProxy;
}>;

export type ReplicaSetOptions = Readonly<{
  emu: EmulatorHandle;
  store: SharedStore;
  /** The workspace root: replicas' state dirs and the password file go under it. */
  root: string;
  manifests: string;
  /** `--qps` of each replica: low enough that a converge is still running when a fault hits. */
  qps: number;
  /** Extra `run` flags for every replica. */
  extraArgs?: readonly string[];
  /** How long a replica may take to start serving status (spawn + store open on a loaded machine). */
  startTimeoutMs?: number;
}>;

/** The daemon's `status server listening` log line, with its URL in either field order. */
export const statusLine = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*status server listening|status server listening[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/;

export class ReplicaSet {
  readonly #options: ReplicaSetOptions;
  readonly #replicas: Replica[] = [];
  /** Every process spawned, also one that never served status (it is killed by stop() all the same). */
  readonly #spawned: SpawnedCli[] = [];
  readonly #proxies: TcpProxy[] = [];

  constructor(options: ReplicaSetOptions) {
    this.#options = options;
  }

  /** Every replica spawned so far (killed ones included), in spawn order. */
  get all(): readonly Replica[] {
    return this.#replicas;
  }

  /** The replicas whose process has not exited. */
  get running(): Replica[] {
    return this.#replicas.filter((r) => r.cli.child.exitCode === null && r.cli.child.signalCode === null);
  }

  /** Spawns replica `id` (a fresh process; an id used before keeps its state dir) and resolves once it serves status. */
  async spawn(id: string): Promise<Replica> {
    const { emu, store, root, manifests, qps, extraArgs = [], startTimeoutMs = 60_000 } = this.#options;
    const proxy = await startTcpProxy(store.port);
    this.#proxies.push(proxy);
    const passwordArgs: string[] = [];
    if (store.password !== undefined) {
      const file = join(root, 'store-password');
      await writeFile(file, store.password, { mode: 0o600 });
      passwordArgs.push('--state-store-password-file', file);
    }
    const args = [
      'run', '--url', emu.url, '--manifests', manifests, '--state-dir', join(root, `state-${id}`),
      '--state-store', store.urlVia(proxy.port), ...passwordArgs, '--replica-id', id,
      '--listen', '127.0.0.1:0', '--log-format', 'json', '--qps', String(qps), ...extraArgs,
    ];
    const cli = spawnCli(args, { cwd: root });
    this.#spawned.push(cli);
    const match = await cli.waitFor(statusLine, startTimeoutMs);
    const replica: Replica = { id, cli, pid: cli.child.pid!, url: match[1] ?? match[2]!, proxy };
    this.#replicas.push(replica);
    return replica;
  }

  /** `/status`'s document of the default environment, or undefined when the replica does not answer in 3 s (stopped, dead). */
  async status(replica: Replica): Promise<EnvironmentView | undefined> {
    try {
      const response = await fetch(`${replica.url}/status`, { signal: AbortSignal.timeout(3_000) });
      if (!response.ok) return undefined;
      const body = (await response.json()) as { environments?: EnvironmentView[] };
      return body.environments?.[0];
    } catch {
      // a frozen or dead replica answers nothing: no view of it
      return undefined;
    }
  }

  /** `/status`'s leadership of the default environment, or undefined when the replica does not answer. */
  async leadership(replica: Replica): Promise<LeadershipView | undefined> {
    return (await this.status(replica))?.leadership;
  }

  /** The leadership views of `among` (default: every running replica), by replica id. */
  async views(among: readonly Replica[] = this.running): Promise<Record<string, LeadershipView | undefined>> {
    const views = await Promise.all(among.map((r) => this.leadership(r)));
    return Object.fromEntries(among.map((r, i) => [r.id, views[i]]));
  }

  /**
   * Waits until exactly one of `among` (default: every running replica) says it leads, and every one of
   * them that answers names it as leader; resolves with it.
   */
  async oneLeader(timeoutMs: number, among?: readonly Replica[]): Promise<Replica> {
    const group = among ?? this.running;
    const views = await until(() => this.views(group), (v) => agreedLeader(v) !== undefined, timeoutMs);
    const id = agreedLeader(views)!;
    return group.find((r) => r.id === id)!;
  }

  /** Waits until `replica` reports `role`. */
  async whenRole(replica: Replica, role: LeadershipView['role'], timeoutMs: number): Promise<LeadershipView> {
    return (await until(() => this.leadership(replica), (v) => v?.role === role, timeoutMs))!;
  }

  /** Sends `sig` to the replica's process (SIGKILL, SIGSTOP, SIGCONT, SIGTERM). */
  signal(replica: Replica, sig: NodeJS.Signals): void {
    process.kill(replica.pid, sig);
  }

  /** The JSON log lines of `replica` whose `msg` is `msg`. */
  logged(replica: Replica, msg: string): Record<string, unknown>[] {
    return (replica.cli.stdout() + replica.cli.stderr())
      .split('\n')
      .filter((line) => line.includes(msg))
      .flatMap((line) => {
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          return parsed['msg'] === msg ? [parsed] : [];
        } catch {
          return [];
        }
      });
  }

  /** Kills every process (SIGCONT first: a stopped one is killed all the same, but reaped sooner) and closes the proxies. */
  async stop(): Promise<void> {
    for (const r of this.running) {
      try {
        process.kill(r.pid, 'SIGCONT');
      } catch {
        // gone meanwhile
      }
    }
    await Promise.all(this.#spawned.map((cli) => stopCli(cli)));
    await Promise.all(this.#proxies.map((p) => p.close()));
  }
}

/** The replica every answering view names as leader, when exactly one of them says it leads. */
function agreedLeader(views: Record<string, LeadershipView | undefined>): string | undefined {
  const answering = Object.entries(views).filter((entry): entry is [string, LeadershipView] => entry[1] !== undefined);
  const leaders = answering.filter(([, v]) => v.role === 'leader').map(([id]) => id);
  if (leaders.length !== 1) return undefined;
  return answering.every(([, v]) => v.leader === leaders[0]) ? leaders[0] : undefined;
}
