/**
 * How suspended and protected keys are reported and counted: their status (outcome-status.ts), the
 * delete budget (prune-budget.ts: a protected orphan is no planned removal) and `plan` (plan-report.ts,
 * plan-text.ts).
 */
import { describe, expect, test } from '@jest/globals';
import { outcomeStatus } from '../../../src/controller/outcome-status.js';
import { buildPlanReport, hasChanges, planProblems } from '../../../src/controller/plan-report.js';
import { renderPlanText } from '../../../src/controller/plan-text.js';
import { decideRevisionRemovals, removalPolicyFor } from '../../../src/controller/prune-budget.js';
import type { ReconcileOutcome } from '../../../src/controller/reconciler.js';
import { StaticLiveView } from '../../../src/controller/static-live-view.js';
import type { InventoryEntry } from '../../../src/domain/plan.js';
import { aDesiredInstance, aDesiredReader, aLiveInstance, anInventoryEntry } from '../../helpers/builders.js';
import { captureLogger } from '../../helpers/log-sink.js';

const context = { revision: 'r1', nextRetryAt: null };
const outcome = (note: 'suspended' | 'daemon-suspended' | 'protected', liveState?: string): ReconcileOutcome => ({
  plan: { kind: 'in-sync', note, notices: note === 'protected' ? [] : ['suspended: would start 1i1'] },
  instanceId: '1i1',
  desired: undefined,
  notes: [],
  ...(liveState === undefined ? {} : { liveState }),
});

describe('the status of a held or protected key', () => {
  test.each<[string, ReconcileOutcome, Record<string, unknown>]>([
    [
      'spec.suspend: phase suspended, with the live state and what a resume would do',
      outcome('suspended', 'stopped'),
      { phase: 'suspended', reason: 'Suspended', message: 'spec.suspend is true: no action is taken (1i1 is stopped)', notices: ['suspended: would start 1i1'] },
    ],
    [
      'a suspended daemon: phase suspended, reason DaemonSuspended',
      outcome('daemon-suspended', 'stopped'),
      { phase: 'suspended', reason: 'DaemonSuspended', message: 'the daemon is suspended (POST /resume ends it): no action is taken (1i1 is stopped)' },
    ],
    ['a protected orphan is in sync, kept', outcome('protected'), { phase: 'in-sync', reason: 'PruneProtected', message: 'manifest removed; instance kept: spec.prune is false' }],
  ])('%s', (_rule, given, expected) => expect(outcomeStatus(given, context)).toMatchObject(expected));
});

describe('the delete budget counts no protected orphan', () => {
  const desired = { get: () => undefined, blockedBy: () => undefined, keys: () => [], complete: true };
  const owned = [
    { key: 'a', name: 'a' },
    { key: 'b', name: 'b', protected: true },
    { key: 'c', name: 'c', protected: true },
  ];

  test('two protected orphans and one other fit a budget of 1: only the other is a removal', () => {
    const { orphans, decision } = decideRevisionRemovals({ desired, owned, prune: true, maxDelete: 1 });
    expect(orphans).toEqual(['a']);
    expect(decision).toEqual({ kind: 'allowed', keys: ['a'] });
    // the protected keys are not in the decided set; diff keeps them whatever their policy says
    expect(removalPolicyFor(decision, 'b')).toBe('next-revision');
  });

  test('without the protection the same revision is over budget and removes nothing', () => {
    const { decision } = decideRevisionRemovals({ desired, owned: owned.map(({ key, name }) => ({ key, name })), prune: true, maxDelete: 1 });
    expect(decision).toMatchObject({ kind: 'refused', reason: 'over-budget', count: 3 });
  });
});

describe('plan lists suspended and kept instances, as no change and no problem', () => {
  const entries: InventoryEntry[] = [anInventoryEntry({ key: 'old', id: '1i2', uuid: 'uuid-1i2', name: 'old', prune: false }), anInventoryEntry()];
  const inventory = {
    get: (key: string) => entries.find((e) => e.key === key),
    ownerOf: (id: string) => entries.find((e) => e.id === id)?.key,
    entries: () => entries,
  };
  const live = new StaticLiveView([aLiveInstance({ description: 'old' }), aLiveInstance({ id: '1i2', uuid: 'uuid-1i2', name: 'old' })]);
  const api = { get: () => Promise.reject(new Error('no GET expected')), findByName: () => Promise.resolve([]) };

  test('a suspended change is held and the protected orphan kept, with --prune', async () => {
    const desired = aDesiredReader([aDesiredInstance({ suspend: true, spec: { description: 'new' } })]);
    const report = await buildPlanReport({ desired, inventory, live, api, prune: true, maxDelete: undefined, log: captureLogger().log });
    expect(report.changes.map((c) => [c.name, c.action, c.reason, c.steps.length, c.notices])).toEqual([
      ['old', 'kept', 'spec.prune is false', 0, []],
      ['web-1', 'suspended', 'spec.suspend', 0, ['suspended: would update 1i1 (description)']],
    ]);
    expect(report.summary).toMatchObject({ suspended: 1, kept: 1, inSync: 0, remove: 0, update: 0 });
    expect(hasChanges(report)).toBe(false);
    expect(planProblems(report)).toEqual([]);
    const text = renderPlanText(report);
    expect(text).toContain('= old: kept (spec.prune is false)\n');
    expect(text).toContain('= web-1: suspended (spec.suspend)\n    note: suspended: would update 1i1 (description)\n');
    expect(text).toContain('0 in sync, 1 suspended (spec.suspend), 1 kept (spec.prune: false).');
  });
});
