/**
 * One environment's leadership, as the rest of its wiring sees it. With the file state store there is
 * no election: the process that holds the state lock acts. With a shared store (mysql, etcd) the
 * replica campaigns (leader/elector.ts) and acts only while it leads *and* has read the store's records
 * and a fresh list of live state since it took over: a new leader must see what the last one owned and
 * created before it decides anything. A standby keeps its live cache and manifests current and computes
 * plans (held with note `standby`), so a takeover starts acting at once.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { ReplicaConfig } from '../config/state-store.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { InventoryDeps } from '../controller/inventory.js';
import { LeaderElector, type LeadershipStatus } from '../leader/elector.js';
import type { LeaderMetrics } from '../observability/leader-metrics.js';
import type { StateStore } from '../state/state-store.js';
import type { Spreader } from '../leader/spread.js';
import type { EventJournal } from '../observability/event-journal.js';

/**
 * What a takeover does before it acts (`reload`: records and live state), how it then makes the
 * controller look at every key, and how a standby keeps the leader's records current for its plans
 * (`refresh`, every lease duration).
 */
export type TakeoverHooks = Readonly<{ reload(): Promise<void>; enqueueAll(): void; refresh(): Promise<void> }>;

export type Leadership = Readonly<{
  /** Whether the environment elects (a shared store); false with the file store. */
  elects: boolean;
  /** Mutating calls may be sent now: always without election; else leading, reloaded, within the renew deadline. */
  mayMutate(): boolean;
  /** Plans are held (note `standby`): the negation of mayMutate while electing. */
  standby(): boolean;
  /** The inventory's store option: undefined with the file store (the inventory writes its file). */
  inventoryStore: InventoryDeps['store'];
  /** `/status`'s `leadership` block; undefined without election. */
  status(): LeadershipStatus | undefined;
  /** Starts campaigning (no-op without election). */
  start(hooks: TakeoverHooks): void;
  /**
   * `apply`: resolves once this replica acts (true, at once without election), or with false when its
   * first attempt found another replica leading (apply does not wait for a daemon to go away); rejects
   * with the store's error when the first attempt failed.
   */
  firstTerm(): Promise<boolean>;
  /** Who leads, for the message of an apply that found another leader. */
  leader(): string | undefined;
  /** Stops acting at once (a clean stop: nothing new is sent while in-flight calls drain). */
  quiesce(): void;
  /** Stops campaigning and releases the lease, so another replica takes over at once. */
  stop(): Promise<void>;
}>;

const single: Leadership = {
  elects: false, mayMutate: () => true, standby: () => false, inventoryStore: undefined, status: () => undefined,
  start: () => undefined, quiesce: () => undefined, stop: () => Promise.resolve(), firstTerm: () => Promise.resolve(true), leader: () => undefined,
};

type Deps = Readonly<{
  name: string; stateDir: string; store: StateStore | undefined; spreader: Spreader | undefined; replica: ReplicaConfig; clock: Clock; log: Logger; metrics: LeaderMetrics;
  /** The event history: `leader-elected` and `leader-lost` for this environment. */
  journal: Pick<EventJournal, 'record'>;
}>;

/** The leadership of environment `name`; without election when the store does not elect. */
export function wireLeadership(deps: Deps): Leadership {
  const { store } = deps;
  return store === undefined || !store.elects ? single : new ElectedLeadership(deps, store);
}

/** `apply`'s first term: settled once, by the first takeover, the first attempt that finds another leader, or an error. */
function firstTermLatch(): { promise: Promise<boolean>; settle(acts: boolean): void; fail(error: Error): void } {
  let settle: (acts: boolean) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const promise = new Promise<boolean>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  promise.catch(() => undefined); // only apply awaits it
  return { promise, settle, fail };
}

class ElectedLeadership implements Leadership {
  readonly elects = true;
  readonly inventoryStore: NonNullable<InventoryDeps['store']>;
  readonly #deps: Deps;
  readonly #log: Logger;
  readonly #elector: LeaderElector;
  readonly #firstTerm = firstTermLatch();
  #acting = false;
  #quiesced = false;
  #hooks: TakeoverHooks | undefined;
  #refreshTimer: TimerHandle | undefined;
  #refreshing: Promise<void> = Promise.resolve();

