/**
 * `apply` and `plan` on a shared state store (MariaDB, started here): apply records its ownership in
 * the store under the environment's lease; a CI `plan` with a read-only user decides with those records
 * (nothing to do), where the same plan on an empty file store would adopt everything; an apply while
 * another replica leads the environment is refused, naming the leader, and sends nothing. Without
 * MariaDB the tests are skipped, and say so.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { createMysqlStore } from '../../src/state/mysql-store.js';
import { runCli } from '../helpers/cli.js';
import { mutationCount, startTestEmulator } from '../helpers/emulator.js';
import { captureLogger } from '../helpers/log-sink.js';
import { startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { makeWorkspace, names, writeManifestFile } from '../helpers/manifest-tree.js';

const started = await startMariaDb();
const db: MariaDb | undefined = 'unavailable' in started ? undefined : started;
const dbTest = db === undefined ? test.skip : test;
if ('unavailable' in started) console.warn(`state store command tests skipped: ${started.unavailable}`);

let emu: EmulatorHandle;
let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const keys = names('web', 5);
const passwordFile = (user: 'rw' | 'ro'): string => join(ws.root, `${user}.password`);

function args(command: 'apply' | 'plan', user: 'rw' | 'ro', extra: string[] = []): string[] {
  return [command, '--url', emu.url, '--manifests', ws.manifests, '--state-dir', join(ws.root, `state-${command}`), '--log-level', 'warn',
    '--state-store', db!.url(user), '--state-store-password-file', passwordFile(user), ...extra];
}

beforeAll(async () => {
  if (db === undefined) return;
  emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
  ws = await makeWorkspace('rr-state-store-commands-');
  await writeManifestFile(ws.manifests, 'web.yaml', keys.map((name) => ({ name, description: `d-${name}` })));
  for (const user of ['rw', 'ro'] as const) await writeFile(passwordFile(user), `${db.password(user)}\n`);
});

afterAll(async () => {
  await emu?.close();
  await ws?.cleanup();
  await db?.stop();
});

describe('apply and plan on a MySQL state store', () => {
  dbTest('apply converges and records ownership in the store; a read-only plan then has nothing to do', async () => {
    const applied = await runCli([...args('apply', 'rw'), '--timeout', '60'], { cwd: ws.root });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const plan = await runCli([...args('plan', 'ro'), '-o', 'json'], { cwd: ws.root });
    expect(plan.code).toBe(0);
    const summary = (stdout: string): Record<string, number> => (JSON.parse(stdout) as { summary: Record<string, number> }).summary;
    expect(summary(plan.stdout)).toMatchObject({ inSync: 5, adopt: 0, create: 0 });
    // the same plan without the store's records (an empty file store) would adopt every instance
    const blind = await runCli(['plan', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', join(ws.root, 'empty'), '--log-level', 'warn', '-o', 'json'], { cwd: ws.root });
    expect(summary(blind.stdout)).toMatchObject({ adopt: 5 });
  }, 120_000);

  dbTest('a read-only user cannot apply: the store refuses the lease and nothing is sent', async () => {
    const before = mutationCount(emu.counters());
    await writeManifestFile(ws.manifests, 'extra.yaml', [{ name: 'extra-1', description: 'x' }]);
    const applied = await runCli([...args('apply', 'ro'), '--timeout', '30'], { cwd: ws.root });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toMatch(/denied|read-only|refused/i);
    expect(applied.stderr).not.toContain(db!.password('ro'));
    expect(mutationCount(emu.counters())).toBe(before);
  }, 90_000);

  dbTest('apply while another replica leads the environment is refused, naming the leader, and sends nothing', async () => {
    const { log } = captureLogger();
    const daemon = createMysqlStore({ url: db!.url('rw'), password: db!.password('rw'), log });
    await daemon.open();
    try {
      const lease = await daemon.environment('default', ws.root).tryAcquireOrRenew('daemon-a', 120_000);
      expect(lease.held).toBe(true);
      const before = mutationCount(emu.counters());
      const applied = await runCli([...args('apply', 'rw'), '--timeout', '30'], { cwd: ws.root });
      expect(applied.code).toBe(1);
        expect(applied.stderr).toContain('environment default is led by replica daemon-a');
      expect(mutationCount(emu.counters())).toBe(before);
    } finally {
      await daemon.close();
    }
  }, 90_000);
});
