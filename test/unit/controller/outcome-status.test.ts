import { describe, expect, test } from '@jest/globals';
import { ApiError, ReconcilerError } from '../../../src/errors.js';
import { failureStatus, outcomeStatus } from '../../../src/controller/outcome-status.js';
import type { ReconcileOutcome } from '../../../src/controller/reconciler.js';

const context = { revision: 'r1', nextRetryAt: '2026-11-27T12:00:01.000Z' };

describe('outcomeStatus', () => {
  test.each<[string, ReconcileOutcome, Record<string, unknown>]>([
    ['in sync', { plan: { kind: 'in-sync' }, instanceId: '1i1', desired: undefined, notes: [] }, { phase: 'in-sync', reason: 'InSync', nextRetryAt: null }],
    ['orphan kept without --prune', { plan: { kind: 'in-sync', note: 'orphan-kept' }, instanceId: '1i1', desired: undefined, notes: [] }, { phase: 'in-sync', reason: 'OrphanKept' }],
    [
      'waiting for a transition',
      { plan: { kind: 'wait', reason: 'transitioning', message: '1i1 is starting' }, instanceId: '1i1', desired: undefined, notes: [] },
      { phase: 'waiting', reason: 'Transitioning', message: '1i1 is starting', nextRetryAt: context.nextRetryAt },
    ],
    [
      'a wait past its deadline fails',
      { plan: { kind: 'wait', reason: 'transitioning', message: '1i1 is starting' }, instanceId: '1i1', desired: undefined, notes: [], overdueMs: 700_000 },
      { phase: 'failed', reason: 'WaitTimeout', message: 'still waiting after 700s: 1i1 is starting' },
    ],
    [
      'blocked lists the changed fields',
      { plan: { kind: 'blocked', reason: 'immutable-field-changed', message: 'create-only fields changed: imageUuid', changes: [{ field: 'imageUuid', from: 'docker:a', to: 'docker:b' }] }, instanceId: '1i1', desired: undefined, notes: [] },
      { phase: 'blocked', reason: 'ImmutableFieldChanged', message: "create-only fields changed: imageUuid: imageUuid: 'docker:a' -> 'docker:b'", nextRetryAt: null },
    ],
    [
      'an action is progressing and becomes the last action',
      { plan: { kind: 'act', actions: [{ kind: 'stop', id: '1i1', timeout: 5 }], changes: [{ field: 'state', from: 'running', to: 'stopped' }] }, instanceId: '1i1', desired: undefined, notes: [] },
      { phase: 'progressing', reason: 'Stopping', lastAction: 'stop', message: "stop 1i1 (timeout 5s): state: 'running' -> 'stopped'" },
    ],
  ])('%s', (_rule, outcome, expected) => {
    expect(outcomeStatus(outcome, context)).toMatchObject({ id: '1i1', revision: 'r1', attempts: 0, ...expected });
  });
});

describe('failureStatus', () => {
  const unavailable = new ApiError('ERR_API_UNAVAILABLE', 'GET /v1/containers failed: 503', { method: 'GET', url: 'http://x/v1' }, { retryable: true });
  const invalid = new ApiError('ERR_API_UNPROCESSABLE', 'POST /v1/containers failed: 422 InvalidOption (networkMode)', { method: 'POST', url: 'http://x/v1' }, { retryable: false });
  test.each<[string, Error, number, Record<string, unknown>]>([
    ['a retryable failure below the retry count keeps progressing', unavailable, 1, { phase: 'progressing', reason: 'ApiErrorRetrying', attempts: 1 }],
    ['a retryable failure at the retry count is failed', unavailable, 5, { phase: 'failed', reason: 'ApiErrorRetrying', attempts: 5 }],
    ['a non-retryable API failure is failed at once', invalid, 0, { phase: 'failed', reason: 'ApiError', attempts: 1, message: 'ERR_API_UNPROCESSABLE: POST /v1/containers failed: 422 InvalidOption (networkMode)' }],
    ['another typed error', new ReconcilerError('ERR_INVENTORY_IO', 'disk full'), 0, { phase: 'failed', reason: 'Error' }],
    ['an unexpected error', new Error('boom'), 0, { phase: 'failed', reason: 'InternalError', message: 'boom' }],
  ])('%s', (_rule, error, attempts, expected) => {
    expect(failureStatus(error, { ...context, attempts, errorRetries: 5, instanceId: null })).toMatchObject(expected);
  });
});
