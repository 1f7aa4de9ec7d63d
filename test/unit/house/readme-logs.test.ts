/**
 * The README's log vocabulary is what the program logs: the component names (both ways: the list is
 * complete), every field of the log fields table, and every message the README quotes as a log line,
 * against the pino calls in src/ (test/helpers/log-calls.ts).
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { logVocabulary } from '../../helpers/log-calls.js';

const readme = readFileSync('README.md', 'utf8');
const vocabulary = logVocabulary('src');

/** The rows of the `| field | meaning |` table of the Logs section: [names, meaning]. */
function fieldRows(): [string[], string][] {
  const section = readme.slice(readme.indexOf('### Logs'));
  const table = section.slice(section.indexOf('| field | meaning |'));
  const rows: [string[], string][] = [];
  for (const line of table.split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [, names = '', meaning = ''] = line.split('|').map((cell) => cell.trim());
    rows.push([[...names.matchAll(/`([^`]+)`/g)].map((m) => m[1]!), meaning]);
  }
  return rows;
}

const spans = (text: string): string[] => [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);

/**
 * Messages the README quotes as log lines: "log `x`", "`x` log (line)", "`x` line", "`x` warning", the
 * parenthesised examples of the fields table, and the `action succeeded`-style phrases of the Logs
 * prose. Single words (`info` log, `json` line) name a level or a format, not a message.
 */
function quotedMessages(): string[] {
  const inContext = [
    ...readme.matchAll(/\blog(?: line)?\s+`([^`\n]+)`/g),
    ...readme.matchAll(/`([^`\n]+)`\s+(?:log line|log|lines?|warnings?)\b/g),
    ...readme.matchAll(/(?:follows|logs?|then)\s+`([^`\n]+)`\s+(?:once|at|on|and|follows)\b/g),
  ].map((m) => m[1]!);
  // "the `action succeeded` and `phase changed` lines"
  const listed = [...readme.matchAll(/((?:`[^`\n]+`(?:,\s*|,? and |,? or ))+`[^`\n]+`)\s+(?:log lines|lines|warnings)\b/g)].flatMap((m) => spans(m[1]!));
  const inTable = fieldRows().flatMap(([, meaning]) => spans(meaning));
  // `name: action` describes the shape of apply's plain lines, not a message
  return [...new Set([...inContext, ...listed, ...inTable])].filter((s) => /^[A-Za-z][A-Za-z ,:'-]*[a-z]$/.test(s) && s.includes(' ') && s !== 'name: action');
}

/** Every source file's text, concatenated (for the fixed parts of an error message). */
function allSource(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((d) => (d.isDirectory() ? allSource(join(dir, d.name)) : d.name.endsWith('.ts') ? readFileSync(join(dir, d.name), 'utf8') : ''))
    .join('\n');
}

describe('README error lines = what the program prints', () => {
  test('every fixed part of an `error: ...` line the README shows is in the source', () => {
    const source = allSource('src');
    const lines = spans(readme).filter((s) => s.startsWith('error: '));
    expect(lines.length).toBeGreaterThan(0);
    // placeholders are upper-case words (DIR, N, TIME, FILE) and `...`
    // a part may straddle two pieces of the source (`is locked by ${who}` + `pid ${pid} ...`): one cut allowed
    const found = (part: string): boolean =>
      source.includes(part) || [...part].some((_, i) => i >= 2 && i <= part.length - 2 && source.includes(part.slice(0, i).trim()) && source.includes(part.slice(i).trim()));
    const missing = lines.flatMap((line) =>
      line.slice('error: '.length).split(/\.\.\.|\b[A-Z]+\b/).map((part) => part.trim()).filter((part) => part.length >= 3 && !found(part)).map((part) => `${line}: "${part}"`),
    );
    expect(missing).toEqual([]);
  });
});

describe('README log vocabulary = what the program logs', () => {
  test('the component list is exactly the components the program names', () => {
    const row = fieldRows().find(([names]) => names.includes('component'));
    expect(row).toBeDefined();
    expect(spans(row![1]).sort()).toEqual([...vocabulary.components].sort());
  });

  test('every field of the log fields table is a field some log line carries', () => {
    const documented = fieldRows().flatMap(([names]) => names);
    expect(documented.length).toBeGreaterThan(10);
    expect(documented.filter((name) => !vocabulary.fields.has(name))).toEqual([]);
  });

  test('every message the README quotes as a log line is one the program logs', () => {
    const quoted = quotedMessages();
    // the scan must find the well-known ones, or it reads nothing
    expect(quoted).toEqual(expect.arrayContaining(['action succeeded', 'phase changed', 'surplus twin removed', 'ownership moved']));
    expect(quoted.filter((message) => !vocabulary.messages.has(message))).toEqual([]);
  });

  test('the scan of the source sees the log calls it is meant to (a guard against reading nothing)', () => {
    expect(vocabulary.messages.size).toBeGreaterThan(50);
    expect([...vocabulary.fields]).toEqual(expect.arrayContaining(['key', 'instanceId', 'reconcileId', 'phase', 'revision']));
  });
});
