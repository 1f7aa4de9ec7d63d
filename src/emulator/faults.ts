import type { Clock } from '../clock.js';

/** One fault rule (emulator extension). See the contract in the README "The emulator" section. */
export type FaultRule = {
  /** e.g. 'POST'; absent = any. */
  method?: string;
  /** Regex source matched against the path with `/v1/projects/<pid>` normalised to `/v1`; absent = any. */
  path?: string;
  /** Matches `?action=<name>`; absent = any. */
  action?: string;
  /**
   * error: answer `status` with the real error body without processing; drop-before: destroy the socket
   * without processing; drop-after: process fully, then destroy the socket instead of answering;
   * latency: add `latencyMs` before processing.
   */
  effect: 'error' | 'drop-before' | 'drop-after' | 'latency';
  /** For 'error', default 503. */
  status?: number;
  /** For 'error': adds a Retry-After header. */
  retryAfterSec?: number;
  /** For 'latency'. */
  latencyMs?: number;
  /** 0..1, default 1 (seeded PRNG, reproducible). */
  probability?: number;
  /** Apply to the first N matching requests only, then the rule is spent. */
  times?: number;
};

/** The whole fault plan; replaced as one by `setFaults` or `PUT /_emulator/faults`. */
export type FaultPlan = {
  rules?: FaultRule[];
  /** Above `rps` requests in a sliding 1 s window: 429 with Retry-After (default 1) and the error body. */
  rateLimit?: { rps: number; retryAfterSec?: number };
  /** imageUuid values whose start fails (create+start ends in `error`, a later start back in `stopped`). */
  failStartImages?: string[];
  /** /v1/subscribe answers 503 instead of upgrading. */
  rejectSubscriptions?: boolean;
  seed?: number;
};

/** What to do with one request, decided before it is processed. */
export type FaultDecision = Readonly<{
  latencyMs: number;
  /** Terminal effect, or undefined to process and answer normally. */
  effect:
    | Readonly<{ kind: 'error'; status: number; retryAfterSec: number | undefined }>
    | Readonly<{ kind: 'drop-before' }>
    | Readonly<{ kind: 'drop-after' }>
    | undefined;
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

  /** Replaces the plan, resetting rule counters, the rate window and the PRNG. Throws on a bad path regex. */
  setPlan(plan: FaultPlan): void {
    const patterns = (plan.rules ?? []).map((rule) => (rule.path === undefined ? undefined : new RegExp(rule.path)));
    this.#plan = structuredClone(plan);
    this.#patterns = patterns;
    this.#spent = (plan.rules ?? []).map(() => 0);
    this.#random = seededRandom(plan.seed ?? 1);
    this.#window = [];
  }

  /** The plan in force (a copy). */
  plan(): FaultPlan {
    return structuredClone(this.#plan);
  }

  /** Whether starting a container of this image fails. */
  startFails(imageUuid: unknown): boolean {
    return typeof imageUuid === 'string' && (this.#plan.failStartImages ?? []).includes(imageUuid);
  }

  /** Whether /v1/subscribe must be refused with 503. */
  rejectsSubscriptions(): boolean {
    return this.#plan.rejectSubscriptions === true;
  }

  /** Decides the fault for one arriving request (and records it in the rate window when admitted). */
  decide(request: FaultRequest): FaultDecision {
    const limit = this.#plan.rateLimit;
    if (limit) {
      const now = this.#clock.now();
      this.#window = this.#window.filter((at) => at > now - 1000);
      if (this.#window.length >= limit.rps) {
        return { latencyMs: 0, effect: { kind: 'error', status: 429, retryAfterSec: limit.retryAfterSec ?? 1 } };
      }
      this.#window.push(now);
    }
    let latencyMs = 0;
    const rules = this.#plan.rules ?? [];
    for (const [index, rule] of rules.entries()) {
      if (!this.#matches(rule, index, request)) continue;
      if (rule.times !== undefined && this.#spent[index]! >= rule.times) continue;
      if (rule.probability !== undefined && this.#random() >= rule.probability) continue;
      this.#spent[index]! += 1;
      switch (rule.effect) {
        case 'latency':
          latencyMs += rule.latencyMs ?? 0;
          break;
        case 'error':
          return { latencyMs, effect: { kind: 'error', status: rule.status ?? 503, retryAfterSec: rule.retryAfterSec } };
        case 'drop-before':
          return { latencyMs, effect: { kind: 'drop-before' } };
        case 'drop-after':
          return { latencyMs, effect: { kind: 'drop-after' } };
      }
    }
    return { latencyMs, effect: undefined };
  }

  #matches(rule: FaultRule, index: number, request: FaultRequest): boolean {
    if (rule.method !== undefined && rule.method.toUpperCase() !== request.method) return false;
    if (rule.action !== undefined && rule.action !== request.action) return false;
    const pattern = this.#patterns[index];
    return pattern === undefined || pattern.test(request.path);
  }
}
