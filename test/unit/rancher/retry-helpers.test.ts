import { describe, expect, test } from '@jest/globals';
import type { LiveInstance } from '../../../src/domain/instance.js';
import { actionTookEffect, restartOutcome, type ContainerAction } from '../../../src/rancher/action-effects.js';
import { retryDelayMs } from '../../../src/rancher/retry-delay.js';
import { normalizeRoute } from '../../../src/rancher/route.js';

const options = { baseMs: 200, maxMs: 5000, maxRetryAfterMs: 60000 };

describe('retryDelayMs', () => {
  test.each<[string, number, number | undefined, number, number]>([
    ['first retry with no jitter draw is half the base', 1, undefined, 0, 100],
    ['first retry with the top jitter draw is the base', 1, undefined, 0.999999, 200],
    ['doubles per attempt', 3, undefined, 0.999999, 800],
    ['is capped at maxMs', 20, undefined, 0.999999, 5000],
    ['at the cap the shortest delay is two thirds of maxMs (the common formula caps centre and result alike)', 20, undefined, 0, 3333],
    ['a server delay of zero is honoured', 3, 0, 0.5, 0],
    ['Retry-After wins over backoff', 1, 1000, 0.5, 1000],
    ['Retry-After is capped', 1, 3_600_000, 0.5, 60000],
  ])('%s', (_rule, attempt, retryAfterMs, draw, expected) => expect(retryDelayMs(attempt, retryAfterMs, options, () => draw)).toBe(expected));
});

describe('normalizeRoute', () => {
  test.each<[string, string, string]>([
    ['a collection', 'http://h/v1/containers?limit=100&marker=m100', '/v1/containers'],
    ['a resource id becomes :id', 'http://h/v1/containers/1i42', '/v1/containers/:id'],
    ['an action keeps its name', 'http://h/v1/containers/1i42/?action=stop', '/v1/containers/:id?action=stop'],
    ['the project prefix is dropped', 'http://h/v1/projects/1a5/containers/1i7', '/v1/containers/:id'],
    ['a filter value never appears', 'http://h/v1/containers?name=secret-app', '/v1/containers'],
  ])('%s', (_rule, url, expected) => expect(normalizeRoute(new URL(url))).toBe(expected));
});

function live(state: string, removed = false): LiveInstance {
  return { id: '1i1', uuid: null, name: 'a', description: null, state, transitioning: 'no', transitioningMessage: null, actions: new Set(), hostId: null, externalId: null, removed, createdMs: null, fields: {} };
}

describe('actionTookEffect', () => {
  const start: ContainerAction = { name: 'start' };
  const stop: ContainerAction = { name: 'stop', remove: false };
  const stopRemove: ContainerAction = { name: 'stop', remove: true };
  const restart: ContainerAction = { name: 'restart' };
  const remove: ContainerAction = { name: 'remove' };
  test.each<[string, ContainerAction, LiveInstance | undefined, boolean]>([
    ['start landed when starting', start, live('starting'), true],
    ['start landed when running', start, live('running'), true],
    ['start did not land when still stopped', start, live('stopped'), false],
    ['stop landed when stopping', stop, live('stopping'), true],
    ['stop did not land when running', stop, live('running'), false],
    ['stop{remove} landed when removing', stopRemove, live('removing', true), true],
    ['stop{remove} landed when the resource is gone', stopRemove, undefined, true],
    ['restart landed when restarting', restart, live('restarting'), true],
    ['restart landed when stopping', restart, live('stopping'), true],
    ['a restart whose outcome is unknown (running, settled) counts as landed: never two restarts', restart, live('running'), true],
    ['restart did not land when the container is stopped', restart, live('stopped'), false],
    ['remove landed when removed', remove, live('removed', true), true],
    ['remove landed when the resource is gone', remove, undefined, true],
    ['remove did not land when stopped', remove, live('stopped'), false],
    ['start on a missing resource did not land', start, undefined, false],
  ])('%s', (_rule, action, instance, expected) => expect(actionTookEffect(action, instance)).toBe(expected));
});

describe('restartOutcome (after a lost restart answer)', () => {
  const at = (state: string, startCount?: number): LiveInstance => ({ ...live(state, false), ...(startCount === undefined ? {} : { startCount }) });
  test.each<[string, LiveInstance | undefined, number | undefined, 'landed' | 'unknown']>([
    ['still restarting: landed', at('restarting', 3), 3, 'landed'],
    ['stopping or starting on the way: landed', at('starting', 3), 3, 'landed'],
    ['running with a higher startCount: landed', at('running', 4), 3, 'landed'],
    ['running with the same startCount: unknown (never arrived, or not yet)', at('running', 3), 3, 'unknown'],
    ['no count from before: running counts as landed (never sent twice)', at('running', 3), undefined, 'landed'],
    ['gone: unknown', undefined, 3, 'unknown'],
  ])('%s', (_rule, instance, before, expected) => expect(restartOutcome(instance, before)).toBe(expected));
});
