/**
 * Leader election for one environment, client-go's leaderelection loop on a state store's lease
 * (state/state-store.ts): every `retryPeriodMs` the replica tries to take or renew the lease for
 * `leaseMs`; a leader that has not renewed for `renewDeadlineMs` steps down by itself, even while the
 * store does not answer, and keeps campaigning. The defaults are controller-runtime's (15 s, 10 s, 2 s).
 * Between attempts a standby that knows the leader only reads who leads, every quarter retry period,
 * and campaigns at once when it finds the lease released or expired (a clean stop hands over in ~0.5 s).
 *
 * The fence ({@link LeaderElector.mayMutate}): held, and the last renewal that succeeded was *sent*
 * less than the renew deadline ago, on the monotonic clock (which keeps counting while the process is
 * frozen). The store counts the lease from when it received that renewal, so another replica can take
 * over only `leaseMs - renewDeadlineMs` after this one stopped mutating. The lead-up to every mutating
 * call checks it (leader/fence.ts), so a process frozen past its deadline sends nothing when it resumes.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { StateStoreError, type EnvironmentState, type LeaseHolder } from '../state/state-store.js';

export type LeaseTimings = Readonly<{ leaseMs: number; renewDeadlineMs: number; retryPeriodMs: number }>;

export const defaultLeaseTimings: LeaseTimings = Object.freeze({ leaseMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });

export type Role = 'leader' | 'standby';

/** What `/status` and `/leader` show of one environment's election. */
export type LeadershipStatus = Readonly<{
  role: Role;
  /** This replica's id. */
  replica: string;
  /** Who leads (this replica or another), when known; null when nobody holds the lease. */
  leader: string | null;
  /** The lease's epoch (fencing token) as last seen; null before the first answer. */
  epoch: number | null;
  /** ISO time this replica last became leader or standby. */
  since: string;
  /** The store's last error while this replica could not reach it, or null. */
  error: string | null;
}>;

export type ElectorDeps = Readonly<{
  state: EnvironmentState;
  /** This replica's id (unique among replicas). */
  replica: string;
  timings: LeaseTimings;
  clock: Clock;
  log: Logger;
  /** Milliseconds on a monotonic clock. Default: performance.now(). */
  monotonic?: () => number;
  /** Became leader with `fence`: load the store's records, then act. */
  onStartedLeading(fence: LeaseHolder): void;
  /** Stopped leading (lease lost, not renewed in time, or released): stop acting at once. */
  onStoppedLeading(reason: string): void;
  /**
   * Whether a replica that does not lead may try to take the lease now (leader/spread.ts: not while it
   * holds its share of environments). When false it only reads who leads. Default: always.
   */
  mayCampaign?: () => boolean;
  /** After each attempt: whether this replica holds the lease, or the store's error. */
  onAttempt?: (outcome: Readonly<{ held: boolean; current: LeaseHolder | undefined }> | Error) => void;
}>;

export class LeaderElector {
  readonly #deps: ElectorDeps;
  readonly #monotonic: () => number;
  #fence: LeaseHolder | undefined;
  /** Monotonic time the last successful renewal was sent. */
  #renewedSentAt = Number.NEGATIVE_INFINITY;
  #leader: LeaseHolder | undefined;
  #since: number;
  #error: string | null = null;
  #timer: TimerHandle | undefined;
  #deadline: TimerHandle | undefined;
  #stopped = true;
  #attempt: Promise<void> | undefined;
  /** Monotonic time of the last tryAcquireOrRenew sent. */
  #attemptedAt = Number.NEGATIVE_INFINITY;

  constructor(deps: ElectorDeps) {
    this.#deps = deps;
    this.#monotonic = deps.monotonic ?? (() => performance.now());
    this.#since = deps.clock.now();
  }

  /** Starts campaigning: the first attempt now, then every retry period (a standby that knows the leader reads it every quarter of one). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#tick();
  }

  /** The fence check before a mutating call: leading, and renewed within the renew deadline. */
  mayMutate(): boolean {
    return this.#fence !== undefined && this.#monotonic() - this.#renewedSentAt < this.#deps.timings.renewDeadlineMs;
  }

  /** The lease to carry on store writes, while {@link mayMutate}. */
  fence(): LeaseHolder | undefined {
    return this.mayMutate() ? this.#fence : undefined;
  }

  get role(): Role {
    return this.#fence === undefined ? 'standby' : 'leader';
  }

