import type { Clock } from '../clock.js';
import { checkFaultPlan, faultEffects } from './fault-plan-check.js';
import type { PlannedHealth } from './health.js';

/**
 * One fault rule (emulator extension). A rule matches on `method`, `path` and `action` (all optional), then
 * applies with `probability` for its first `times` applications. Effects, for an API request:
 * - `error`: answer `status` (default 503) with the real Rancher error body, **not processed**.
 * - `drop-before`: destroy the socket at once, **not processed**.
 * - `drop-after`: process the request (committed), then destroy the socket instead of answering
 *   (the same as `commit-then-fail` with `reset: true`).
 * - `latency`: read the body, wait `latencyMs`, then **process the request whether or not the client is
 *   still connected**; answer only if the socket is still writable (a slow server). Latencies of several
 *   matching rules add up and combine with the first terminal effect below them.
 * - `commit-late`: read the body, wait `delayMs`, then process the request whether or not the client is
 *   still there, and answer if it still is (a reverse proxy that answered 504 while Rancher carried on, as
 *   seen by a client with a short timeout). Terminal: later rules are not looked at.
 * - `commit-then-fail`: process the request (committed), then answer `status` (502, 503 or 504, default
 *   504) with the real error body, or destroy the socket when `reset: true`. Terminal.
 *
 * For a `/v1/subscribe` upgrade, `error`/`commit-then-fail` with a status refuse the upgrade with that
 * status, the drops and `reset` destroy the socket, `latency`/`commit-late` delay the upgrade.
 */
export type FaultRule = {
  /** e.g. 'POST'; absent = any. */
  method?: string;
  /** Regex source matched against the path with `/v1/projects/<pid>` normalised to `/v1`; absent = any. */
  path?: string;
  /** Matches `?action=<name>`; absent = any. */
  action?: string;
  effect: (typeof faultEffects)[number];
  /** For `error` (any 100..599, default 503) and `commit-then-fail` (502, 503 or 504, default 504). */
  status?: number;
  /** For `commit-then-fail`: destroy the socket instead of answering a status. */
  reset?: boolean;
  /** For `error`: adds a Retry-After header (seconds). */
  retryAfterSec?: number;
  /** For `latency`, ms. */
  latencyMs?: number;
  /** For `commit-late`, ms from reading the body to processing. */
  delayMs?: number;
  /** 0..1, default 1 (seeded PRNG, reproducible). */
  probability?: number;
  /** Apply to the first N matching requests only, then the rule is spent. */
  times?: number;
};

/**
 * The whole fault plan; replaced as one by `setFaults` or `PUT /_emulator/faults`, which also reset rule
 * counters, the rate window and the PRNG. An invalid plan (unknown key or effect, bad regex, out-of-range
 * number) is refused as a whole with a ReconcilerError `ERR_EMULATOR` listing every problem.
 */
export type FaultPlan = {
  rules?: FaultRule[];
  /** Above `rps` requests in a sliding 1 s window: 429 with Retry-After (default 1) and the error body. */
  rateLimit?: { rps: number; retryAfterSec?: number };
  /** imageUuid values whose start fails (create+start ends in `error`, a later start back in `stopped`). */
  failStartImages?: string[];
  /**
   * imageUuid -> what the health check of its containers reports (docs/rancher-v1.md#health-state): they
   * show `healthState: initializing` once a start reaches running, then this state one transition
   * duration later (`initializing`: a check that never reports). Other images: `healthState` null.
   */
  healthImages?: Record<string, PlannedHealth>;
  /** /v1/subscribe answers 503 instead of upgrading. */
  rejectSubscriptions?: boolean;
  /**
   * While true, open /v1/subscribe websockets stay open but send nothing (no pings, no resource.change);
   * turning it off resumes sending: changes made meanwhile go out at once, one snapshot per container.
   */
  stallStream?: boolean;
  /**
   * Starts a network partition of `durationMs` from the moment the plan is set (ms on the emulator clock;
   * 0 ends a running one at once). Setting a plan without `partition` leaves a running window alone.
   * Read back, it shows the time left of the running window (see `partition.ts`).
   */
  partition?: { durationMs: number };
  seed?: number;
};

/** What happens to a request after the wait: process normally, or one of these. */
export type FaultEffect =
  | Readonly<{ kind: 'error'; status: number; retryAfterSec: number | undefined }>
  | Readonly<{ kind: 'drop-before' }>
  /** Processed, then `status` answered, or the socket destroyed when `status` is undefined. */
  | Readonly<{ kind: 'commit-then-fail'; status: number | undefined }>;

/** What to do with one request, decided when it arrives. */
export type FaultDecision = Readonly<{
  /** Wait between reading the body and processing (latency rules plus a commit-late delay), ms. */
  delayMs: number;
  /** Terminal effect, or undefined to process and answer normally (after `delayMs`). */
  effect: FaultEffect | undefined;
  /** The name recorded in the request log: the terminal rule's effect, `latency`, `rate-limit`, or null. */
  fault: string | null;
}>;

