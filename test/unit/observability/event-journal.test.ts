import { describe, expect, it, test } from '@jest/globals';
import { EventJournal } from '../../../src/observability/event-journal.js';
import type { EventInput, EventKind, Severity } from '../../../src/observability/event-model.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';

function anEvent(overrides: Partial<EventInput> = {}): EventInput {
  return { kind: 'action-succeeded', severity: 'info', key: 'web-1', instanceId: '1i1', revision: 'r1', reason: 'Started', message: 'start 1i1', ...overrides };
}

function aJournal(capacity = 5) {
  const clock = new ManualClock();
  const { log, sink } = captureLogger('debug');
  const metrics = createMetrics({ defaultMetrics: false });
  return { journal: new EventJournal({ capacity, clock, log, metrics }), clock, sink, metrics };
}

describe('EventJournal', () => {
  it('numbers events from 1 and stamps the clock time', () => {
    const { journal, clock } = aJournal();
    const first = journal.record(anEvent());
    clock.advance(1500);
    const second = journal.record(anEvent({ key: 'web-2' }));
    expect([first.id, second.id]).toEqual([1, 2]);
    expect(first.time).toBe(new Date(Date.UTC(2026, 10, 27, 12, 0, 0)).toISOString());
    expect(second.time).toBe(new Date(Date.UTC(2026, 10, 27, 12, 0, 1, 500)).toISOString());
    expect(journal.list().map((e) => e.key)).toEqual(['web-1', 'web-2']);
  });

  it('keeps only the newest `capacity` events when the ring overflows, ids still growing', () => {
    const { journal } = aJournal(3);
    for (let i = 1; i <= 7; i += 1) journal.record(anEvent({ message: `m${i}` }));
    expect(journal.list().map((e) => [e.id, e.message])).toEqual([[5, 'm5'], [6, 'm6'], [7, 'm7']]);
    expect([journal.firstId, journal.lastId]).toEqual([5, 7]);
    expect(journal.list({ afterId: 2 }).map((e) => e.id)).toEqual([5, 6, 7]);
    expect(journal.list({ afterId: 6 }).map((e) => e.id)).toEqual([7]);
  });

  test.each<[string, Parameters<EventJournal['list']>[0], number[]]>([
    ['no filter lists everything, oldest first', {}, [1, 2, 3, 4, 5]],
    ['key keeps one instance', { key: 'db' }, [2, 4]],
    ['severity is a minimum', { severity: 'warning' }, [3, 4, 5]],
    ['error keeps only errors', { severity: 'error' }, [5]],
    ['kinds keeps the named kinds', { kinds: ['drift-detected', 'action-failed'] }, [3, 5]],
    ['since keeps events at or after the time', { since: new Date(Date.UTC(2026, 10, 27, 12, 0, 2)).toISOString() }, [3, 4, 5]],
    ['afterId keeps newer ids', { afterId: 3 }, [4, 5]],
    ['limit keeps the newest N of the matches', { limit: 2 }, [4, 5]],
    ['limit applies after the other filters', { key: 'web-1', limit: 2 }, [3, 5]],
  ])('list: %s', (_rule, filter, ids) => {
    const { journal, clock } = aJournal(10);
    const rows: [string, EventKind, Severity][] = [
      ['web-1', 'action-succeeded', 'info'], ['db', 'action-succeeded', 'info'], ['web-1', 'drift-detected', 'warning'],
      ['db', 'instance-blocked', 'warning'], ['web-1', 'action-failed', 'error'],
    ];
    for (const [key, kind, severity] of rows) {
      journal.record(anEvent({ key, kind, severity }));
      clock.advance(1000);
    }
    expect(journal.list(filter).map((e) => e.id)).toEqual(ids);
  });

  it('tells subscribers of every new event until they unsubscribe', () => {
    const { journal } = aJournal();
    const seen: number[] = [];
    const off = journal.subscribe((e) => seen.push(e.id));
    journal.record(anEvent());
    journal.record(anEvent());
    off();
    journal.record(anEvent());
    expect(seen).toEqual([1, 2]);
  });

  it('keeps recording and telling the other subscribers when one throws, and logs it', () => {
    const { journal, sink } = aJournal();
    const seen: number[] = [];
    journal.subscribe(() => {
      throw new Error('listener bug');
    });
    journal.subscribe((e) => seen.push(e.id));
    journal.record(anEvent({ kind: 'drift-detected' }));
    journal.record(anEvent());
    expect(seen).toEqual([1, 2]);
    expect(journal.list()).toHaveLength(2);
    const failures = sink.lines.filter((l) => l.msg === 'event listener failed');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ level: 'error', event: 'drift-detected', eventId: 1, err: { message: 'listener bug' } });
  });

  it('counts recorded events by kind and severity', async () => {
    const { journal, metrics } = aJournal();
    journal.record(anEvent());
    journal.record(anEvent());
    journal.record(anEvent({ kind: 'action-failed', severity: 'warning' }));
    const text = await metrics.render();
    expect(text).toContain('rancher_reconciler_events_total{kind="action-succeeded",severity="info"} 2');
    expect(text).toContain('rancher_reconciler_events_total{kind="action-failed",severity="warning"} 1');
  });

  it('gives the newest events of every instance, oldest first, skipping events of no instance', () => {
    const { journal } = aJournal(20);
    for (let i = 1; i <= 7; i += 1) journal.record(anEvent({ message: `w${i}` }));
    journal.record(anEvent({ key: null, kind: 'revision-seen', message: 'r' }));
    journal.record(anEvent({ key: 'db', message: 'd1' }));
    const recent = journal.recentByKey(5);
    expect(recent.get('web-1')?.map((e) => e.message)).toEqual(['w3', 'w4', 'w5', 'w6', 'w7']);
    expect(recent.get('db')).toEqual([{ id: 9, time: expect.any(String), kind: 'action-succeeded', severity: 'info', reason: 'Started', message: 'd1' }]);
    expect([...recent.keys()].sort()).toEqual(['db', 'web-1']);
  });
});
