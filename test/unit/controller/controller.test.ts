import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ApiError } from '../../../src/errors.js';
import { Controller } from '../../../src/controller/controller.js';
import { ControllerEvents } from '../../../src/controller/events.js';
import type { Inventory } from '../../../src/controller/inventory.js';
import type { ReconcileOutcome, Reconciler } from '../../../src/controller/reconciler.js';
import type { DesiredReader } from '../../../src/manifest/store.js';
import { RemovalGate } from '../../../src/controller/prune-budget.js';
import { StaticLiveView } from '../../../src/controller/static-live-view.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { aDesiredReader, aDesiredInstance, anInventoryEntry } from '../../helpers/builders.js';
import { captureLogger } from '../../helpers/log-sink.js';
import type { ManualClock } from '../../helpers/manual-clock.js';
import { tempInventory } from '../../helpers/temp-inventory.js';

/** A scripted Reconciler: each pass takes the next answer for its key (a value, an error, or a promise that never settles). */
class ScriptedReconciler implements Reconciler {
  readonly passes: string[] = [];
  constructor(readonly script: Record<string, (ReconcileOutcome | Error | 'hang')[]>) {}
  aborted = 0;
  async reconcile(key: string, signal: AbortSignal): Promise<ReconcileOutcome> {
    this.passes.push(key);
    const next = this.script[key]?.shift() ?? { plan: { kind: 'in-sync' }, instanceId: null, desired: undefined, notes: [] };
    // like a real API call: never settles on its own, but gives up when the signal aborts
    if (next === 'hang') {
      return new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => {
          this.aborted++;
          reject(new Error('aborted'));
        }),
      );
    }
    if (next instanceof Error) throw next;
    return next;
  }
  forget(): void {}
}

const inSync: ReconcileOutcome = { plan: { kind: 'in-sync' }, instanceId: '1i1', desired: undefined, notes: [] };
const unavailable = (): ApiError => new ApiError('ERR_API_UNAVAILABLE', 'POST failed: 503', { method: 'POST', url: 'http://x/v1/containers', status: 503 }, { retryable: true });

