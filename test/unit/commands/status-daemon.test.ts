/**
 * renderDaemon (status-table.ts): the one `default` environment prints exactly as one document does;
 * named or several environments get sections and, with several, a last line naming the not ready.
 */
import { describe, expect, test } from '@jest/globals';
import { renderDaemon, renderStatus } from '../../../src/commands/status-table.js';

const doc = (name: string, ready = true) => ({
  name, ready, revision: 'r1',
  summary: { 'in-sync': 1, progressing: 0, waiting: 0, blocked: 0, failed: 0, suspended: 0, total: 1 },
  instances: [{ name: `${name}-web`, id: '1i1', liveState: 'running', phase: 'in-sync', reason: 'InSync', lastAction: 'create' }],
});

describe('renderDaemon', () => {
  test('the one default environment prints as its document alone, without a section', () => {
    expect(renderDaemon({ environments: [doc('default')], notReady: [] }, 0)).toBe(renderStatus(doc('default'), 0));
  });

  test('one named environment gets its section header and no count line', () => {
    expect(renderDaemon({ environments: [doc('dev')], notReady: [] }, 0)).toBe(`== environment dev ==\n${renderStatus(doc('dev'), 0)}`);
  });

  test.each<[string, string[], string]>([
    ['every environment ready', [], '2 environments: 2 ready'],
    ['one not ready, named', ['prod'], '2 environments: 1 ready, 1 not ready (prod)'],
  ])('several: a section each, then a count line: %s', (_rule, notReady, last) => {
    const text = renderDaemon({ environments: [doc('dev'), doc('prod', notReady.length === 0)], notReady }, 0);
    expect(text).toBe(`== environment dev ==\n${renderStatus(doc('dev'), 0)}== environment prod ==\n${renderStatus(doc('prod', notReady.length === 0), 0)}\n${last}\n`);
  });
});
