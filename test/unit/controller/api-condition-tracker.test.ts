import { describe, expect, it } from '@jest/globals';
import { ApiConditionTracker } from '../../../src/controller/api-condition-tracker.js';
import { ControllerEvents, type ControllerEventMap } from '../../../src/controller/events.js';
import { initialApiStatus } from '../../../src/domain/status.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { toApiError } from '../../../src/rancher/api-errors.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const listUrl = 'http://rancher.example:8080/v1/containers?limit=1000';
const unauthorized = () => toApiError({ kind: 'status', status: 401, body: '' }, { method: 'GET', url: listUrl });
const serverError = (status = 500) => toApiError({ kind: 'status', status, body: '' }, { method: 'POST', url: 'http://rancher.example:8080/v1/containers' });
const refused = (port: number) =>
  toApiError({ kind: 'network', detail: 'ECONNREFUSED' }, { method: 'GET', url: listUrl }, Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: 'ECONNREFUSED' }));

/** A list source the test drives: `list(error?)` is one full list of the live cache. */
class ScriptedLists {
  readonly #listeners = new Set<(error: Error | undefined) => void>();
  onList(listener: (error: Error | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  list(error?: Error): void {
    for (const listener of this.#listeners) listener(error);
  }
}

function setup() {
  const clock = new ManualClock();
  const { log, sink } = captureLogger('debug');
  const events = new ControllerEvents({ log });
  const metrics = createMetrics({ defaultMetrics: false });
  const tracker = new ApiConditionTracker({ clock, log, events, metrics });
  const live = new ScriptedLists();
  tracker.watch({ live, events });
  const changes: ControllerEventMap['api:condition'][] = [];
  events.on('api:condition', (event) => changes.push(event));
  const conditionLines = () => sink.lines.filter((l) => l.msg === 'Rancher API failing' || l.msg === 'Rancher API reachable again');
  return { clock, sink, events, metrics, tracker, live, changes, conditionLines };
}

describe('ApiConditionTracker', () => {
  it('starts ok, with no failure seen and the ok gauge set', async () => {
    const { tracker, metrics } = setup();
    expect(tracker.status).toEqual(initialApiStatus);
    expect(tracker.notReadyReason(false)).toBeUndefined();
    const text = await metrics.render();
    expect(text).toContain('rancher_reconciler_api_condition{condition="ok"} 1');
    expect(text).toContain('rancher_reconciler_api_condition{condition="unauthorized"} 0');
  });

  it('logs, counts and announces a condition once however often it repeats, and its end once', async () => {
    const { clock, tracker, live, metrics, changes, conditionLines } = setup();
    const started = clock.now();
    for (let retry = 0; retry < 5; retry++) {
      live.list(unauthorized());
      clock.advance(1000);
    }
    expect(tracker.status).toEqual({ condition: 'unauthorized', message: 'Rancher rejected the credentials (401)', since: new Date(started).toISOString(), status: 401, code: 'ERR_API_UNAUTHORIZED' });
    expect(tracker.notReadyReason(false)).toBe('Rancher rejected the credentials (401)');
    expect(tracker.notReadyReason(true)).toBe('Rancher rejected the credentials (401)');
    const gauge = await metrics.render();
    expect(gauge).toContain('rancher_reconciler_api_condition{condition="unauthorized"} 1');
    expect(gauge).toContain('rancher_reconciler_api_condition{condition="ok"} 0');
    expect(conditionLines()).toEqual([
      expect.objectContaining({
        level: 'error',
        condition: 'unauthorized',
        previous: 'ok',
        reason: 'Rancher rejected the credentials (401)',
        err: expect.objectContaining({ code: 'ERR_API_UNAUTHORIZED', message: 'GET /v1/containers failed: 401' }),
        http: { method: 'GET', url: listUrl, status: 401 },
      }),
    ]);
    expect(changes.map((c) => c.api.condition)).toEqual(['unauthorized']);

    live.list(undefined);
    expect(tracker.status).toEqual({ condition: 'ok', message: 'Rancher API reachable', since: new Date(clock.now()).toISOString() });
    expect(conditionLines()[1]).toEqual(expect.objectContaining({ level: 'info', msg: 'Rancher API reachable again', condition: 'ok', previous: 'unauthorized', durationMs: 5000 }));
    expect(await metrics.render()).toContain('rancher_reconciler_api_condition{condition="ok"} 1');
    live.list(undefined);
    expect(conditionLines()).toHaveLength(2);
    expect(changes.map((c) => c.api.condition)).toEqual(['unauthorized', 'ok']);
    expect(changes[1]?.error).toBeUndefined();
  });

  it('keeps `since` and stays quiet in the log when only the cause changes, but announces the new message', () => {
    const { clock, tracker, live, changes, conditionLines } = setup();
    live.list(refused(1));
    const since = tracker.status.since;
    clock.advance(500);
    live.list(refused(2));
    expect(tracker.status).toEqual(expect.objectContaining({ condition: 'unreachable', message: 'Rancher unreachable: connect ECONNREFUSED 127.0.0.1:2', since }));
    expect(conditionLines()).toHaveLength(1);
    expect(changes.map((c) => c.api.message)).toEqual(['Rancher unreachable: connect ECONNREFUSED 127.0.0.1:1', 'Rancher unreachable: connect ECONNREFUSED 127.0.0.1:2']);
  });

  it('takes in pass errors and actions from reconcile:finished, and ignores failures that say nothing about the API', () => {
    const { events, tracker, conditionLines } = setup();
    const finished = (error: Error | undefined, action: ControllerEventMap['reconcile:finished']['action']) =>
      events.emit('reconcile:finished', { key: 'web-1', plan: undefined, phase: 'failed', action, error, durationMs: 1 });
    finished(toApiError({ kind: 'status', status: 422, body: '' }, { method: 'POST', url: 'http://rancher.example:8080/v1/containers' }), undefined);
    expect(tracker.status.condition).toBe('ok');
    finished(serverError(503), undefined);
    expect(tracker.status).toEqual(expect.objectContaining({ condition: 'server-error', message: 'Rancher server error (503)', status: 503 }));
    expect(conditionLines()[0]).toEqual(expect.objectContaining({ level: 'warn', condition: 'server-error' }));
    // a 5xx does not make a daemon that has listed unready; before the first list it is the reason
    expect(tracker.notReadyReason(true)).toBeUndefined();
    expect(tracker.notReadyReason(false)).toBe('Rancher server error (503)');
    finished(undefined, undefined); // an in-sync pass made no call: proves nothing
    expect(tracker.status.condition).toBe('server-error');
    finished(undefined, { kind: 'start', id: '1i1' });
    expect(tracker.status.condition).toBe('ok');
  });
});

describe('ControllerEvents', () => {
  it('logs a throwing listener with the event name and still calls the others', () => {
    const { log, sink } = captureLogger('debug');
    const events = new ControllerEvents({ log });
    const seen: string[] = [];
    events.on('api:unauthorized', () => {
      throw new Error('listener bug');
    });
    events.on('api:unauthorized', () => seen.push('second'));
    events.emit('api:unauthorized', { error: new Error('401') });
    expect(seen).toEqual(['second']);
    expect(sink.lines).toEqual([expect.objectContaining({ level: 'error', msg: 'event listener failed', event: 'api:unauthorized', err: expect.objectContaining({ message: 'listener bug' }) })]);
  });
});
