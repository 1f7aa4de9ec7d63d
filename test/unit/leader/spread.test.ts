/** The two decisions of spreading environments over replicas (leader/spread.ts), as tables. */
import { describe, expect, test } from '@jest/globals';
import { mayCampaign, shouldRelease } from '../../../src/leader/spread.js';

const leaseMs = 15_000;

describe('mayCampaign', () => {
  test.each([
    { why: 'below its share', held: 0, share: 1, leaderlessSince: undefined, holdOffUntil: 0, now: 100_000, expected: true },
    { why: 'at its share, the environment led by another', held: 2, share: 2, leaderlessSince: undefined, holdOffUntil: 0, now: 100_000, expected: false },
    { why: 'at its share, leaderless for less than a lease', held: 2, share: 2, leaderlessSince: 90_000, holdOffUntil: 0, now: 100_000, expected: false },
    { why: 'at its share, leaderless for a whole lease: nobody is left without a leader', held: 2, share: 2, leaderlessSince: 85_000, holdOffUntil: 0, now: 100_000, expected: true },
    { why: 'just released it: held off even below its share', held: 0, share: 1, leaderlessSince: 0, holdOffUntil: 100_001, now: 100_000, expected: false },
    { why: 'the hold-off is over', held: 0, share: 1, leaderlessSince: undefined, holdOffUntil: 100_000, now: 100_000, expected: true },
  ])('$why -> $expected', ({ held, share, leaderlessSince, holdOffUntil, now, expected }) => {
    expect(mayCampaign({ held, share, now, leaderlessSince, holdOffUntil, leaseMs })).toBe(expected);
  });
});

describe('shouldRelease', () => {
  test.each([
    { why: 'at its share', held: 2, share: 2, overShareSince: 0, now: 100_000, expected: false },
    { why: 'over its share, not for long', held: 3, share: 2, overShareSince: 80_000, now: 100_000, expected: false },
    { why: 'over its share for the hysteresis', held: 3, share: 2, overShareSince: 70_000, now: 100_000, expected: true },
    { why: 'over its share, never seen so before', held: 3, share: 2, overShareSince: undefined, now: 100_000, expected: false },
  ])('$why -> $expected', ({ held, share, overShareSince, now, expected }) => {
    expect(shouldRelease({ held, share, overShareSince, now, hysteresisMs: 30_000 })).toBe(expected);
  });
});
