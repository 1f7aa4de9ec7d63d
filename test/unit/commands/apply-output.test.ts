/**
 * apply's output: the bar's text and count, the table's summary line, and which keys the bar counts
 * (a key whose pass ends its management leaves the total, so a run that prunes still ends at N/N).
 */
import { describe, expect, it, test } from '@jest/globals';
import { countDone, createApplyProgress, renderApplyTable, renderBar, type ProgressStatus } from '../../../src/commands/apply-output.js';
import { StatusLine } from '../../../src/commands/status-line.js';
import type { ReconcileFinishedEvent } from '../../../src/controller/events.js';
import type { InstanceStatus, Phase, PhaseSummary } from '../../../src/domain/status.js';
import { TextSink } from '../../helpers/cli.js';
import { renderScreen } from '../../helpers/terminal-screen.js';

function aStatus(name: string, phase: Phase): InstanceStatus {
  return { name, id: '1i1', phase, reason: 'InSync', message: 'live state matches the manifest', lastAction: null, attempts: 0, nextRetryAt: null, revision: null, notices: [], notes: [] };
}

/** A status book as a plain map: what the progress reads after each pass. */
function statusOf(entries: Map<string, InstanceStatus>): ProgressStatus {
  return {
    get: (key) => entries.get(key),
    summary: () => {
      const summary = { 'in-sync': 0, progressing: 0, waiting: 0, blocked: 0, failed: 0, total: entries.size } as Record<string, number>;
      for (const s of entries.values()) summary[s.phase] = (summary[s.phase] ?? 0) + 1;
      return summary as PhaseSummary;
    },
  };
}

function passOf(key: string): ReconcileFinishedEvent {
  return { key, plan: undefined, phase: 'in-sync', action: undefined, error: undefined, durationMs: 1 };
}

const summaryOf = (counts: Partial<Record<Phase, number>>): PhaseSummary => {
  const base = { 'in-sync': 0, progressing: 0, waiting: 0, blocked: 0, failed: 0, ...counts } as Record<string, number>;
  return { ...base, total: Object.values(base).reduce((a, b) => a + b, 0) } as PhaseSummary;
};

describe('renderBar', () => {
  test.each<[string, number, number, string, string]>([
    ['empty at the start', 0, 4, '', `converging [${'░'.repeat(30)}] 0/4 instances`],
    ['full at N/N, with the last action', 4, 4, 'web: start 1i4', `converging [${'█'.repeat(30)}] 4/4 instances | web: start 1i4`],
    ['half way', 1, 2, '', `converging [${'█'.repeat(15)}${'░'.repeat(15)}] 1/2 instances`],
    ['one instance is singular', 1, 1, '', `converging [${'█'.repeat(30)}] 1/1 instance`],
  ])('%s', (_rule, done, total, last, text) => {
    expect(renderBar(done, total, last)).toBe(text);
  });
});

describe('countDone', () => {
  test.each<[string, Partial<Record<Phase, number>>, number]>([
    ['in sync, blocked and failed need nothing more from this run', { 'in-sync': 2, blocked: 1, failed: 1 }, 4],
    ['progressing and waiting are not done', { 'in-sync': 1, progressing: 1, waiting: 2 }, 1],
  ])('%s', (_rule, counts, done) => {
    expect(countDone(summaryOf(counts))).toBe(done);
  });
});

describe('renderApplyTable', () => {
  it('says "1 instance" for one, and puts the header on a line of its own', () => {
    const text = renderApplyTable([aStatus('web', 'in-sync')], summaryOf({ 'in-sync': 1 }));
    expect(text.split('\n')).toEqual([
      'NAME  ID   PHASE    REASON  MESSAGE',
      'web   1i1  in-sync  InSync  live state matches the manifest',
      '1 instance: 1 in sync, 0 progressing, 0 waiting, 0 blocked, 0 failed',
      '',
    ]);
  });

  it('says "0 instances" for none', () => {
    expect(renderApplyTable([], summaryOf({}))).toContain('0 instances: 0 in sync');
  });
});

describe('createApplyProgress on a terminal', () => {
  it('ends at N/N when passes drop keys from management (pruned orphans)', () => {
    const out = Object.assign(new TextSink(), { isTTY: true, columns: 120 });
    const entries = new Map<string, InstanceStatus>();
    const progress = createApplyProgress(new StatusLine(out), new TextSink(), new Set(['a', 'b', 'old-1', 'old-2']), statusOf(entries));
    entries.set('a', aStatus('a', 'in-sync'));
    progress.onPass(passOf('a'));
    // the orphans are removed: their status is gone after their pass
    progress.onPass(passOf('old-1'));
    progress.onPass(passOf('old-2'));
    entries.set('b', aStatus('b', 'in-sync'));
    progress.onPass(passOf('b'));
    progress.stop();
    expect(renderScreen(out.text)).toEqual([`converging [${'█'.repeat(30)}] 2/2 instances`, '']);
  });

  it('counts a key that was not managed at the first pass once it has a status (a moved key)', () => {
    const out = Object.assign(new TextSink(), { isTTY: true, columns: 120 });
    const entries = new Map<string, InstanceStatus>([['a', aStatus('a', 'progressing')]]);
    const progress = createApplyProgress(new StatusLine(out), new TextSink(), new Set(['a']), statusOf(entries));
    entries.set('new', aStatus('new', 'in-sync'));
    progress.onPass(passOf('new'));
    expect(renderScreen(out.text)).toEqual([`converging [${'█'.repeat(15)}${'░'.repeat(15)}] 1/2 instances`]);
  });
});

describe('createApplyProgress off a terminal', () => {
  it('writes one line per error and draws nothing', () => {
    const lines = new TextSink();
    const progress = createApplyProgress(undefined, lines, new Set(['a']), statusOf(new Map()));
    progress.onPass({ ...passOf('a'), error: new Error('boom') });
    progress.onPass(passOf('a'));
    progress.stop();
    expect(lines.text).toBe('a: error: boom\n');
  });
});
