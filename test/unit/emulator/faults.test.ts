import { describe, expect, test } from '@jest/globals';
import { FaultInjector, type FaultDecision, type FaultPlan, type FaultRule } from '../../../src/emulator/faults.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const create = { method: 'POST', path: '/v1/containers', action: undefined } as const;
const decide = (rules: FaultRule[]): FaultDecision => new FaultInjector({ clock: new ManualClock(), plan: { rules } }).decide(create);

describe('fault decisions', () => {
  test.each<[string, FaultRule[], FaultDecision]>([
    ['no rule: process at once, no fault', [], { delayMs: 0, effect: undefined, fault: null }],
    ['latency waits, then processes', [{ effect: 'latency', latencyMs: 300 }], { delayMs: 300, effect: undefined, fault: 'latency' }],
    ['latencies add up and combine with a later terminal effect', [{ effect: 'latency', latencyMs: 100 }, { effect: 'latency', latencyMs: 50 }, { effect: 'error' }],
      { delayMs: 150, effect: { kind: 'error', status: 503, retryAfterSec: undefined }, fault: 'error' }],
    ['commit-late waits delayMs, then processes and answers', [{ effect: 'commit-late', delayMs: 2000 }], { delayMs: 2000, effect: undefined, fault: 'commit-late' }],
    ['commit-late is terminal: later rules are not applied', [{ effect: 'commit-late', delayMs: 10 }, { effect: 'error' }], { delayMs: 10, effect: undefined, fault: 'commit-late' }],
    ['commit-then-fail answers 504 by default', [{ effect: 'commit-then-fail' }], { delayMs: 0, effect: { kind: 'commit-then-fail', status: 504 }, fault: 'commit-then-fail' }],
    ['commit-then-fail with a status answers it', [{ effect: 'commit-then-fail', status: 502 }], { delayMs: 0, effect: { kind: 'commit-then-fail', status: 502 }, fault: 'commit-then-fail' }],
    ['commit-then-fail with reset destroys the socket', [{ effect: 'commit-then-fail', reset: true }], { delayMs: 0, effect: { kind: 'commit-then-fail', status: undefined }, fault: 'commit-then-fail' }],
    ['drop-after is commit-then-fail with reset', [{ effect: 'drop-after' }], { delayMs: 0, effect: { kind: 'commit-then-fail', status: undefined }, fault: 'drop-after' }],
    ['drop-before is not processed', [{ effect: 'drop-before' }], { delayMs: 0, effect: { kind: 'drop-before' }, fault: 'drop-before' }],
    ['a rule for another method does not match', [{ method: 'GET', effect: 'drop-before' }], { delayMs: 0, effect: undefined, fault: null }],
    ['a path regex matches the normalised path', [{ path: '^/v1/containers$', effect: 'error', status: 500 }], { delayMs: 0, effect: { kind: 'error', status: 500, retryAfterSec: undefined }, fault: 'error' }],
  ])('%s', (_rule, rules, expected) => {
    expect(decide(rules)).toEqual(expected);
  });

  test('a rule with times is spent after that many applications', () => {
    const injector = new FaultInjector({ clock: new ManualClock(), plan: { rules: [{ effect: 'commit-then-fail', times: 2 }] } });
    expect([1, 2, 3].map(() => injector.decide(create).fault)).toEqual(['commit-then-fail', 'commit-then-fail', null]);
  });

  test('healthImages tells the planned report per image; other images have no health check', () => {
    const injector = new FaultInjector({ clock: new ManualClock(), plan: { healthImages: { 'docker:web:1': 'unhealthy' } } });
    expect([injector.healthOf('docker:web:1'), injector.healthOf('docker:other'), injector.healthOf('toString')]).toEqual(['unhealthy', undefined, undefined]);
  });

  test('the plan keeps stallStream and drops partition (the emulator runs the window)', () => {
    const injector = new FaultInjector({ clock: new ManualClock(), plan: { stallStream: true, partition: { durationMs: 10 } } });
    expect(injector.plan()).toEqual({ stallStream: true });
    expect(injector.streamStalled()).toBe(true);
  });
});

describe('fault plan checks', () => {
  test.each<[string, unknown, string]>([
    ['an unknown effect', { rules: [{ effect: 'explode' }] },
      'Expected `rules[0].effect` to be one of error, drop-before, drop-after, latency, commit-late, commit-then-fail, got `"explode"`'],
    ['a commit-then-fail status that no gateway answers', { rules: [{ effect: 'commit-then-fail', status: 500 }] }, 'Expected `rules[0].status` to be 502, 503 or 504, got `500`'],
    ['status and reset together', { rules: [{ effect: 'commit-then-fail', status: 502, reset: true }] }, 'Expected `rules[0]` to have `status` or `reset: true`, got both'],
    ['a commit-late without delayMs', { rules: [{ effect: 'commit-late' }] }, 'Expected `rules[0].delayMs` for a commit-late rule, got nothing'],
    ['a negative latency', { rules: [{ effect: 'latency', latencyMs: -1 }] }, 'Expected `rules[0].latencyMs` to be an integer from 0, got `-1`'],
    ['a probability above 1', { rules: [{ effect: 'error', probability: 2 }] }, 'Expected `rules[0].probability` to be a number from 0 to 1, got `2`'],
    ['a bad path regex', { rules: [{ effect: 'error', path: '(' }] }, 'Expected `rules[0].path` to be a regular expression, got `"("`'],
    ['an unknown rule key', { rules: [{ effect: 'error', latency: 5 }] }, 'Unknown key `rules[0].latency`'],
    ['an unknown plan key', { stall: true }, 'Unknown key `stall`'],
    ['a non-boolean stallStream', { stallStream: 'yes' }, 'Expected `stallStream` to be a boolean, got `"yes"`'],
    ['a partition without durationMs', { partition: {} }, 'Expected `partition` to be {durationMs}, got `{}`'],
    ['a partition longer than an hour', { partition: { durationMs: 3_600_001 } }, 'Expected `partition.durationMs` to be an integer from 0 to 3600000, got `3600001`'],
    ['a rate limit without rps', { rateLimit: {} }, 'Expected `rateLimit.rps`, got nothing'],
    ['healthImages that is a list', { healthImages: ['docker:web'] },
      'Expected `healthImages` to be an object of imageUuid to healthy, unhealthy, initializing, got `["docker:web"]`'],
    ['a health state a check cannot report', { healthImages: { 'docker:web': 'updating-healthy' } },
      'Expected `healthImages["docker:web"]` to be one of healthy, unhealthy, initializing, got `"updating-healthy"`'],
  ])('refuses %s', (_rule, plan, issue) => {
    expect(() => new FaultInjector({ clock: new ManualClock(), plan: plan as FaultPlan })).toThrow(`invalid fault plan: ${issue}`);
  });

  test('lists every problem at once and keeps the old plan', () => {
    const injector = new FaultInjector({ clock: new ManualClock(), plan: { seed: 3 } });
    expect(() => injector.setPlan({ seed: -1, rules: [{ effect: 'nope' }] } as never)).toThrow(/effect.*seed|seed.*effect/);
    expect(injector.plan()).toEqual({ seed: 3 });
  });
});