/** The request facts rules match on. `path` is already normalised (no project prefix). */
export type FaultRequest = Readonly<{ method: string; path: string; action: string | undefined }>;

/** mulberry32: a small seeded PRNG so probabilistic faults replay identically for a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Applies a {@link FaultPlan}: the rate limit first, then every matching rule in order (latencies add up,
 * the first terminal effect wins). `times` counts applications, not matches skipped by `probability`.
 * The plan's `partition` is not kept here: the emulator hands it to its Partition.
 */
export class FaultInjector {
  readonly #clock: Clock;
  #plan: FaultPlan = {};
  #random: () => number = seededRandom(1);
  #spent: number[] = [];
  #patterns: (RegExp | undefined)[] = [];
  #window: number[] = [];

  constructor(deps: { clock: Clock; plan?: FaultPlan }) {
    this.#clock = deps.clock;
    this.setPlan(deps.plan ?? {});
  }

  /**
   * Replaces the plan (without its `partition`), resetting rule counters, the rate window and the PRNG.
   * Throws ReconcilerError `ERR_EMULATOR` for an invalid plan, leaving the old one in force.
   */
  setPlan(plan: FaultPlan): void {
    checkFaultPlan(plan);
    const { partition: _partition, ...kept } = plan;
    this.#patterns = (kept.rules ?? []).map((rule) => (rule.path === undefined ? undefined : new RegExp(rule.path)));
    this.#plan = structuredClone(kept);
    this.#spent = (kept.rules ?? []).map(() => 0);
    this.#random = seededRandom(kept.seed ?? 1);
    this.#window = [];
  }

  /** The plan in force (a copy, without `partition`). */
  plan(): FaultPlan {
    return structuredClone(this.#plan);
  }

  /** Whether starting a container of this image fails. */
  startFails(imageUuid: unknown): boolean {
    return typeof imageUuid === 'string' && (this.#plan.failStartImages ?? []).includes(imageUuid);
  }

  /** What the health check of a container of this image reports, or undefined when it has none. */
  healthOf(imageUuid: unknown): PlannedHealth | undefined {
    const images = this.#plan.healthImages;
    return typeof imageUuid === 'string' && images !== undefined && Object.hasOwn(images, imageUuid) ? images[imageUuid] : undefined;
  }

  /** Whether /v1/subscribe must be refused with 503. */
  rejectsSubscriptions(): boolean {
    return this.#plan.rejectSubscriptions === true;
  }

  /** Whether the event stream is stalled (`stallStream`). */
  streamStalled(): boolean {
    return this.#plan.stallStream === true;
  }

  /** Decides the fault for one arriving request (and records it in the rate window when admitted). */
  decide(request: FaultRequest): FaultDecision {
    const limit = this.#plan.rateLimit;
    if (limit) {
      const now = this.#clock.now();
      this.#window = this.#window.filter((at) => at > now - 1000);
      if (this.#window.length >= limit.rps) {
        return { delayMs: 0, effect: { kind: 'error', status: 429, retryAfterSec: limit.retryAfterSec ?? 1 }, fault: 'rate-limit' };
      }
      this.#window.push(now);
    }
    let delayMs = 0;
    let delayed = false;
    const rules = this.#plan.rules ?? [];
    for (const [index, rule] of rules.entries()) {
      if (!this.#matches(rule, index, request)) continue;
      if (rule.times !== undefined && this.#spent[index]! >= rule.times) continue;
      if (rule.probability !== undefined && this.#random() >= rule.probability) continue;
      this.#spent[index]! += 1;
      switch (rule.effect) {
        case 'latency':
          delayMs += rule.latencyMs ?? 0;
          delayed = true;
          break;
        case 'commit-late':
          return { delayMs: delayMs + (rule.delayMs ?? 0), effect: undefined, fault: rule.effect };
        case 'error':
          return { delayMs, effect: { kind: 'error', status: rule.status ?? 503, retryAfterSec: rule.retryAfterSec }, fault: rule.effect };
        case 'drop-before':
          return { delayMs, effect: { kind: 'drop-before' }, fault: rule.effect };
        case 'drop-after':
          return { delayMs, effect: { kind: 'commit-then-fail', status: undefined }, fault: rule.effect };
        case 'commit-then-fail':
          return {
            delayMs, effect: { kind: 'commit-then-fail', status: rule.reset === true ? undefined : rule.status ?? 504 }, fault: rule.effect,
          };
      }
    }
    return { delayMs, effect: undefined, fault: delayed ? 'latency' : null };
  }

  #matches(rule: FaultRule, index: number, request: FaultRequest): boolean {
    if (rule.method !== undefined && rule.method.toUpperCase() !== request.method) return false;
    if (rule.action !== undefined && rule.action !== request.action) return false;
    const pattern = this.#patterns[index];
    return pattern === undefined || pattern.test(request.path);
  }
}
