import { describe, expect, it } from '@jest/globals';
import { CoalescedRuns } from '../../src/coalesced-runs.js';

/** A run that stays open until the test releases it, so requests can arrive while it runs. */
function gatedRuns(merge: (pending: string, next: string) => string) {
  const started: string[] = [];
  let release: (() => void) | undefined;
  const runs = new CoalescedRuns<string>(async (reason) => {
    started.push(reason);
    await new Promise<void>((resolve) => (release = resolve));
  }, merge);
  const releaseRun = async (): Promise<void> => {
    while (release === undefined) await new Promise((r) => setImmediate(r));
    const r = release;
    release = undefined;
    r();
  };
  return { runs, started, releaseRun };
}

describe('CoalescedRuns', () => {
  it('merges every request made during a run into one more run, with the merged reason', async () => {
    const { runs, started, releaseRun } = gatedRuns((pending, next) => (next > pending ? next : pending));
    const first = runs.request('a');
    const later = [runs.request('c'), runs.request('b'), runs.request('d')];
    await releaseRun();
    await first;
    await releaseRun();
    await Promise.all(later);
    expect(started).toEqual(['a', 'd']);
  });

  it('resolves each request only after a run that started after it', async () => {
    const { runs, started, releaseRun } = gatedRuns((pending) => pending);
    const first = runs.request('a');
    let secondDone = false;
    const second = runs.request('b').then(() => (secondDone = true));
    await releaseRun();
    await first;
    expect(secondDone).toBe(false);
    await releaseRun();
    await second;
    expect(started).toEqual(['a', 'b']);
  });

  it('after stop, waits for the run in progress, releases the waiters and starts nothing', async () => {
    const { runs, started, releaseRun } = gatedRuns((pending) => pending);
    const first = runs.request('a');
    const queued = runs.request('b');
    const stopped = runs.stop();
    await releaseRun();
    await Promise.all([first, queued, stopped]);
    await runs.request('c');
    expect(started).toEqual(['a']);
  });
});
