import { afterEach, describe, expect, test } from '@jest/globals';
import { KeyedQueue, type KeyedQueueDeps } from '../../../src/controller/keyed-queue.js';
import { BlockingHandler, settle } from '../../helpers/blocking-handler.js';

/** The dedupe/processing layer alone, over a handler that blocks until the test releases each pass. */
class Harness extends BlockingHandler {
  readonly errors: Array<[string, string, number]> = [];
  readonly queue: KeyedQueue;

  constructor(options: Partial<KeyedQueueDeps> = {}) {
    super();
    this.queue = new KeyedQueue({
      concurrency: 1,
      // records how many passes still count as running when the error is reported
      onError: (key, error) => this.errors.push([key, error.message, this.queue.processing]),
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

describe('KeyedQueue', () => {
  test('merges duplicate adds of a waiting key into one pass', async () => {
    const h = (harness = new Harness());
    h.queue.add('blocker');
    const blocker = await h.next();
    for (let i = 0; i < 3; i++) h.queue.add('b');
    expect([h.queue.depth, h.queue.processing]).toEqual([1, 1]);
    blocker.release();
    (await h.next()).release();
    await h.queue.onIdle();
    expect(h.keys()).toEqual(['blocker', 'b']);
  });

  test('runs a key in at most one worker even with free workers, and once more when re-added while running', async () => {
    const h = (harness = new Harness({ concurrency: 4 }));
    h.queue.add('a');
    const first = await h.next();
    h.queue.add('a');
    h.queue.add('a');
    await settle();
    expect(h.calls).toHaveLength(1);
    expect([h.queue.depth, h.queue.processing]).toEqual([1, 1]);
    first.release();
    (await h.next()).release();
    await h.queue.onIdle();
    expect(h.keys()).toEqual(['a', 'a']);
    expect(h.maxPerKey).toBe(1);
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
    await h.queue.onIdle();
    expect(h.maxTotal).toBe(2);
  });

  test('reports a throwing handler while its pass still counts as running, then takes the key again', async () => {
    const h = (harness = new Harness());
    h.queue.add('a');
    (await h.next()).fail('boom');
    await h.queue.onIdle();
    expect(h.errors).toEqual([['a', 'non-error thrown: boom', 1]]);
    expect([h.queue.depth, h.queue.processing]).toEqual([0, 0]);
    h.queue.add('a');
    (await h.next()).release();
    await h.queue.onIdle();
    expect(h.keys()).toEqual(['a', 'a']);
  });

  test('shutdown with drain stops intake but runs waiting keys and the extra pass of a running one', async () => {
    const h = (harness = new Harness());
    h.queue.add('a');
    const a = await h.next();
    h.queue.add('a');
    h.queue.add('b');
    const stopped = h.queue.shutdown({ drain: true });
    expect(h.queue.closed).toBe(true);
    h.queue.add('c');
    a.release();
    (await h.next()).release();
    (await h.next()).release();
    await stopped;
    // the extra pass of `a` queues behind `b`, which was waiting already
    expect(h.keys()).toEqual(['a', 'b', 'a']);
    expect(a.signal.aborted).toBe(false);
  });

  test('shutdown without drain aborts running passes and drops waiting keys', async () => {
    const h = (harness = new Harness());
    h.queue.add('a');
    h.queue.add('b');
    const a = await h.next();
    await h.queue.shutdown({ drain: false });
    expect(a.signal.aborted).toBe(true);
    await settle();
    expect(h.keys()).toEqual(['a']);
    expect([h.queue.depth, h.queue.processing]).toEqual([0, 0]);
  });

  test('shutdown without drain but with abortRunning: false lets running passes finish unaborted', async () => {
    const h = (harness = new Harness());
    h.queue.add('a');
    h.queue.add('b');
    const a = await h.next();
    let done = false;
    const stopped = h.queue.shutdown({ drain: false, abortRunning: false }).then(() => {
      done = true;
    });
    await settle();
    expect([done, a.signal.aborted, h.queue.depth]).toEqual([false, false, 0]);
    a.release();
    await stopped;
    expect(h.keys()).toEqual(['a']);
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
