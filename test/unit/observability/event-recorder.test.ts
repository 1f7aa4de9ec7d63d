/**
 * The recorder's mapping, one row per signal: feed ControllerEvents, read the journal.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { ControllerEvents } from '../../../src/controller/events.js';
import { ReconcilerError } from '../../../src/errors.js';
import type { Action } from '../../../src/domain/plan.js';
import { EventJournal } from '../../../src/observability/event-journal.js';
import type { EventCommit } from '../../../src/observability/event-model.js';
import { EventRecorder } from '../../../src/observability/event-recorder.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const commit: EventCommit = { sha: '9f1c2e7a4b3d5c6e8f90a1b2c3d4e5f607182930', subject: 'web: two more workers', author: 'Ann <ann@example.com>' };

describe('EventRecorder', () => {
  let clock: ManualClock;
  let events: ControllerEvents;
  let journal: EventJournal;
  let revision: string | null;

  beforeEach(() => {
    clock = new ManualClock();
    const { log } = captureLogger('debug');
    events = new ControllerEvents({ log });
    journal = new EventJournal({ capacity: 100, clock, log });
    revision = 'main@sha1:9f1c';
    new EventRecorder({ events, journal, clock, revision: () => revision, commitOf: (r) => (r === 'main@sha1:9f1c' ? commit : undefined) }).start();
  });

  const start: Action = { kind: 'start', key: 'web-1', id: '1i1' } as Action;
  const finished = (overrides: Partial<Parameters<ControllerEvents['emit']>[1] & object> = {}) =>
    events.emit('reconcile:finished', { key: 'web-1', plan: undefined, phase: 'progressing', action: undefined, error: undefined, durationMs: 12, instanceId: '1i1', ...overrides } as never);

  it('records a new revision as seen and applied, with the git commit', () => {
    const seenAtMs = clock.now();
    clock.advance(800);
    events.emit('revision:seen', { revision: 'main@sha1:9f1c', seenAtMs, complete: true, changed: 2, issues: 0 });
    expect(journal.list()).toEqual([
      expect.objectContaining({ kind: 'revision-seen', severity: 'info', key: null, revision: 'main@sha1:9f1c', reason: 'RevisionSeen', commit,
        message: 'new revision main@sha1:9f1c: web: two more workers' }),
      expect.objectContaining({ kind: 'revision-applied', severity: 'info', reason: 'Applied', durationMs: 800, commit,
        message: 'revision main@sha1:9f1c handed to the controller: 2 instances changed' }),
    ]);
  });

  it('warns when an incomplete tree is applied, and names no commit for a folder revision', () => {
    events.emit('revision:seen', { revision: 'sha256:abc', seenAtMs: clock.now(), complete: false, changed: 1, issues: 3 });
    const applied = journal.list({ kinds: ['revision-applied'] })[0];
    expect(applied).toMatchObject({ severity: 'warning', reason: 'AppliedIncomplete', message: expect.stringContaining('(3 issues): removals are frozen') });
    expect(applied).not.toHaveProperty('commit');
  });

  it('records a converged revision with its duration', () => {
    events.emit('revision:converged', { revision: 'main@sha1:9f1c', durationMs: 4200 });
    expect(journal.list()[0]).toMatchObject({ kind: 'revision-converged', severity: 'info', durationMs: 4200, reason: 'Converged', commit });
  });

  it('records a pass that ran an action as action-succeeded with the action and the Rancher id', () => {
    finished({ action: start });
    expect(journal.list()).toEqual([expect.objectContaining({ kind: 'action-succeeded', severity: 'info', key: 'web-1', instanceId: '1i1', revision: 'main@sha1:9f1c',
      action: 'start', reason: 'Started', message: 'start 1i1', durationMs: 12 })]);
  });

  it('records nothing for a pass that neither acted nor failed', () => {
    finished({ phase: 'in-sync', plan: { kind: 'in-sync' } });
    expect(journal.list()).toEqual([]);
  });

  it('records a failed pass as a warning while it retries and an error when it will not', () => {
    finished({ error: new ReconcilerError('ERR_API_SERVER', 'Rancher answered 503', { retryable: true }) });
    finished({ error: new ReconcilerError('ERR_API_UNAUTHORIZED', 'Rancher rejected the credentials (401)') });
    expect(journal.list().map((e) => [e.kind, e.severity, e.reason, e.message])).toEqual([
      ['action-failed', 'warning', 'ErrorRetrying', 'ERR_API_SERVER: Rancher answered 503'],
      ['action-failed', 'error', 'Error', 'ERR_API_UNAUTHORIZED: Rancher rejected the credentials (401)'],
    ]);
  });

  it('records drift, then drift-healed once the key is in sync again', () => {
    events.emit('drift:detected', { key: 'web-1', instanceId: '1i1', action: 'start' });
    finished({ action: start, plan: { kind: 'act', actions: [start] } as never });
    clock.advance(3000);
    finished({ phase: 'in-sync', plan: { kind: 'in-sync' } });
    finished({ phase: 'in-sync', plan: { kind: 'in-sync' } });
    expect(journal.list().map((e) => e.kind)).toEqual(['drift-detected', 'action-succeeded', 'drift-healed']);
    expect(journal.list()[0]).toMatchObject({ severity: 'warning', action: 'start', reason: 'Drifted' });
    expect(journal.list()[2]).toMatchObject({ severity: 'info', key: 'web-1', durationMs: 3000, reason: 'DriftHealed' });
  });

  it('records blocked and failed phases with their reason and message, but not refused removals', () => {
    const phase = (p: 'blocked' | 'failed' | 'in-sync', reason: string) =>
      events.emit('phase:changed', { key: 'db', instanceId: '1i7', phase: p, previousPhase: 'in-sync', reason, message: `${reason} message`, revision: 'r' });
    phase('blocked', 'ImmutableFieldChanged');
    phase('failed', 'ApiError');
    phase('blocked', 'OverDeleteBudget');
    phase('in-sync', 'InSync');
    expect(journal.list().map((e) => [e.kind, e.severity, e.key, e.instanceId, e.reason, e.message])).toEqual([
      ['instance-blocked', 'warning', 'db', '1i7', 'ImmutableFieldChanged', 'ImmutableFieldChanged message'],
      ['instance-failed', 'error', 'db', '1i7', 'ApiError', 'ApiError message'],
    ]);
  });

  it('records refused removals and removed twins', () => {
    events.emit('removals:refused', { revision: 'r2', count: 3, budget: 1, reason: 'over-budget', message: '3 removals exceed the delete budget of 1: nothing is removed', keys: ['a', 'b', 'c'] });
    events.emit('twin:removed', { key: 'web-1', instanceId: '1i9' });
    expect(journal.list()).toEqual([
      expect.objectContaining({ kind: 'removals-refused', severity: 'warning', revision: 'r2', reason: 'OverDeleteBudget', message: '3 removals exceed the delete budget of 1: nothing is removed (would remove a, b, c)' }),
      expect.objectContaining({ kind: 'twin-removed', severity: 'warning', key: 'web-1', instanceId: '1i9', action: 'remove', reason: 'SurplusTwinRemoved' }),
    ]);
  });

  it('records the git source turning not ready and ready again, with the revision kept', () => {
    events.emit('source:condition', { ready: false, reason: 'host-key', message: 'Host key verification failed.', keeping: 'main@sha1:9f1c' });
    events.emit('source:condition', { ready: true, reason: null, message: 'git source ready again (failing since 2026-11-27T12:00:00.000Z)', keeping: 'main@sha1:9f1c' });
    expect(journal.list().map((e) => [e.kind, e.severity, e.reason, e.revision, e.message])).toEqual([
      ['source-not-ready', 'warning', 'GitHostKey', 'main@sha1:9f1c', 'Host key verification failed.; keeping main@sha1:9f1c'],
      ['source-ready', 'info', 'GitReady', 'main@sha1:9f1c', 'git source ready again (failing since 2026-11-27T12:00:00.000Z)'],
    ]);
  });

  it('records rejected credentials once per change of the API condition', () => {
    const api = (condition: 'ok' | 'unauthorized' | 'unreachable', message: string, status?: number) =>
      events.emit('api:condition', { api: { condition, message, since: null, ...(status === undefined ? {} : { status }) }, error: undefined });
    api('unauthorized', 'Rancher rejected the credentials (401)', 401);
    api('unauthorized', 'Rancher rejected the credentials (401)', 401);
    api('unauthorized', 'Rancher rejected the credentials (403)', 403);
    api('unreachable', 'Rancher unreachable: ECONNREFUSED');
    api('ok', 'no Rancher API call has failed');
    api('unauthorized', 'Rancher rejected the credentials (401)', 401);
    expect(journal.list().map((e) => [e.kind, e.severity, e.reason])).toEqual([
      ['credentials-rejected', 'error', 'Unauthorized'],
      ['credentials-rejected', 'error', 'Forbidden'],
      ['credentials-rejected', 'error', 'Unauthorized'],
    ]);
  });
});
