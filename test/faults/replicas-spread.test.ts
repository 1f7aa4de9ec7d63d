/**
 * Environments spread over replicas (leader/spread.ts), with real processes on MariaDB: one replica
 * first leads both environments of its config file; a second joins, and after the hysteresis the first
 * releases one, so each leads one. The standby side of each environment is ready (`/readyz` 200), its
 * `rancher_reconciler_leader` is 0 and the leader's 1, and drift in each environment is healed by its
 * leader only (the emulators' request logs name each mutation's replica). Short leases (4 s, renew
 * deadline 3 s, retry 1 s: hysteresis 8 s) keep it to a minute; the spreading rule does not depend on
 * the durations. Without MariaDB the test is skipped, and says so.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { spawnCli, stopCli, type SpawnedCli } from '../helpers/cli.js';
import { get, post, startTestEmulator } from '../helpers/emulator.js';
import { makeWorkspace, names, writeManifestFile } from '../helpers/manifest-tree.js';
import { statusLine } from '../helpers/replicas.js';
import { engineInstalled, startSharedStore, type SharedStore } from '../helpers/shared-store.js';
import { until } from '../helpers/until.js';

const installed = engineInstalled('mysql');
if (!installed) console.warn('replica spread test skipped: MariaDB not installed (apt-get install mariadb-server)');
const spreadTest = installed ? it : it.skip;

type Daemon = Readonly<{ id: string; cli: SpawnedCli; url: string }>;
const environments = ['a', 'b'] as const;
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function role(daemon: Daemon, environment: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${daemon.url}/status/${environment}`, { signal: AbortSignal.timeout(3_000) });
    const body = (await response.json()) as { leadership?: { role: string } };
    return body.leadership?.role;
  } catch {
    return undefined;
  }
}

/** Which daemon leads each environment, when exactly one does. */
async function leaders(daemons: readonly Daemon[]): Promise<Record<string, string | undefined>> {
  const result: Record<string, string | undefined> = {};
  for (const environment of environments) {
    const roles = await Promise.all(daemons.map((d) => role(d, environment)));
    const leading = daemons.filter((_, i) => roles[i] === 'leader');
    result[environment] = leading.length === 1 ? leading[0]!.id : undefined;
  }
  return result;
}

async function spawnDaemon(id: string, root: string, config: string, store: SharedStore): Promise<Daemon> {
  const cli = spawnCli(['run', '--config', config, '--state-dir', join(root, `state-${id}`), '--state-store', store.urlVia(store.port),
    '--state-store-password-file', join(root, 'password'), '--replica-id', id, '--listen', '127.0.0.1:0', '--log-format', 'json',
    '--lease-duration', '4s', '--renew-deadline', '3s', '--retry-period', '1s', '--qps', '50'], { cwd: root });
  cleanups.push(() => stopCli(cli));
  const match = await cli.waitFor(statusLine, 60_000);
  return { id, cli, url: match[1] ?? match[2]! };
}

describe('environments spread over replicas', () => {
  spreadTest('a second replica takes over one of the two environments; each is acted on by its leader only', async () => {
    const started = await startSharedStore('mysql');
    if ('unavailable' in started) throw new Error(started.unavailable);
    cleanups.push(() => started.stop());
    const ws = await makeWorkspace('rr-faults-spread-');
    cleanups.push(() => ws.cleanup());
    await writeFile(join(ws.root, 'password'), started.password ?? '');
    const emulators: Record<string, EmulatorHandle> = {};
    const entries: string[] = [];
    for (const environment of environments) {
      const emulator = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
      cleanups.push(() => emulator.close());
      emulators[environment] = emulator;
      const dir = join(ws.root, `manifests-${environment}`);
      await mkdir(dir);
      await writeManifestFile(dir, 'web.yaml', names(`web-${environment}`, 5).map((name) => ({ name, description: 'd' })));
      entries.push(`  - { name: ${environment}, url: '${emulator.url}', manifests: '${dir}' }`);
    }
    const config = join(ws.root, 'config.yaml');
    await writeFile(config, `environments:\n${entries.join('\n')}\n`);

    const r1 = await spawnDaemon('r1', ws.root, config, started);
    await until(() => leaders([r1]), (l) => l['a'] === 'r1' && l['b'] === 'r1', 60_000);
    const r2 = await spawnDaemon('r2', ws.root, config, started);
    const spread = await until(() => leaders([r1, r2]), (l) => l['a'] !== undefined && l['b'] !== undefined && l['a'] !== l['b'], 120_000);

    for (const daemon of [r1, r2]) expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
    for (const environment of environments) {
      const leader = spread[environment] === 'r1' ? r1 : r2;
      const standby = leader === r1 ? r2 : r1;
      const metric = (text: string): string | undefined => text.split('\n').find((line) => line.startsWith(`rancher_reconciler_leader{environment="${environment}"}`));
      expect(metric(await (await fetch(`${leader.url}/metrics`)).text())).toMatch(/ 1$/);
      expect(metric(await (await fetch(`${standby.url}/metrics`)).text())).toMatch(/ 0$/);
      // drift in this environment: healed by its leader, and only by it
      const emulator = emulators[environment]!;
      const after = emulator.requests().at(-1)?.seq ?? 0;
      const containers = (await get(`${emulator.url}/containers`)).body.data as { id: string; state: string }[];
      await post(`${emulator.url}/containers/${containers[0]!.id}?action=stop`, {});
      await until(async () => (await get(`${emulator.url}/containers/${containers[0]!.id}`)).body.state as string, (state) => state === 'running', 60_000);
      const mutators = new Set(emulator.requests(after).filter((r) => r.method !== 'GET' && r.userAgent?.startsWith('rancher-reconciler')).map((r) => r.userAgent));
      expect([...mutators]).toEqual([`rancher-reconciler replica/${leader.id}`]);
    }
  }, 300_000);
});
