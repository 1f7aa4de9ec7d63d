/**
 * The status table as a table of rules: phases and counts, missing or malformed fields shown as `-`,
 * kubectl-style ages, and columns as wide as their widest cell.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { alignColumns, humanAge, renderStatus, summaryLine } from '../../../src/commands/status-table.js';

const now = Date.parse('2026-12-01T12:00:00.000Z');
const ago = (ms: number): string => new Date(now - ms).toISOString();

const aStatus = (instances: Record<string, unknown>[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  revision: 'main@sha1:9f1c2e7a4b3d5c6e8f90a1b2c3d4e5f607182930',
  complete: true,
  ready: true,
  summary: { 'in-sync': 0, progressing: 0, waiting: 0, blocked: 0, failed: 0, suspended: 0, total: instances.length, ...(extra['summary'] as object) },
  instances,
  ...extra,
});

describe('humanAge', () => {
  test.each<[string, number, string]>([
    ['whole seconds below a minute', 5_400, '5s'],
    ['zero', 0, '0s'],
    ['a negative age (clock skew) is 0s', -3_000, '0s'],
    ['59 s is still seconds', 59_999, '59s'],
    ['minutes below an hour', 3 * 60_000 + 59_000, '3m'],
    ['hours below a day', 2 * 3_600_000 + 59 * 60_000, '2h'],
    ['days below a year', 4 * 86_400_000 + 23 * 3_600_000, '4d'],
    ['years after that', 800 * 86_400_000, '2y'],
  ])('%s', (_rule, ms, expected) => expect(humanAge(ms)).toBe(expected));
});

describe('renderStatus', () => {
  test('prints the header, one row per instance in the daemon order, and the summary', () => {
    const doc = aStatus(
      [
        { name: 'web-1', id: '1i42', liveState: 'running', phase: 'in-sync', reason: 'InSync', lastAction: 'start', updatedAt: ago(5_000) },
        { name: 'db', id: '1i7', liveState: 'stopped', phase: 'blocked', reason: 'ImmutableFieldChanged', lastAction: null, updatedAt: ago(3 * 3_600_000) },
      ],
      { summary: { 'in-sync': 1, blocked: 1 } },
    );
    expect(renderStatus(doc, now)).toBe(
      [
        'NAME    ID     STATE     PHASE     REASON                  LAST ACTION   AGE',
        'web-1   1i42   running   in-sync   InSync                  start         5s',
        'db      1i7    stopped   blocked   ImmutableFieldChanged   -             3h',
        '',
        '2 instances: 1 in-sync, 1 blocked; revision main@sha1:9f1c2e7a4b3d; ready',
        '',
      ].join('\n'),
    );
  });

  test.each<[string, Record<string, unknown>, string[]]>([
    ['no Rancher id yet', { name: 'new', phase: 'progressing', reason: 'Created', id: null }, ['new', '-', '-', 'progressing', 'Created', '-', '-']],
    ['no liveState (a daemon that does not send it)', { name: 'a', id: '1i1', phase: 'in-sync', reason: 'InSync', lastAction: 'create' }, ['a', '1i1', '-', 'in-sync', 'InSync', 'create', '-']],
    ['fields of the wrong type or empty', { name: 'b', id: 42, phase: 'waiting', reason: '', lastAction: 7, updatedAt: 'not a time' }, ['b', '-', '-', 'waiting', '-', '-', '-']],
  ])('shows `-` for %s', (_rule, instance, cells) => {
    const row = renderStatus(aStatus([instance]), now).split('\n')[1]!;
    expect(row.split(/ {3,}/)).toEqual(cells);
  });

  test('every phase the daemon reports is shown as is, and the summary counts each once', () => {
    const names = ['in-sync', 'progressing', 'waiting', 'blocked', 'failed', 'suspended'];
    const doc = aStatus(
      names.map((phase, i) => ({ name: `i${i}`, phase, reason: 'R' })),
      { summary: Object.fromEntries(names.map((p) => [p, 1])) },
    );
    const lines = renderStatus(doc, now).split('\n');
    expect(lines.slice(1, 7).map((l) => l.split(/ {3,}/)[3])).toEqual(names);
    expect(lines[8]).toBe('6 instances: 1 in-sync, 1 progressing, 1 waiting, 1 blocked, 1 failed, 1 suspended; revision main@sha1:9f1c2e7a4b3d; ready');
  });

  test('with no instances prints only the summary, in the singular or plural as it should', () => {
    expect(renderStatus(aStatus([], { revision: null, ready: false }), now)).toBe('0 instances; no revision read yet; not ready\n');
    expect(summaryLine(aStatus([{ name: 'x' }], { summary: { 'in-sync': 1 } }), 1)).toBe('1 instance: 1 in-sync; revision main@sha1:9f1c2e7a4b3d; ready');
  });

  test('a suspended daemon says since when', () => {
    const doc = aStatus([], { suspended: { since: '2026-12-01T10:00:00.000Z', reason: 'x', by: 'ann' } });
    expect(summaryLine(doc, 0)).toBe('0 instances; revision main@sha1:9f1c2e7a4b3d; ready; suspended since 2026-12-01T10:00:00.000Z');
  });

  test('a folder revision is shown whole', () => {
    expect(summaryLine(aStatus([], { revision: 'tree:abc123' }), 0)).toBe('0 instances; revision tree:abc123; ready');
  });
});

describe('alignColumns', () => {
  test('pads each column to its widest cell with three spaces between, and leaves no trailing spaces', () => {
    expect(alignColumns([
      ['NAME', 'AGE'],
      ['a-very-long-name', '5s'],
      ['b', ''],
    ])).toEqual(['NAME               AGE', 'a-very-long-name   5s', 'b']);
  });
});

describe('the README', () => {
  test('its "From a terminal" table is what renderStatus prints for such a document', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### From a terminal'));
    const start = section.indexOf('$ rancher-reconciler status\n') + '$ rancher-reconciler status\n'.length;
    const shown = section.slice(start, section.indexOf('```', start));
    const doc = aStatus(
      [
        { name: 'web-1', id: '1i42', liveState: 'running', phase: 'in-sync', reason: 'InSync', lastAction: 'start', updatedAt: ago(3 * 60_000 + 20_000) },
        { name: 'db', id: '1i7', liveState: 'running', phase: 'blocked', reason: 'ImmutableFieldChanged', lastAction: null, updatedAt: ago(2 * 3_600_000 + 60_000) },
        { name: 'worker', id: '1i51', liveState: 'starting', phase: 'progressing', reason: 'Starting', lastAction: 'start', updatedAt: ago(5_000) },
        { name: 'cache', id: null, phase: 'failed', reason: 'ApiError', lastAction: 'create', updatedAt: ago(4 * 86_400_000 + 7_200_000) },
      ],
      { summary: { 'in-sync': 1, progressing: 1, blocked: 1, failed: 1 } },
    );
    expect(shown).toBe(renderStatus(doc, now));
  });
});
