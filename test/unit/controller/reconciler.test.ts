import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { DesiredInstance, InstanceKey, InstanceSpec, LiveInstance } from '../../../src/domain/instance.js';
import type { CreateOptions, InstanceApi, StopOptions } from '../../../src/domain/ports.js';
import { ApiError } from '../../../src/errors.js';
import type { Inventory } from '../../../src/controller/inventory.js';
import { RecreateGate } from '../../../src/controller/recreate-gate.js';
import { InstanceReconciler } from '../../../src/controller/reconciler.js';
import { outcomeStatus } from '../../../src/controller/outcome-status.js';
import { StaticLiveView } from '../../../src/controller/static-live-view.js';
import { aDesiredReader, aDesiredInstance, aLiveInstanceIn, anInventoryEntry } from '../../helpers/builders.js';
import { captureLogger } from '../../helpers/log-sink.js';
import type { ManualClock } from '../../helpers/manual-clock.js';
import { tempInventory } from '../../helpers/temp-inventory.js';

/** An InstanceApi that records calls and answers with builder-shaped containers. */
class RecordingApi implements InstanceApi {
  readonly calls: string[] = [];
  byId = new Map<string, LiveInstance>();
  async list(): Promise<LiveInstance[]> {
    return [...this.byId.values()];
  }
  async get(id: string): Promise<LiveInstance | undefined> {
    this.calls.push(`get ${id}`);
    return this.byId.get(id);
  }
  /** What Rancher holds under a name, for `findByName`. */
  byName = new Map<string, LiveInstance[]>();
  async findByName(name: string): Promise<LiveInstance[]> {
    this.calls.push(`find ${name}`);
    return this.byName.get(name) ?? [];
  }
  /** When set, the next create throws this (after "landing" its container in byName when `landed`). */
  createFailure: { error: Error; landed: boolean } | undefined;
  async create(spec: InstanceSpec, options: CreateOptions): Promise<LiveInstance> {
    this.calls.push(`create ${spec.name} start=${options.startOnCreate}`);
    const failure = this.createFailure;
    if (failure !== undefined) {
      this.createFailure = undefined;
      if (failure.landed) this.byName.set(spec.name, [aLiveInstanceIn('creating', { id: '1i50', uuid: 'uuid-landed', name: spec.name })]);
      throw failure.error;
    }
    return aLiveInstanceIn('creating', { id: '1i99', uuid: 'uuid-new', name: spec.name });
  }
  async update(id: string): Promise<LiveInstance> {
    this.calls.push(`update ${id}`);
    return aLiveInstanceIn('running', { id });
  }
  /** What `start` answers; default a container that is starting. */
  startAnswer: ((id: string) => LiveInstance) | undefined;
  async start(id: string): Promise<LiveInstance> {
    this.calls.push(`start ${id}`);
    return this.startAnswer?.(id) ?? aLiveInstanceIn('starting', { id });
  }
  async stop(id: string, options?: StopOptions): Promise<LiveInstance> {
    this.calls.push(`stop ${id} ${JSON.stringify(options ?? {})}`);
    return aLiveInstanceIn('stopping', { id });
  }
  /** When set, what `restart` does instead of answering at once (throw, or wait for the test). */
  restartHook: (() => Promise<void>) | undefined;
  async restart(id: string, options: Readonly<{ beforeSend?: () => Promise<void> }> = {}): Promise<LiveInstance> {
    await options.beforeSend?.(); // the write-ahead, as the real client runs it inside the limiter slot
    this.calls.push(`restart ${id}`);
    await this.restartHook?.();
    return aLiveInstanceIn('restarting', { id });
  }
  async remove(id: string): Promise<LiveInstance> {
    this.calls.push(`remove ${id}`);
    return aLiveInstanceIn('removing', { id });
  }
}

