import { afterEach, describe, expect, test } from '@jest/globals';
import { ItemExponentialRateLimiter } from '../../../src/controller/rate-limiters.js';
import { WorkQueue, type WorkQueueDeps } from '../../../src/controller/work-queue.js';
import { BlockingHandler, settle, untilIdle } from '../../helpers/blocking-handler.js';
import { ManualClock } from '../../helpers/manual-clock.js';

/**
 * The composed queue (dedupe/processing, delaying, rate-limiting) over a handler that blocks until the
 * test releases each pass. Jitter draws are fixed at 0.5, so delays are the exponential itself.
 */
class Harness extends BlockingHandler {
  readonly clock = new ManualClock();
  readonly errors: Array<[string, Error]> = [];
  readonly queue: WorkQueue;

  constructor(options: Partial<WorkQueueDeps> = {}) {
    super();
    this.queue = new WorkQueue({
      clock: this.clock,
      rateLimiter: new ItemExponentialRateLimiter({ random: () => 0.5 }),
      concurrency: 1,
      onError: (key, error) => this.errors.push([key, error]),
      handler: this.handle,
      ...options,
    });
  }
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.queue.shutdown({ drain: false });
  harness = undefined;
});

describe('WorkQueue', () => {
  test('merges duplicate adds of a waiting key into one pass', async () => {
    const h = (harness = new Harness());
    h.queue.add('blocker');
    const blocker = await h.next();
    for (let i = 0; i < 3; i++) h.queue.add('b');
    expect(h.queue.depth).toBe(1);
    blocker.release();
    (await h.next()).release();
    await untilIdle(h.queue);
    expect(h.keys()).toEqual(['blocker', 'b']);
  });

  test('runs a key in at most one worker even with free workers', async () => {
    const h = (harness = new Harness({ concurrency: 4 }));
    h.queue.add('a');
    const first = await h.next();
    h.queue.add('a');
    await settle();
    expect(h.calls).toHaveLength(1);
    expect(h.queue.stats()).toEqual({ depth: 1, processing: 1, delayed: 0, retriesTotal: 0 });
    first.release();
    (await h.next()).release();
    await untilIdle(h.queue);
    expect(h.maxPerKey).toBe(1);
  });

  test('gives a key re-added while running exactly one more pass', async () => {
    const h = (harness = new Harness({ concurrency: 4 }));
    h.queue.add('a');
    const first = await h.next();
    h.queue.add('a');
    h.queue.add('a');
    h.queue.add('a');
    first.release();
    (await h.next()).release();
    await untilIdle(h.queue);
    expect(h.keys()).toEqual(['a', 'a']);
  });

  test('runs different keys concurrently up to the concurrency limit', async () => {
    const h = (harness = new Harness({ concurrency: 2 }));
    for (const key of ['a', 'b', 'c']) h.queue.add(key);
    const a = await h.next();
    const b = await h.next();
    await settle();
    expect(h.keys()).toEqual(['a', 'b']);
    a.release();
    const c = await h.next();
    b.release();
    c.release();
    await untilIdle(h.queue);
    expect(h.maxTotal).toBe(2);
  });

  test('delays addAfter on the clock and lets the earliest delay win', async () => {
    const h = (harness = new Harness());
    h.queue.addAfter('a', 100);
    h.queue.addAfter('a', 50);
    h.queue.addAfter('a', 200);
    expect(h.queue.nextRunAt('a')).toBe(h.clock.now() + 50);
    expect(h.clock.pending).toBe(1);
    h.clock.advance(49);
    await settle();
    expect(h.calls).toHaveLength(0);
    h.clock.advance(1);
    (await h.next()).release();
    h.clock.advance(1_000);
    await untilIdle(h.queue);
    expect(h.keys()).toEqual(['a']);
    expect(h.queue.nextRunAt('a')).toBeUndefined();
  });

  test('grows the per-key backoff exponentially up to the cap, counting retries', async () => {
    const h = (harness = new Harness({ rateLimiter: new ItemExponentialRateLimiter({ backoff: { baseMs: 5, maxMs: 40, jitter: 0.2 }, random: () => 0.5 }) }));
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      h.queue.addRateLimited('a');
      const delay = h.queue.nextRunAt('a')! - h.clock.now();
      delays.push(delay);
      h.clock.advance(delay - 1);
      await settle();
      expect(h.calls).toHaveLength(i);
      h.clock.advance(1);
      (await h.next()).release();
      await untilIdle(h.queue);
    }
    expect(delays).toEqual([5, 10, 20, 40, 40, 40]);
    expect(h.queue.failures('a')).toBe(6);
    expect(h.queue.stats().retriesTotal).toBe(6);
  });

  test('forget resets the backoff of a key', () => {
    const h = (harness = new Harness());
    h.queue.addRateLimited('a');
    h.queue.addRateLimited('a');
    h.queue.addRateLimited('a');
    expect(h.queue.failures('a')).toBe(3);
    h.queue.forget('a');
    expect(h.queue.failures('a')).toBe(0);
    h.queue.addRateLimited('b');
    expect(h.queue.nextRunAt('b')).toBe(h.clock.now() + 5);
  });

  test('retries a key whose handler throws, with backoff, and reports the error', async () => {
    const h = (harness = new Harness());
    h.queue.add('a');
    (await h.next()).fail('boom');
    await untilIdle(h.queue);
    expect(h.errors.map(([key, e]) => [key, e.message])).toEqual([['a', 'non-error thrown: boom']]);
    expect(h.queue.failures('a')).toBe(1);
    expect(h.queue.nextRunAt('a')).toBe(h.clock.now() + 5);
  });

  test('shutdown with drain stops intake, runs waiting keys and resolves when idle', async () => {
    const h = (harness = new Harness());
    h.queue.add('a');
    h.queue.add('b');
    h.queue.addAfter('later', 10);
    const a = await h.next();
    let done = false;
    const stopped = h.queue.shutdown({ drain: true }).then(() => {
      done = true;
    });
    h.queue.add('c');
    h.queue.addRateLimited('d');
    expect(h.clock.pending).toBe(0);
    a.release();
    const b = await h.next();
    await settle();
    expect(done).toBe(false);
    b.release();
    await stopped;
    expect(h.keys()).toEqual(['a', 'b']);
    expect(a.signal.aborted).toBe(false);
  });

  test('shutdown without drain aborts running passes and drops waiting keys', async () => {
    const h = (harness = new Harness());
    h.queue.add('a');
    h.queue.add('b');
    h.queue.addAfter('later', 10);
    const a = await h.next();
    await h.queue.shutdown({ drain: false });
    expect(a.signal.aborted).toBe(true);
    h.clock.advance(100);
    await settle();
    expect(h.keys()).toEqual(['a']);
    expect(h.queue.stats()).toEqual({ depth: 0, processing: 0, delayed: 0, retriesTotal: 0 });
  });

  test('a second shutdown without drain escalates a draining one', async () => {
    const h = (harness = new Harness());
    h.queue.add('a');
    const a = await h.next();
    const draining = h.queue.shutdown({ drain: true });
    await h.queue.shutdown({ drain: false });
    await draining;
    expect(a.signal.aborted).toBe(true);
  });
});
