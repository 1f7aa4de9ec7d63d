import { describe, expect, test } from '@jest/globals';
import { diff, type DiffInput } from '../../../src/domain/diff.js';
import type { Plan } from '../../../src/domain/plan.js';
import { aDesiredInstance, aLiveInstanceIn, anInventoryEntry, liveStates, type LiveState } from '../../helpers/builders.js';

/** A compact view of a plan: its kind, then the first action (with `via` for removals) or the reason. */
function summary(plan: Plan): string {
  switch (plan.kind) {
    case 'in-sync':
      return plan.inventory?.kind === 'forget' ? 'in-sync forget' : 'in-sync';
    case 'wait':
    case 'blocked':
      return `${plan.kind} ${plan.reason}`;
    case 'act': {
      const first = plan.actions[0];
      return `act ${first.kind}${first.kind === 'remove' ? ` via ${first.via}` : ''}`;
    }
  }
}

const owned = (state: LiveState): DiffInput['owned'] => ({ entry: anInventoryEntry(), live: aLiveInstanceIn(state) });

// Every live state of docs/rancher-v1.md#states, against: desired running, desired stopped, and an orphan with removal allowed.
const table: ReadonlyArray<[LiveState, string, string, string]> = [
  ['requested', 'wait transitioning', 'wait transitioning', 'act remove via remove'],
  ['creating', 'wait transitioning', 'wait transitioning', 'wait transitioning'],
  ['starting', 'wait transitioning', 'wait transitioning', 'wait transitioning'],
  ['running', 'in-sync', 'act stop', 'act remove via stop'],
  ['restarting', 'wait transitioning', 'wait transitioning', 'wait transitioning'],
  ['updating-running', 'wait transitioning', 'wait transitioning', 'wait transitioning'],
  ['stopping', 'wait transitioning', 'wait transitioning', 'wait transitioning'],
  ['stopped', 'act start', 'in-sync', 'act remove via remove'],
  ['updating-stopped', 'wait transitioning', 'wait transitioning', 'wait transitioning'],
  ['migrating', 'wait transitioning', 'wait transitioning', 'wait transitioning'],
  ['erroring', 'wait transitioning', 'wait transitioning', 'wait transitioning'],
  ['error', 'blocked live-in-error', 'blocked live-in-error', 'act remove via remove'],
  ['removing', 'wait transitioning', 'wait transitioning', 'wait transitioning'],
  ['removed', 'act create', 'act create', 'in-sync forget'],
  ['purging', 'act create', 'act create', 'in-sync forget'],
  ['purged', 'act create', 'act create', 'in-sync forget'],
];

describe('diff: every Rancher live state (docs/rancher-v1.md#states)', () => {
  test('the table covers every state exactly once', () => {
    expect(table.map(([state]) => state)).toEqual([...liveStates]);
  });

  test.each(table)('owned instance in %s: running desired -> %s, stopped desired -> %s, pruned -> %s', (state, running, stopped, pruned) => {
    expect(summary(diff({ key: 'web-1', desired: aDesiredInstance(), owned: owned(state), named: [] }))).toBe(running);
    expect(summary(diff({ key: 'web-1', desired: aDesiredInstance({ state: 'stopped' }), owned: owned(state), named: [] }))).toBe(stopped);
    expect(summary(diff({ key: 'web-1', desired: undefined, owned: owned(state), named: [], removal: 'allowed' }))).toBe(pruned);
  });

  test.each(liveStates.filter((s) => !['removing', 'removed', 'purging', 'purged'].includes(s)))(
    'an unowned instance in %s with the declared name is adopted',
    (state) => {
      const plan = diff({ key: 'web-1', desired: aDesiredInstance(), named: [aLiveInstanceIn(state)] });
      expect(plan.inventory).toEqual({ kind: 'adopt', record: { key: 'web-1', id: '1i1', uuid: 'uuid-1i1', name: 'web-1', origin: 'adopted' } });
    },
  );

  test.each(['transitioning', 'stopped', 'running'] as const)('never plans an action the live actions map does not offer (%s, empty map)', (kind) => {
    const live =
      kind === 'transitioning'
        ? aLiveInstanceIn('starting', { actions: [] })
        : aLiveInstanceIn(kind, { actions: [] });
    const wants = kind === 'running' ? aDesiredInstance({ state: 'stopped' }) : aDesiredInstance();
    const plan = diff({ key: 'web-1', desired: wants, owned: { entry: anInventoryEntry(), live }, named: [] });
    expect(plan.kind).toBe('wait');
  });
});