describe('InstanceReconciler', () => {
  let clock: ManualClock;
  let inventory: Inventory;
  let cleanup: () => Promise<void>;
  let api: RecordingApi;

  beforeEach(async () => {
    ({ inventory, clock, cleanup } = await tempInventory('rr-reconciler-'));
    api = new RecordingApi();
  });

  afterEach(async () => {
    await cleanup();
  });

  let logs: ReturnType<typeof captureLogger>;

  function reconcilerFor(desired: DesiredInstance[], live: LiveInstance[], waitDeadlineMs?: number): InstanceReconciler {
    logs = captureLogger();
    return new InstanceReconciler({
      desired: aDesiredReader(desired),
      live: new StaticLiveView(live),
      api,
      inventory,
      clock,
      log: logs.log,
      removalPolicy: (_key: InstanceKey) => 'disabled',
      recreates: new RecreateGate({ inventory, maxUnavailable: { kind: 'count', count: 1 }, declaredCount: () => desired.length, nowIso: () => new Date(clock.now()).toISOString() }),
      errorRetries: 3,
      ...(waitDeadlineMs === undefined ? {} : { waitDeadlineMs }),
    });
  }

  const signal = new AbortController().signal;

  it('records a created container on disk before the pass ends', async () => {
    const outcome = await reconcilerFor([aDesiredInstance({ restartToken: 't1' })], []).reconcile('web-1', signal);
    expect(outcome).toMatchObject({ plan: { kind: 'act' }, instanceId: '1i99', action: { kind: 'create' } });
    expect(api.calls).toEqual(['create web-1 start=true']);
    // the pass's lines carry its reconcileId (README "Logs")
    expect(logs.sink.lines.find((l) => l.msg === 'action succeeded')).toMatchObject({ key: 'web-1', reconcileId: 1, action: 'create' });
    const onDisk = JSON.parse(await readFile(inventory.path, 'utf8'));
    expect(onDisk.entries['web-1']).toMatchObject({ id: '1i99', uuid: 'uuid-new', origin: 'created', restartToken: 't1' });
  });

  it('after a create whose outcome is unknown, asks Rancher by name before creating again (never a twin)', async () => {
    const lost = new ApiError('ERR_API_NETWORK', 'POST /v1/containers failed: socket hang up', { method: 'POST', url: 'http://x/v1/containers' }, { retryable: true });
    api.createFailure = { error: lost, landed: true };
    const reconciler = reconcilerFor([aDesiredInstance()], []);
    await expect(reconciler.reconcile('web-1', signal)).rejects.toBe(lost);
    const outcome = await reconciler.reconcile('web-1', signal);
    expect(api.calls).toEqual(['create web-1 start=true', 'find web-1']);
    expect(outcome.plan).toMatchObject({ inventory: { kind: 'adopt', record: { id: '1i50' } } });
    expect(inventory.get('web-1')?.id).toBe('1i50');
  });

  it('forget() drops the create-in-doubt memory: the next pass of a new manifest does not look up by name first', async () => {
    const lost = new ApiError('ERR_API_NETWORK', 'POST /v1/containers failed: socket hang up', { method: 'POST', url: 'http://x/v1/containers' }, { retryable: true });
    api.createFailure = { error: lost, landed: false };
    const reconciler = reconcilerFor([aDesiredInstance()], []);
    await expect(reconciler.reconcile('web-1', signal)).rejects.toBe(lost);
    reconciler.forget('web-1');
    await reconciler.reconcile('web-1', signal);
    expect(api.calls).toEqual(['create web-1 start=true', 'create web-1 start=true']);
  });

  it('sends each create with our ownership labels and a fresh create id per attempt', async () => {
    const seen: { labels: unknown; attemptLabel: unknown }[] = [];
    const create = api.create.bind(api);
    api.create = async (spec, options) => {
      seen.push({ labels: spec.labels, attemptLabel: options.attemptLabel });
      return create(spec, options);
    };
    await reconcilerFor([aDesiredInstance({ spec: { labels: { tier: 'web' } } })], []).reconcile('web-1', signal);
    expect(seen).toEqual([{ labels: { tier: 'web', 'rancher-reconciler.created-by': 'rancher-reconciler', 'rancher-reconciler.key': 'web-1' }, attemptLabel: 'rancher-reconciler.create-id' }]);
  });

  it('after a create Rancher refused (4xx), creates again without asking', async () => {
    const refused = new ApiError('ERR_API_UNPROCESSABLE', 'POST /v1/containers failed: 422', { method: 'POST', url: 'http://x/v1/containers', status: 422 }, { retryable: false });
    api.createFailure = { error: refused, landed: false };
    const reconciler = reconcilerFor([aDesiredInstance()], []);
    await expect(reconciler.reconcile('web-1', signal)).rejects.toBe(refused);
    await reconciler.reconcile('web-1', signal);
    expect(api.calls).toEqual(['create web-1 start=true', 'create web-1 start=true']);
  });

  it('records an applied restart token on disk right after the restart call', async () => {
    inventory.set(anInventoryEntry({ restartToken: 'old' }));
    const outcome = await reconcilerFor([aDesiredInstance({ restartToken: 'new' })], [aLiveInstanceIn('running')]).reconcile('web-1', signal);
    expect(outcome.action).toEqual({ kind: 'restart', id: '1i1', token: 'new' });
    expect(api.calls).toEqual(['restart 1i1']);
    expect(JSON.parse(await readFile(inventory.path, 'utf8')).entries['web-1'].restartToken).toBe('new');
  });

  it('records a restart on disk before sending it: a crash while it is in flight cannot restart twice', async () => {
    inventory.set(anInventoryEntry({ restartToken: 'old' }));
    let release!: () => void;
    const sent = new Promise<void>((resolve) => {
      api.restartHook = () => {
        resolve();
        return new Promise<void>((r) => (release = r));
      };
    });
    const pass = reconcilerFor([aDesiredInstance({ restartToken: 'new' })], [aLiveInstanceIn('running', { startCount: 4 })]).reconcile('web-1', signal);
    await sent;
    // the call is in flight: what a crash now would leave on disk
    expect(JSON.parse(await readFile(inventory.path, 'utf8')).entries['web-1']).toMatchObject({ restartToken: 'new', pendingRestart: { token: 'new', startCount: 4 } });
    release();
    await pass;
    const onDisk = JSON.parse(await readFile(inventory.path, 'utf8')).entries['web-1'];
    expect(onDisk.restartToken).toBe('new');
    expect(onDisk.pendingRestart).toBeUndefined();
  });

  it('rolls a restart back when its connection was refused (it never reached Rancher): the next pass sends it', async () => {
    inventory.set(anInventoryEntry({ restartToken: 'old' }));
    const refused = new ApiError('ERR_API_NETWORK', 'POST failed: connect ECONNREFUSED', { method: 'POST', url: 'http://x/v1/containers/1i1/' }, { retryable: true, cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    api.restartHook = async () => {
      api.restartHook = undefined;
      throw refused;
    };
    const reconciler = reconcilerFor([aDesiredInstance({ restartToken: 'new' })], [aLiveInstanceIn('running')]);
    await expect(reconciler.reconcile('web-1', signal)).rejects.toBe(refused);
    expect(inventory.get('web-1')).toMatchObject({ restartToken: 'old' });
    expect(inventory.get('web-1')?.pendingRestart).toBeUndefined();
    await reconciler.reconcile('web-1', signal);
    expect(api.calls).toEqual(['restart 1i1', 'restart 1i1']);
    expect(inventory.get('web-1')?.restartToken).toBe('new');
  });

  it('keeps a restart whose answer was lost (a reset) recorded as applied: never sent twice', async () => {
    inventory.set(anInventoryEntry({ restartToken: 'old' }));
    const lost = new ApiError('ERR_API_NETWORK', 'POST failed: socket hang up', { method: 'POST', url: 'http://x/v1/containers/1i1/' }, { retryable: true, cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    api.restartHook = async () => {
      throw lost;
    };
    const reconciler = reconcilerFor([aDesiredInstance({ restartToken: 'new' })], [aLiveInstanceIn('running', { startCount: 2 })]);
    await expect(reconciler.reconcile('web-1', signal)).rejects.toBe(lost);
    expect(inventory.get('web-1')).toMatchObject({ restartToken: 'new', pendingRestart: { token: 'new', startCount: 2 } });
    const next = await reconciler.reconcile('web-1', signal);
    expect(api.calls).toEqual(['restart 1i1']);
    expect(next.plan.notices?.[0]).toContain('restart for token "new" is not confirmed');
  });

  it('records a token changed while stopped on disk before it starts the instance', async () => {
    inventory.set(anInventoryEntry({ restartToken: 'old' }));
    await inventory.flush();
    let tokenOnDiskAtStart: unknown;
    api.startAnswer = (id) => {
      tokenOnDiskAtStart = JSON.parse(readFileSync(inventory.path, 'utf8')).entries['web-1'].restartToken;
      return aLiveInstanceIn('starting', { id });
    };
    const outcome = await reconcilerFor([aDesiredInstance({ restartToken: 'new' })], [aLiveInstanceIn('stopped')]).reconcile('web-1', signal);
    expect(outcome.action?.kind).toBe('start');
    expect(api.calls).toEqual(['start 1i1']);
    expect(tokenOnDiskAtStart).toBe('new');
  });

  it('treats an owned id that now names another container (other uuid) as gone, and creates anew', async () => {
    inventory.set(anInventoryEntry({ uuid: 'uuid-original' }));
    const outcome = await reconcilerFor([aDesiredInstance()], [aLiveInstanceIn('running', { name: 'someone-else', uuid: 'uuid-other' })]).reconcile('web-1', signal);
    expect(outcome.action?.kind).toBe('create');
    expect(api.calls).toEqual(['create web-1 start=true']);
    expect(inventory.get('web-1')?.id).toBe('1i99');
  });

  it('never adopts a container that another declared key owns, nor creates a twin of its name', async () => {
    inventory.set(anInventoryEntry({ key: 'other', id: '1i1', name: 'web-1' }));
    const other = aDesiredInstance({ key: 'other', spec: { name: 'other' } });
    const outcome = await reconcilerFor([aDesiredInstance(), other], [aLiveInstanceIn('running')]).reconcile('web-1', signal);
    expect(outcome.plan).toMatchObject({ kind: 'blocked', reason: 'duplicate-name' });
    expect(api.calls).toEqual([]);
    expect(inventory.get('web-1')).toBeUndefined();
    expect(inventory.ownerOf('1i1')).toBe('other');
  });

  it('moves ownership from a key whose manifest is gone to the new key of the same name: no call at all', async () => {
    inventory.set(anInventoryEntry({ key: 'web-old', id: '1i1', name: 'web-1', restartToken: 't1' }));
    const outcome = await reconcilerFor([aDesiredInstance({ restartToken: 't1' })], [aLiveInstanceIn('running')]).reconcile('web-1', signal);
    expect(outcome.plan).toMatchObject({ kind: 'in-sync', inventory: { kind: 'move', from: 'web-old' } });
    expect(outcome.notes).toEqual(['moved from web-old']);
    expect(api.calls).toEqual([]);
    expect(inventory.get('web-old')).toBeUndefined();
    expect(inventory.get('web-1')).toMatchObject({ id: '1i1', restartToken: 't1' });
  });

  it('counts a start that failed back to stopped (transitioning error) against the retry budget', async () => {
    inventory.set(anInventoryEntry());
    const failed = aLiveInstanceIn('stopped', { transitioning: 'error', transitioningMessage: 'Failing [compute.instance.activate]' });
    const reconciler = reconcilerFor([aDesiredInstance()], [failed]);
    // each start fails again at once (as Rancher shows it once the start process gave up)
    api.startAnswer = () => failed;
    for (let attempt = 0; attempt < 3; attempt++) expect((await reconciler.reconcile('web-1', signal)).action?.kind).toBe('start');
    // errorRetries is 3 here: the budget is spent
    const outcome = await reconciler.reconcile('web-1', signal);
    expect(outcome.plan).toMatchObject({ kind: 'blocked', reason: 'live-in-error' });
    expect(api.calls).toEqual(['start 1i1', 'start 1i1', 'start 1i1']);
    // a new manifest for the key starts the budget over
    reconciler.forget('web-1');
    expect((await reconciler.reconcile('web-1', signal)).action?.kind).toBe('start');
  });

  it('confirms a missing owned instance with one GET and forgets it when the manifest is gone too', async () => {
    inventory.set(anInventoryEntry({ id: '1i7' }));
    const outcome = await reconcilerFor([], []).reconcile('web-1', signal);
    expect(api.calls).toEqual(['get 1i7']);
    expect(outcome.plan).toEqual({ kind: 'in-sync', note: 'gone', inventory: { kind: 'forget' } });
    expect(inventory.get('web-1')).toBeUndefined();
  });

  it('reports a transition that outlives the wait deadline as overdue', async () => {
    inventory.set(anInventoryEntry());
    const reconciler = reconcilerFor([aDesiredInstance()], [aLiveInstanceIn('starting')], 60_000);
    const first = await reconciler.reconcile('web-1', signal);
    expect(first.plan.kind).toBe('wait');
    expect(first.overdueMs).toBeUndefined();
    expect(first.requeueAfterMs).toBe(1000);
    clock.advance(8000);
    // a longer wait is looked at less often (half the time waited so far, at most 10 s)
    expect((await reconciler.reconcile('web-1', signal)).requeueAfterMs).toBe(4000);
    clock.advance(53_000);
    const later = await reconciler.reconcile('web-1', signal);
    expect(later.requeueAfterMs).toBe(10_000);
    expect(later.overdueMs).toBe(61_000);
    expect(outcomeStatus(later, { revision: 'r1', nextRetryAt: null })).toMatchObject({ phase: 'failed', reason: 'WaitTimeout' });
    // a wait is checked with a GET once it lasted 5 s, then at most every 30 s (a missed event cannot stall it)
    expect(api.calls).toEqual(['get 1i1', 'get 1i1']);
  });
});
