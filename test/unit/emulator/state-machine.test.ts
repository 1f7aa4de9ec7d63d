import { describe, expect, test } from '@jest/globals';
import {
  containerActionNames, deleteFor, instanceStates, isActionAvailable, transitionFor, type InstanceState,
} from '../../../src/emulator/state-machine.js';

/** docs/rancher-v1.md#actions-per-state: the container `actions` map per state (running and stopped confirmed by captures). */
const offered: Readonly<Record<InstanceState, readonly string[]>> = {
  requested: ['create', 'remove', 'setlabels'],
  creating: ['error', 'remove', 'setlabels', 'start', 'stop'],
  starting: ['setlabels', 'stop'],
  running: ['execute', 'logs', 'migrate', 'proxy', 'restart', 'setlabels', 'stop', 'update'],
  restarting: ['setlabels', 'stop'],
  'updating-running': ['remove', 'setlabels', 'stop'],
  'updating-stopped': ['remove', 'setlabels', 'stop'],
  stopping: ['logs', 'setlabels'],
  stopped: ['error', 'logs', 'remove', 'setlabels', 'start', 'update'],
  migrating: ['setlabels'],
  erroring: ['remove', 'setlabels'],
  error: ['remove', 'setlabels'],
  removing: ['setlabels'],
  removed: ['purge', 'setlabels'],
  purging: ['setlabels'],
  purged: ['setlabels'],
  restoring: ['setlabels'],
};

/** docs/rancher-v1.md#process-start-states, #lifecycle: the first transitioning state and the resting state of each process. */
const sequence = (action: string, state: InstanceState): [InstanceState, InstanceState] => {
  switch (action) {
    case 'create': return ['creating', 'running'];
    case 'start': return ['starting', 'running'];
    case 'stop': return ['stopping', 'stopped'];
    case 'restart': return ['restarting', 'running'];
    case 'remove': return ['removing', 'removed'];
    case 'purge': return ['purging', 'purged'];
    case 'update': return state === 'running' ? ['updating-running', 'running'] : ['updating-stopped', 'stopped'];
    case 'migrate': return ['migrating', 'running'];
    case 'error': return ['erroring', 'error'];
    default: throw new Error(`no sequence for ${action}`);
  }
};

const nonProcess = new Set(['logs', 'execute', 'proxy', 'setlabels']);

const rows = instanceStates.flatMap((state) =>
  [...containerActionNames, 'explode'].map((action) => [`${state} x ${action}`, state, action] as const));

describe('state machine table (every state x action)', () => {
  test.each(rows)('%s', (_name, state, action) => {
    const result = transitionFor(state, action);
    if (action === 'explode') {
      expect(result).toEqual({ kind: 'invalid-action' });
    } else if (!offered[state].includes(action)) {
      expect(result).toEqual({ kind: 'not-available' });
      expect(isActionAvailable(state, action)).toBe(false);
    } else if (nonProcess.has(action)) {
      expect(result).toEqual({ kind: 'non-process' });
    } else {
      const [first, final] = sequence(action, state);
      expect(result.kind).toBe('process');
      if (result.kind !== 'process') return;
      expect(result.transition.steps[0]).toBe(first);
      expect(result.transition.final).toBe(final);
      expect(result.transition.failed).toBe(false);
    }
  });
});

describe('sequences (docs/rancher-v1.md#lifecycle)', () => {
  test.each<[string, InstanceState, string, Parameters<typeof transitionFor>[2], InstanceState[], InstanceState, boolean]>([
    ['create starts by default', 'requested', 'create', {}, ['creating', 'starting'], 'running', false],
    ['create with startOnCreate false rests stopped', 'requested', 'create', { startOnCreate: false }, ['creating'], 'stopped', false],
    ['stop rests stopped', 'running', 'stop', {}, ['stopping'], 'stopped', false],
    ['stop with remove chains removing and skips stopped', 'running', 'stop', { remove: true }, ['stopping', 'removing'], 'removed', false],
    ['restart goes through stopping and starting', 'running', 'restart', {}, ['restarting', 'stopping', 'starting'], 'running', false],
    ['a failed start of a create ends in error', 'requested', 'create', { startFails: true }, ['creating', 'starting', 'stopping', 'erroring'], 'error', true],
    ['a later failed start returns to stopped', 'stopped', 'start', { startFails: true }, ['starting', 'stopping'], 'stopped', true],
    ['update of a stopped container', 'stopped', 'update', {}, ['updating-stopped'], 'stopped', false],
  ])('%s', (_rule, state, action, options, steps, final, failed) => {
    expect(transitionFor(state, action, options)).toEqual({ kind: 'process', transition: { steps, final, failed } });
  });

  test.each<[InstanceState, ReturnType<typeof deleteFor>]>([
    ['stopped', 'remove'],
    ['error', 'remove'],
    ['creating', 'remove'],
    ['running', 'stop-remove'],
    ['starting', 'stop-remove'],
    ['restarting', 'stop-remove'],
    ['removed', 'already-removed'],
    ['purged', 'already-removed'],
    ['stopping', 'refused'],
    ['migrating', 'refused'],
  ])('DELETE in %s does %s', (state, expected) => {
    expect(deleteFor(state)).toBe(expected);
  });
});
