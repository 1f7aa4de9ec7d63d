/**
 * The daemon's one face over its environments (app/daemon-status.ts): `/readyz` with `--ready-when all`
 * and `any`, the reasons prefixed by the environment when the config file lists environments, liveness
 * failing when any environment's loop is wedged, and POST /reconcile reaching every environment.
 */
import { describe, expect, it, test } from '@jest/globals';
import { daemonStatus, type NamedStatus } from '../../../src/app/daemon-status.js';
import type { EnvironmentStatusSource } from '../../../src/domain/status.js';
import { anEmptyStatusDocument } from '../../helpers/builders.js';

function environment(name: string, reasons: string[], health: { ok: boolean; reason?: string } = { ok: true }): NamedStatus & { reconciles: () => number } {
  let reconciles = 0;
  const status: EnvironmentStatusSource = {
    status: () => ({ ...anEmptyStatusDocument(), ready: reasons.length === 0 }),
    health: () => health,
    readiness: () => ({ ready: reasons.length === 0, reasons }),
    requestReconcile: () => {
      reconciles += 1;
    },
  };
  return { name, status, reconciles: () => reconciles };
}

describe('the daemon status of several environments', () => {
  test.each<[string, 'all' | 'any', boolean, string[][], boolean, string[]]>([
    ['all ready', 'all', true, [[], []], true, []],
    ['one not ready, all: not ready, its reasons named', 'all', true, [[], ['Rancher rejected the credentials (401)']], false, ['prod: Rancher rejected the credentials (401)']],
    ['one not ready, any: ready', 'any', true, [[], ['manifests not read yet']], true, []],
    ['none ready, any: not ready, every reason', 'any', true, [['a'], ['b', 'c']], false, ['dev: a', 'prod: b', 'prod: c']],
    ['the flags\' one environment: reasons as they always read', 'all', false, [['manifests not read yet']], false, ['manifests not read yet']],
  ])('%s', (_case, readyWhen, named, reasons, ready, expected) => {
    const environments = reasons.map((list, index) => environment(['dev', 'prod'][index] ?? 'x', list));
    const source = daemonStatus({ environments, readyWhen, named });
    expect(source.readiness()).toEqual({ ready, reasons: expected });
    const doc = source.status();
    expect(doc.ready).toBe(ready);
    expect(doc.notReady).toEqual(environments.filter((_e, index) => (reasons[index] ?? []).length > 0).map((e) => e.name));
    expect(doc.environments.map((e) => e.name)).toEqual(environments.map((e) => e.name));
  });

  it('is unhealthy when any environment\'s loop is wedged, naming it', () => {
    const source = daemonStatus({ environments: [environment('dev', []), environment('prod', [], { ok: false, reason: 'no progress for 120 s' })], readyWhen: 'all', named: true });
    expect(source.health()).toEqual({ ok: false, reason: 'prod: no progress for 120 s' });
  });

  it('asks every environment for a reconcile', () => {
    const environments = [environment('dev', []), environment('prod', [])];
    daemonStatus({ environments, readyWhen: 'all', named: true }).requestReconcile();
    expect(environments.map((e) => e.reconciles())).toEqual([1, 1]);
  });
});
