import { describe, expect, it, test } from '@jest/globals';
import { parse } from 'yaml';
import type { ManifestDocument } from '../../../src/export/live-to-manifest.js';
import { needsQuotes, renderManifestFile } from '../../../src/export/manifest-yaml.js';
import { manifestSchemaUrl } from '../../../src/export/schema-url.js';
import { parseManifestFile } from '../../../src/manifest/parse.js';

const manifest = (spec: Record<string, unknown>, name = 'web-1'): ManifestDocument => ({
  apiVersion: 'rancher-reconciler/v1',
  kind: 'Instance',
  metadata: { name },
  spec: { imageUuid: 'docker:nginx:1.25', ...spec },
});

/** Strings a YAML reader would turn into something else when written plain. */
const ambiguous: readonly [string, string][] = [
  ['a YAML 1.2 boolean', 'true'],
  ['a capitalised boolean', 'False'],
  ['a number with a leading zero', '0123'],
  ['a version number', '1.10'],
  ['a plain integer', '42'],
  ['null', 'null'],
  ['the null shorthand', '~'],
  ['the empty string', ''],
  ['a YAML 1.1 yes', 'yes'],
  ['a YAML 1.1 off', 'off'],
  ['a YAML 1.1 y', 'y'],
  ['a YAML 1.1 sexagesimal', '12:30'],
  ['a YAML 1.1 octal', '0o17'],
  ['a hex number', '0x1F'],
  ['an exponent', '1e3'],
  ['infinity', '.inf'],
  ['a date', '2026-12-01'],
  ['a leading space', ' padded'],
  ['a comment start', '# not a comment'],
  ['an alias start', '*ref'],
  ['a flow sequence start', '[a]'],
  ['a key and value', 'a: b'],
  ['a merge key', '<<'],
  ['two lines', 'line one\nline two'],
];

describe('renderManifestFile: strings stay strings', () => {
  test.each(ambiguous)('quotes %s (%j) and reads it back unchanged', (_rule, text) => {
    expect(needsQuotes(text)).toBe(true);
    const file = renderManifestFile([manifest({ environment: { VALUE: text, [text === '' ? 'EMPTY' : text]: 'x' }, labels: { note: text }, command: [text === '' ? 'x' : text] })]);
    const parsed = parseManifestFile(file, 'x.yaml');
    expect(parsed.issues).toEqual([]);
    const spec = parsed.instances[0]?.spec;
    expect(spec?.environment?.['VALUE']).toBe(text);
    expect(spec?.environment?.[text === '' ? 'EMPTY' : text]).toBe('x');
    expect(spec?.labels?.['note']).toBe(text);
    // a YAML 1.1 reader (many editors and tools) sees the same strings
    const old = parse(file, { version: '1.1' }) as { spec: { environment: Record<string, unknown> } };
    expect(old.spec.environment['VALUE']).toBe(text);
  });

  test.each<[string, string]>([
    ['a plain word', 'UTC'],
    ['an image reference', 'docker:nginx:1.25'],
    ['a flag', '-g'],
    ['a path', '/srv/app'],
  ])('leaves %s plain', (_rule, text) => {
    expect(needsQuotes(text)).toBe(false);
    expect(renderManifestFile([manifest({ environment: { VALUE: text } })])).toContain(`VALUE: ${text}\n`);
  });

  it('writes such strings double-quoted, keys too', () => {
    const file = renderManifestFile([manifest({ environment: { A: 'true', B: '0123', C: '1.10', D: 'null', E: 'yes', '1': 'x' } })]);
    expect(file).toContain('    A: "true"\n    B: "0123"\n    C: "1.10"\n    D: "null"\n    E: "yes"\n');
    expect(file).toContain('    "1": x\n');
  });

  it('writes numbers and booleans as such, so validate accepts them', () => {
    const file = renderManifestFile([manifest({ memory: 268435456, privileged: true, restartPolicy: { name: 'on-failure', maximumRetryCount: 5 } })]);
    expect(file).toContain('memory: 268435456\n');
    expect(file).toContain('privileged: true\n');
    expect(parseManifestFile(file, 'x.yaml').issues).toEqual([]);
  });

  it('never folds a long value over several lines', () => {
    const long = `${'x'.repeat(120)} ${'y'.repeat(120)}`;
    expect(renderManifestFile([manifest({ description: long })])).toContain(`description: ${long}\n`);
  });
});

describe('renderManifestFile: the file', () => {
  it('starts with the yaml-language-server modeline naming the schema', () => {
    const file = renderManifestFile([manifest({})]);
    expect(file.split('\n')[0]).toBe(`# yaml-language-server: $schema=${manifestSchemaUrl}`);
    expect(file).toBe(`# yaml-language-server: $schema=${manifestSchemaUrl}\napiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: web-1\nspec:\n  imageUuid: docker:nginx:1.25\n`);
  });

  it('separates several documents with ---, the modeline once on top', () => {
    const file = renderManifestFile([manifest({}, 'a'), manifest({ state: 'stopped' }, 'b')]);
    expect(file.match(/yaml-language-server/g)).toHaveLength(1);
    const parsed = parseManifestFile(file, 'all.yaml');
    expect(parsed.issues).toEqual([]);
    expect(parsed.instances.map((i) => [i.key, i.state])).toEqual([['a', 'running'], ['b', 'stopped']]);
  });

  it('is empty for no documents', () => {
    expect(renderManifestFile([])).toBe('');
  });
});
