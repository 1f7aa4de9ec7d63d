/**
 * Spreading environments over replicas. Each replica records itself as a member of the state store
 * (a heartbeat every retry period, alive for a lease duration) and counts the live members; its share
 * is ceil(environments / members). A replica that leads its share does not campaign for more, unless
 * an environment has had no leader for a whole lease duration (nobody is left without one because a
 * member count lags). A replica that has led more than its share for `hysteresisMs` (default two lease
 * durations) releases the environment it took last, and does not campaign for it for one lease
 * duration, so another replica takes it. The hysteresis keeps a replica that restarts, or a member
 * count that flickers, from moving environments back and forth.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StateStore } from '../state/state-store.js';

/** What the spreader sees of one environment's elector. */
export type SpreadMember = Readonly<{ leading(): boolean; leaderKnown(): boolean; release(): Promise<void> }>;

type Tracked = { member: SpreadMember; since: number | undefined; leaderlessSince: number | undefined; holdOffUntil: number };

/** Whether a replica that leads `held` of its `share` may campaign for an environment without a leader since `leaderlessSince`. Pure. */
export function mayCampaign(input: Readonly<{ held: number; share: number; now: number; leaderlessSince: number | undefined; holdOffUntil: number; leaseMs: number }>): boolean {
  if (input.now < input.holdOffUntil) return false;
  if (input.held < input.share) return true;
  return input.leaderlessSince !== undefined && input.now - input.leaderlessSince >= input.leaseMs;
}

/** Whether to give one environment up: over the share for at least the hysteresis. Pure. */
export function shouldRelease(input: Readonly<{ held: number; share: number; overShareSince: number | undefined; now: number; hysteresisMs: number }>): boolean {
  return input.held > input.share && input.overShareSince !== undefined && input.now - input.overShareSince >= input.hysteresisMs;
}

export class Spreader {
  readonly #store: StateStore;
  readonly #replica: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #leaseMs: number;
  readonly #periodMs: number;
  readonly #hysteresisMs: number;
  readonly #tracked = new Map<string, Tracked>();
  #members = 1;
  #overShareSince: number | undefined;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(deps: Readonly<{ store: StateStore; replica: string; clock: Clock; log: Logger; leaseMs: number; retryPeriodMs: number; hysteresisMs?: number }>) {
    this.#store = deps.store;
    this.#replica = deps.replica;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#leaseMs = deps.leaseMs;
    this.#periodMs = deps.retryPeriodMs;
    this.#hysteresisMs = deps.hysteresisMs ?? 2 * deps.leaseMs;
  }

  register(name: string, member: SpreadMember): void {
    this.#tracked.set(name, { member, since: undefined, leaderlessSince: undefined, holdOffUntil: 0 });
  }

  /** The elector's `mayCampaign` for environment `name`. */
  mayCampaign(name: string): boolean {
    const tracked = this.#tracked.get(name);
    if (tracked === undefined) return true;
    const now = this.#clock.now();
    tracked.leaderlessSince = tracked.member.leaderKnown() ? undefined : tracked.leaderlessSince ?? now;
    return mayCampaign({ held: this.#held(), share: this.share, now, leaderlessSince: tracked.leaderlessSince, holdOffUntil: tracked.holdOffUntil, leaseMs: this.#leaseMs });
  }

  /** This replica's share of the environments. */
  get share(): number {
    return Math.ceil(this.#tracked.size / Math.max(1, this.#members));
  }

  start(): void {
    this.#stopped = false;
    void this.#tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    await this.#store.leave(this.#replica).catch(() => undefined); // its heartbeat expires anyway
  }

  #held(): number {
    return [...this.#tracked.values()].filter((t) => t.member.leading()).length;
  }

  async #tick(): Promise<void> {
    try {
      this.#members = (await this.#store.heartbeat(this.#replica, this.#leaseMs)).length;
    } catch (e: unknown) {
      this.#log.debug({ err: coerceError(e) }, 'state store heartbeat failed');
    }
    if (this.#stopped) return;
    await this.#rebalance();
    if (!this.#stopped) this.#timer = this.#clock.setTimeout(() => void this.#tick(), this.#periodMs);
  }

  async #rebalance(): Promise<void> {
    const now = this.#clock.now();
    for (const tracked of this.#tracked.values()) tracked.since = tracked.member.leading() ? tracked.since ?? now : undefined;
    const held = this.#held();
    this.#overShareSince = held > this.share ? this.#overShareSince ?? now : undefined;
    if (!shouldRelease({ held, share: this.share, overShareSince: this.#overShareSince, now, hysteresisMs: this.#hysteresisMs })) return;
    const [name, newest] = [...this.#tracked.entries()].filter(([, t]) => t.since !== undefined).sort(([, a], [, b]) => (b.since ?? 0) - (a.since ?? 0))[0] ?? [];
    if (name === undefined || newest === undefined) return;
    this.#log.info({ environment: name, held, share: this.share, members: this.#members }, 'releasing an environment to spread the load');
    newest.holdOffUntil = now + this.#leaseMs;
    this.#overShareSince = undefined;
    await newest.member.release();
  }
}
