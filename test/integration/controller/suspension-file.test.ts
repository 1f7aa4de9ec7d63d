/**
 * DaemonSuspension's file in a real temp state dir: what a restart reads back, the safe reading of a
 * file it cannot read, and a state dir it cannot write.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonSuspension, suspensionFileName } from '../../../src/controller/suspension.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';

describe('DaemonSuspension and its file', () => {
  let dir: string;
  let resumed: number;
  const clock = new ManualClock();
  const suspension = (stateDir = dir, metrics?: { setSuspended(on: boolean): void }) =>
    new DaemonSuspension({ stateDir, clock, log: captureLogger().log, onResume: () => (resumed += 1), ...(metrics === undefined ? {} : { metrics }) });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rr-suspension-'));
    resumed = 0;
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the state, reads it back after a restart, and removes it on resume', async () => {
    const first = suspension();
    await first.load();
    expect(first.active).toBe(false);
    expect(await first.suspend({ reason: 'incident', by: 'ann' }, '127.0.0.1')).toEqual({
      suspended: { since: '2026-11-27T12:00:00.000Z', reason: 'incident', by: 'ann' }, changed: true, persisted: true,
    });
    expect(JSON.parse(await readFile(join(dir, suspensionFileName), 'utf8'))).toEqual({ since: '2026-11-27T12:00:00.000Z', reason: 'incident', by: 'ann' });

    const gauge: boolean[] = [];
    const second = suspension(dir, { setSuspended: (on) => gauge.push(on) });
    await second.load();
    expect(second.status).toEqual({ since: '2026-11-27T12:00:00.000Z', reason: 'incident', by: 'ann' });
    expect(await second.resume(undefined)).toEqual({ suspended: null, changed: true, persisted: true });
    expect(resumed).toBe(1);
    expect(gauge).toEqual([true, false]);
    await expect(readFile(join(dir, suspensionFileName))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await second.resume(undefined)).toMatchObject({ changed: false });
    expect(resumed).toBe(1);
  });

  it('reads a file it cannot parse as suspended, and says why', async () => {
    await writeFile(join(dir, suspensionFileName), '{"since": ');
    const torn = suspension();
    await torn.load();
    expect(torn.active).toBe(true);
    expect(torn.status?.reason).toMatch(/^the suspension file .*suspended\.json cannot be read \(.*\): POST \/resume to reconcile again$/);
  });

  it('holds a suspension in memory when the state dir cannot be written, and says it was not persisted', async () => {
    const stateDir = join(dir, 'state');
    await mkdir(stateDir);
    const inMemory = suspension(stateDir);
    await inMemory.load();
    // the volume goes away under the daemon: a file now stands where the state dir was
    await rm(stateDir, { recursive: true });
    await writeFile(stateDir, 'not a folder');
    expect(await inMemory.suspend({}, undefined)).toMatchObject({ changed: true, persisted: false, suspended: { reason: null, by: null } });
    expect(inMemory.active).toBe(true);
  });
});