  status(): LeadershipStatus {
    return {
      role: this.role, replica: this.#deps.replica, leader: this.#leader?.holder ?? null, epoch: this.#leader?.epoch ?? null,
      since: new Date(this.#since).toISOString(), error: this.#error,
    };
  }

  /** Stops campaigning; a leader releases its lease so that another replica takes over at once. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#clearTimers();
    await this.#attempt;
    await this.release();
  }

  /** Gives the lease up now (stepping down first) and goes on campaigning unless stopped (leader/spread.ts). */
  async release(): Promise<void> {
    const fence = this.#fence;
    if (fence === undefined) return;
    this.#stepDown('released');
    try {
      await this.#bounded(this.#deps.state.releaseLease(fence), 'release');
      this.#deps.log.info({ epoch: fence.epoch }, 'leadership released');
    } catch (e: unknown) {
      this.#deps.log.warn({ err: coerceError(e), epoch: fence.epoch }, 'leadership release failed: the lease expires by itself');
    }
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const attempt = this.#tryOnce().finally(() => {
      this.#attempt = undefined;
      // a standby that knows the leader looks (a read) every quarter retry period, so a released lease is taken within ~0.5 s
      const delayMs = this.#watching() ? this.#deps.timings.retryPeriodMs / 4 : this.#deps.timings.retryPeriodMs;
      if (!this.#stopped) this.#timer = this.#deps.clock.setTimeout(() => this.#tick(), delayMs);
    });
    this.#attempt = attempt;
  }

  /** A standby with a known leader: between attempts it only reads who leads. */
  #watching(): boolean {
    return this.#fence === undefined && this.#leader !== undefined && this.#error === null;
  }

  async #tryOnce(): Promise<void> {
    const { state, replica, timings, log } = this.#deps;
    try {
      const mayCampaign = this.#deps.mayCampaign?.() !== false;
      if (this.#fence === undefined && (!mayCampaign || this.#monotonic() - this.#attemptedAt < timings.retryPeriodMs)) {
        const current = await this.#bounded(state.readLease(), 'read');
        if (this.#stopped) return;
        [this.#error, this.#leader] = [null, current];
        // released or expired: campaign now rather than at the next full attempt
        if (current !== undefined || !mayCampaign) return;
      }
      const sentAt = this.#monotonic();
      this.#attemptedAt = sentAt;
      const result = await this.#bounded(state.tryAcquireOrRenew(replica, timings.leaseMs), 'attempt');
      if (this.#stopped) return;
      this.#error = null;
      this.#leader = result.current;
      if (result.held && result.current !== undefined) this.#renewed(result.current, sentAt);
      else if (this.#fence !== undefined) this.#stepDown(`the lease is held by ${result.current?.holder ?? 'nobody'}`);
      this.#deps.onAttempt?.(result);
    } catch (e: unknown) {
      const error = coerceError(e);
      if (this.#error === null) log.warn({ err: error, role: this.role }, 'lease attempt failed');
      this.#error = error.message;
      this.#deps.onAttempt?.(error);
    }
  }

  /**
   * `call`, or ERR_STATE_STORE_UNAVAILABLE after half the renew deadline: a store that does not answer
   * must not stop the loop (the backends bound their calls too). A late answer is dropped: a lease it
   * took is found, and renewed, by the next attempt.
   */
  #bounded<T>(call: Promise<T>, what: string): Promise<T> {
    const { clock, timings } = this.#deps;
    const limitMs = Math.floor(timings.renewDeadlineMs / 2);
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = clock.setTimeout(() => reject(new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', `lease ${what} got no answer within ${limitMs} ms`)), limitMs);
    });
    return Promise.race([call, timeout]).finally(() => {
      if (timer !== undefined) clock.clearTimeout(timer);
    });
  }

  #renewed(fence: LeaseHolder, sentAt: number): void {
    const { clock, timings, log } = this.#deps;
    const started = this.#fence === undefined || this.#fence.epoch !== fence.epoch;
    this.#renewedSentAt = sentAt;
    // step down by itself at the deadline: a hung store must not leave this replica mutating
    if (this.#deadline !== undefined) clock.clearTimeout(this.#deadline);
    const left = timings.renewDeadlineMs - (this.#monotonic() - sentAt);
    this.#deadline = clock.setTimeout(() => this.#stepDown(`lease not renewed within ${timings.renewDeadlineMs} ms`), left);
    if (!started) return;
    if (this.#fence !== undefined) this.#stepDown('the lease changed epoch');
    this.#fence = fence;
    this.#since = clock.now();
    log.info({ epoch: fence.epoch }, 'leadership acquired');
    this.#deps.onStartedLeading(fence);
  }

  #stepDown(reason: string): void {
    if (this.#deadline !== undefined) this.#deps.clock.clearTimeout(this.#deadline);
    this.#deadline = undefined;
    const fence = this.#fence;
    if (fence === undefined) return;
    this.#fence = undefined;
    this.#since = this.#deps.clock.now();
    if (reason !== 'released') this.#deps.log.warn({ epoch: fence.epoch, reason }, 'leadership lost');
    this.#deps.onStoppedLeading(reason);
  }

  #clearTimers(): void {
    if (this.#timer !== undefined) this.#deps.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