  constructor(deps: Deps, store: StateStore) {
    const { name, stateDir, spreader, replica, clock, metrics } = deps;
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'leader' });
    const state = store.environment(name, stateDir);
    const { id, leaseMs, renewDeadlineMs, retryPeriodMs } = replica;
    this.#elector = new LeaderElector({
      state, replica: id, timings: { leaseMs, renewDeadlineMs, retryPeriodMs }, clock, log: this.#log,
      onStartedLeading: (fence) => {
        this.#acting = false;
        metrics.incTransitions();
        void this.#takeOver(fence.epoch);
      },
      onStoppedLeading: (reason) => this.#stoppedLeading(reason),
      mayCampaign: () => spreader?.mayCampaign(name) ?? true,
      onAttempt: (outcome) => {
        if (outcome instanceof Error) this.#firstTerm.fail(outcome);
        else if (!outcome.held && outcome.current !== undefined) this.#firstTerm.settle(false);
      },
    });
    this.inventoryStore = { state, description: store.description, fence: () => (this.#acting ? this.#elector.fence() : undefined) };
    metrics.setLeader(false);
    spreader?.register(name, { leading: () => this.#acting, leaderKnown: () => this.#elector.status().leader !== null, release: () => this.#elector.release() });
  }

  readonly mayMutate = (): boolean => this.#acting && !this.#quiesced && this.#elector.mayMutate();
  readonly standby = (): boolean => !this.mayMutate();
  status = (): LeadershipStatus => this.#elector.status();
  firstTerm = (): Promise<boolean> => this.#firstTerm.promise;
  leader = (): string | undefined => this.#elector.status().leader ?? undefined;

  start(hooks: TakeoverHooks): void {
    this.#hooks = hooks;
    this.#elector.start();
    this.#refreshLater();
  }

  quiesce(): void {
    this.#quiesced = true;
  }

  async stop(): Promise<void> {
    this.#quiesced = true;
    if (this.#refreshTimer !== undefined) this.#deps.clock.clearTimeout(this.#refreshTimer);
    await this.#elector.stop();
  }

  #record(kind: 'leader-elected' | 'leader-lost', reason: string, message: string): void {
    const severity = kind === 'leader-lost' && reason === 'LeaseLost' ? 'warning' : 'info';
    this.#deps.journal.record({ kind, severity, environment: this.#deps.name, key: null, instanceId: null, revision: null, reason, message });
  }

  #stoppedLeading(reason: string): void {
    this.#record('leader-lost', reason === 'released' ? 'LeaseReleased' : 'LeaseLost', `replica ${this.#deps.replica.id} stopped leading: ${reason}`);
    this.#acting = false;
    this.#deps.metrics.setLeader(false);
    this.#deps.metrics.incTransitions();
  }

  async #takeOver(epoch: number): Promise<void> {
    try {
      // a standby refresh still reading must not land after the takeover's own read (it would drop our writes)
      await this.#refreshing;
      await this.#hooks?.reload();
    } catch (e: unknown) {
      // without the records a leader cannot act safely: give the lease up for another replica
      const error = coerceError(e);
      this.#log.error({ err: error, epoch }, 'takeover failed: records or live state could not be read');
      this.#firstTerm.fail(error);
      await this.#elector.release();
      return;
    }
    if (this.#quiesced || this.#elector.fence()?.epoch !== epoch) return;
    this.#acting = true;
    this.#firstTerm.settle(true);
    this.#record('leader-elected', 'LeaseAcquired', `replica ${this.#deps.replica.id} leads (epoch ${epoch})`);
    this.#deps.metrics.setLeader(true);
    this.#log.info({ epoch }, 'acting as leader');
    this.#hooks?.enqueueAll();
  }

  /** A standby reads the leader's records every lease duration, so its held plans say what a takeover would do. */
  #refreshLater(): void {
    this.#refreshTimer = this.#deps.clock.setTimeout(() => {
      if (this.#acting || this.#quiesced || this.#elector.role === 'leader') return this.#refreshLater();
      this.#refreshing = (this.#hooks?.refresh() ?? Promise.resolve())
        .catch((e: unknown) => this.#log.debug({ err: coerceError(e) }, 'standby records refresh failed'))
        .finally(() => {
          if (!this.#quiesced) this.#refreshLater();
        });
    }, this.#deps.replica.leaseMs);
  }
}
