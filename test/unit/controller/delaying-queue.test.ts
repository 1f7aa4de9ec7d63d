import { describe, expect, test } from '@jest/globals';
import type { Clock, TimerHandle } from '../../../src/clock.js';
import { DelayingQueue } from '../../../src/controller/delaying-queue.js';
import { DueList } from '../../../src/controller/due-list.js';
import { ManualClock } from '../../helpers/manual-clock.js';

/** The delaying layer over a sink that records every add with the clock time it happened at. */
function delaying(clock: Clock = new ManualClock()): { queue: DelayingQueue; added: Array<[string, number]>; start: number } {
  const added: Array<[string, number]> = [];
  const queue = new DelayingQueue({ clock, queue: { add: (key) => added.push([key, clock.now() - start]) } });
  const start = clock.now();
  return { queue, added, start };
}

describe('DelayingQueue', () => {
  test('delays addAfter on the clock and lets the earliest delay win, on one timer', () => {
    const clock = new ManualClock();
    const { queue, added, start } = delaying(clock);
    queue.addAfter('a', 100);
    queue.addAfter('a', 50);
    queue.addAfter('a', 200);
    expect(queue.dueAt('a')).toBe(start + 50);
    expect([queue.size, clock.pending]).toEqual([1, 1]);
    clock.advance(49);
    expect(added).toEqual([]);
    clock.advance(1);
    expect(added).toEqual([['a', 50]]);
    clock.advance(1_000);
    expect(added).toEqual([['a', 50]]);
    expect([queue.dueAt('a'), queue.size, clock.pending]).toEqual([undefined, 0, 0]);
  });

  test('holds many keys on one timer and adds each at its own due time, ties in the order they were set', () => {
    const clock = new ManualClock();
    const { queue, added } = delaying(clock);
    queue.addAfter('late', 300);
    queue.addAfter('tie-1', 100);
    queue.addAfter('early', 20);
    queue.addAfter('tie-2', 100);
    queue.addAfter('late', 250);
    expect([queue.size, clock.pending]).toEqual([4, 1]);
    clock.advance(100);
    expect(added).toEqual([['early', 20], ['tie-1', 100], ['tie-2', 100]]);
    expect(clock.pending).toBe(1);
    clock.advance(1_000);
    expect(added.at(-1)).toEqual(['late', 250]);
    expect(clock.pending).toBe(0);
  });

  test('cancel drops a pending add and moves the one timer to the next key, or clears it', () => {
    const clock = new ManualClock();
    const { queue, added } = delaying(clock);
    queue.addAfter('a', 10);
    queue.addAfter('b', 40);
    queue.cancel('a');
    queue.cancel('never-added');
    expect([queue.dueAt('a'), queue.size, clock.pending]).toEqual([undefined, 1, 1]);
    clock.advance(39);
    expect(added).toEqual([]);
    clock.advance(1);
    expect(added).toEqual([['b', 40]]);
    queue.addAfter('c', 10);
    queue.cancel('c');
    expect(clock.pending).toBe(0);
    clock.advance(100);
    expect(added).toEqual([['b', 40]]);
  });

  test.each<[string, number]>([
    ['zero', 0],
    ['negative', -5],
    ['NaN', Number.NaN],
  ])('a %s delay adds at once and leaves a pending delayed add in place', (_what, delayMs) => {
    const clock = new ManualClock();
    const { queue, added } = delaying(clock);
    queue.addAfter('a', 30);
    queue.addAfter('a', delayMs);
    expect(added).toEqual([['a', 0]]);
    expect(clock.pending).toBe(1);
    clock.advance(30);
    expect(added).toEqual([['a', 0], ['a', 30]]);
  });

  test('shutdown drops pending adds and the timer; later addAfter calls do nothing', () => {
    const clock = new ManualClock();
    const { queue, added } = delaying(clock);
    queue.addAfter('a', 10);
    queue.shutdown();
    queue.addAfter('b', 10);
    queue.addAfter('c', 0);
    expect([queue.size, clock.pending]).toEqual([0, 0]);
    clock.advance(100);
    expect(added).toEqual([]);
  });

  test('a timer that fires before the due time by the clock adds nothing and is armed again', () => {
    /** A clock whose test fires the pending timer by hand, at any time. */
    class HandClock implements Clock {
      nowMs = 1_000;
      timers: Array<{ callback: () => void; delayMs: number }> = [];
      now(): number {
        return this.nowMs;
      }
      setTimeout(callback: () => void, delayMs: number): TimerHandle {
        const timer = { callback, delayMs };
        this.timers.push(timer);
        return { id: timer };
      }
      clearTimeout(handle: TimerHandle): void {
        this.timers = this.timers.filter((t) => t !== handle.id);
      }
    }
    const clock = new HandClock();
    const { queue, added } = delaying(clock);
    queue.addAfter('a', 10);
    clock.nowMs += 9;
    clock.timers.shift()!.callback();
    expect(added).toEqual([]);
    expect(clock.timers.map((t) => t.delayMs)).toEqual([1]);
    clock.nowMs += 1;
    clock.timers.shift()!.callback();
    expect(added).toEqual([['a', 10]]);
    expect(clock.timers).toEqual([]);
  });
});

describe('DueList', () => {
  test('keeps one entry per key, earliest first, ties in the order they were set', () => {
    const list = new DueList();
    list.set('b', 20);
    list.set('a', 10);
    list.set('c', 20);
    list.set('d', 5);
    list.set('d', 30);
    expect([list.size, list.first(), list.dueOf('d')]).toEqual([4, { key: 'a', due: 10 }, 30]);
    expect(list.takeDue(20)).toEqual(['a', 'b', 'c']);
    expect([list.size, list.dueOf('a'), list.first()?.key]).toEqual([1, undefined, 'd']);
  });

  test('deletes any entry, among equal due times too', () => {
    const list = new DueList();
    for (const key of ['a', 'b', 'c', 'd']) list.set(key, 7);
    expect(list.delete('c')).toBe(true);
    expect(list.delete('c')).toBe(false);
    expect(list.delete('a')).toBe(true);
    expect(list.takeDue(7)).toEqual(['b', 'd']);
    list.set('e', 1);
    list.clear();
    expect([list.size, list.first(), list.takeDue(Infinity)]).toEqual([0, undefined, []]);
  });
});