describe('Controller', () => {
  let clock: ManualClock;
  let inventory: Inventory;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ inventory, clock, cleanup } = await tempInventory('rr-controller-'));
  });

  afterEach(async () => {
    await cleanup();
  });

  function controllerWith(reconciler: Reconciler, desired: DesiredReader, settings: Partial<ConstructorParameters<typeof Controller>[0]['settings']> = {}) {
    const events = new ControllerEvents({ log: captureLogger().log });
    const metrics = createMetrics({ defaultMetrics: false });
    const removals = new RemovalGate();
    const controller = new Controller({
      removals,
      desired,
      live: new StaticLiveView([]),
      inventory,
      reconciler,
      events,
      clock,
      log: captureLogger().log,
      metrics,
      settings: { concurrency: 2, backoff: { baseMs: 5, maxMs: 1000, jitter: 0 }, prune: false, maxDelete: undefined, resyncMs: 0, errorRetries: 2, wedgedAfterMs: 60_000, ...settings },
    });
    return { controller, events, metrics, removals };
  }

  /** Lets queued passes run (they are promise chains, no timers). */
  const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('reports unhealthy when work is queued but no pass finishes for wedgedAfterMs', async () => {
    const { controller } = controllerWith(new ScriptedReconciler({ 'web-1': ['hang'] }), aDesiredReader([aDesiredInstance()]));
    controller.start();
    await flush();
    expect(controller.health()).toEqual({ ok: true });
    clock.advance(61_000);
    const health = controller.health();
    expect(health.ok).toBe(false);
    expect(health.reason).toContain('no pass finished for 61s');
  });

  it('stops within the grace period, aborting a pass that does not finish', async () => {
    const reconciler = new ScriptedReconciler({ 'web-1': ['hang'], 'web-2': [inSync] });
    const { controller } = controllerWith(reconciler, aDesiredReader([aDesiredInstance({ key: 'web-1' }), aDesiredInstance({ key: 'web-2' })]));
    controller.start();
    await flush();
    let stopped = false;
    const stopping = controller.stop(5000).then(() => {
      stopped = true;
    });
    await flush();
    expect(stopped).toBe(false);
    expect(reconciler.aborted).toBe(0);
    clock.advance(5000);
    await stopping;
    expect(reconciler.aborted).toBe(1);
    expect(reconciler.passes.sort()).toEqual(['web-1', 'web-2']);
  });

  it('on stop lets running passes finish but starts no waiting key', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const passes: string[] = [];
    const reconciler: Reconciler = {
      reconcile: async (key) => {
        passes.push(key);
        await gate;
        return inSync;
      },
      forget: () => undefined,
    };
    // concurrency 2: a and b run, c..f wait
    const { controller } = controllerWith(reconciler, aDesiredReader(keys.map((key) => aDesiredInstance({ key }))));
    controller.start();
    await flush();
    const stopping = controller.stop(5000);
    release();
    await stopping;
    expect(passes.sort()).toEqual(['a', 'b']);
    expect(controller.statusBook.get('a')?.phase).toBe('in-sync');
  });

  it('retries a retryable failure with backoff, turning failed after errorRetries, then recovers', async () => {
    const reconciler = new ScriptedReconciler({ 'web-1': [unavailable(), unavailable(), inSync] });
    const { controller, metrics } = controllerWith(reconciler, aDesiredReader([aDesiredInstance()]));
    controller.start();
    await flush();
    expect(controller.statusBook.get('web-1')).toMatchObject({ phase: 'progressing', reason: 'ApiErrorRetrying', attempts: 1, nextRetryAt: new Date(clock.now() + 5).toISOString() });
    clock.advance(5);
    await flush();
    expect(controller.statusBook.get('web-1')).toMatchObject({ phase: 'failed', attempts: 2 });
    clock.advance(10);
    await flush();
    expect(controller.statusBook.get('web-1')).toMatchObject({ phase: 'in-sync', attempts: 0 });
    expect(reconciler.passes).toEqual(['web-1', 'web-1', 'web-1']);
    const text = await metrics.render();
    expect(text).toMatch(/rancher_reconciler_reconcile_total\{result="error"\} 2/);
    expect(text).toMatch(/rancher_reconciler_queue_retries_total 2/);
  });

  it('announces a 401 once and does not retry it', async () => {
    const unauthorized = new ApiError('ERR_API_UNAUTHORIZED', 'GET failed: 401', { method: 'GET', url: 'http://x/v1', status: 401 }, { retryable: false });
    const reconciler = new ScriptedReconciler({ 'web-1': [unauthorized] });
    const { controller, events } = controllerWith(reconciler, aDesiredReader([aDesiredInstance()]));
    const seen: Error[] = [];
    events.on('api:unauthorized', ({ error }) => seen.push(error));
    controller.start();
    await flush();
    clock.advance(10_000);
    await flush();
    expect(seen).toEqual([unauthorized]);
    expect(reconciler.passes).toEqual(['web-1']);
  });

  it('refuses removals over the delete budget once per revision and says so in status and metrics', async () => {
    for (const key of ['a', 'b', 'c']) inventory.set(anInventoryEntry({ key, id: `1i-${key}`, name: key }));
    const { controller, metrics, removals } = controllerWith(new ScriptedReconciler({}), aDesiredReader([]), { prune: true, maxDelete: 2 });
    controller.onSnapshot({ revision: 'r1', changed: new Set(), issues: [] });
    controller.start();
    await flush();
    const status = controller.status(true);
    expect(status.removalsRefused).toMatchObject({ revision: 'r1', names: ['a', 'b', 'c'], budget: 2 });
    expect(status.removalsRefused?.message).toContain('3 removals exceed the delete budget of 2');
    expect(await metrics.render()).toMatch(/rancher_reconciler_removals_refused_total 3/);
    expect(removals.policyFor('a')).toBe('over-budget');
  });

  it('emits revision:converged once when every key is in sync, and settles', async () => {
    const { controller, events } = controllerWith(new ScriptedReconciler({}), aDesiredReader([aDesiredInstance({ key: 'a' }), aDesiredInstance({ key: 'b' })]));
    const converged: string[] = [];
    let settled = 0;
    events.on('revision:converged', ({ revision }) => converged.push(revision));
    events.on('controller:settled', () => settled++);
    controller.onSnapshot({ revision: 'r1', changed: new Set(['a', 'b']), issues: [] });
    controller.start();
    await flush();
    clock.advance(0);
    expect(converged).toEqual(['r1']);
    expect(settled).toBe(1);
    expect(controller.settled).toBe(true);
  });

  describe('drift means drift', () => {
    const d1 = aDesiredInstance({ spec: { description: 'one' } });
    const d2 = aDesiredInstance({ spec: { description: 'two' } });
    const acted = (desired: typeof d1): ReconcileOutcome => ({
      plan: { kind: 'act', actions: [{ kind: 'start', id: '1i1' }], changes: [] },
      
      action: { kind: 'start', id: '1i1' },
      instanceId: '1i1',
      desired,
      notes: [],
    });
    const synced = (desired: typeof d1): ReconcileOutcome => ({ ...inSync, desired });

    async function driftCount(metrics: ReturnType<typeof createMetrics>): Promise<string | undefined> {
      return (await metrics.render()).split('\n').find((line) => line.startsWith('rancher_reconciler_drift_detected_total '));
    }

    it('counts an action needed for the very desired instance that was in sync', async () => {
      const reconciler = new ScriptedReconciler({ 'web-1': [synced(d1), acted(d1)] });
      const { controller, metrics } = controllerWith(reconciler, aDesiredReader([d1]));
      controller.start();
      await flush();
      controller.enqueueAll();
      await flush();
      expect(reconciler.passes).toEqual(['web-1', 'web-1']);
      expect(await driftCount(metrics)).toBe('rancher_reconciler_drift_detected_total 1');
    });

    it('does not count a manifest edit that lands while a pass for the same key runs', async () => {
      let release!: () => void;
      const running = new Promise<void>((resolve) => (release = resolve));
      const script = [synced(d1), 'slow' as const, acted(d2)];
      const passes: string[] = [];
      const reconciler: Reconciler = {
        reconcile: async (key) => {
          passes.push(key);
          const next = script.shift();
          if (next === 'slow') {
            // decided on d1 before the edit, finishes after it
            await running;
            return synced(d1);
          }
          return next as ReconcileOutcome;
        },
        forget: () => undefined,
      };
      const { controller, metrics } = controllerWith(reconciler, aDesiredReader([d1]));
      controller.start();
      await flush();
      controller.enqueueAll(); // the slow pass starts
      await flush();
      controller.onSnapshot({ revision: 'r2', changed: new Set(['web-1']), issues: [] }); // the edit to d2 lands mid-pass
      release();
      await flush();
      await flush();
      expect(passes).toEqual(['web-1', 'web-1', 'web-1']);
      expect(await driftCount(metrics)).toBe('rancher_reconciler_drift_detected_total 0');
    });
  });
});
