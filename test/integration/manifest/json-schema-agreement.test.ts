/**
 * `validate` and the JSON Schema (checked with ajv, as an editor would) agree on every case of the
 * committed corpus (test/fixtures/manifests/good, every folder of test/fixtures/manifests/bad, the
 * examples in manifests/) and on a few cases made here. Where they cannot agree, the case is listed in
 * `cannotAgree` with the reason, and the test checks that the reason holds.
 *
 * How a file reaches ajv: YAML 1.2 with `<<` merge keys (the validator's dialect), each non-empty
 * document as JSON. A document the YAML layer rejects (syntax, tabs, unknown tags, duplicate keys, an
 * alias bomb) never reaches ajv; editors show those as YAML errors, not schema errors.
 * The generated cases of test/e2e/validate.test.ts (symlink loops, a 10 MB file, non-UTF-8 bytes, NUL
 * bytes, broken links, a folder named x.yaml) are about files and bytes, before any document: out of
 * the schema's reach, so not repeated here.
 */
import { afterAll, beforeAll, describe, expect, it, test } from '@jest/globals';
import { Ajv } from 'ajv';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { instanceJsonSchema } from '../../../src/manifest/json-schema.js';
import { loadTree } from '../../../src/manifest/load-tree.js';
import { maxAliasCount } from '../../../src/manifest/parse.js';
import { instanceYaml } from '../../helpers/manifest-tree.js';

const ajv = new Ajv({ allErrors: true, strict: true });
const schemaValid = ajv.compile(instanceJsonSchema());

type AjvVerdict = Readonly<{ documents: number; yamlProblem: boolean; invalid: string[] }>;

function manifestFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return manifestFiles(path);
      return /\.ya?ml$/i.test(name) ? [path] : [];
    });
}

/** What an editor with the schema says about every document under `dir`. */
function ajvVerdict(dir: string): AjvVerdict {
  let documents = 0;
  let yamlProblem = false;
  const invalid: string[] = [];
  for (const file of manifestFiles(dir)) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'), { merge: true })) {
      if (doc.errors.length > 0 || doc.warnings.length > 0) {
        yamlProblem = true;
        continue;
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount });
      } catch {
        // yaml refuses the alias expansion: a YAML-level rejection, like a syntax error
        yamlProblem = true;
        continue;
      }
      if (value === null || value === undefined) continue;
      documents += 1;
      if (!schemaValid(value)) invalid.push(`${file}: ${ajv.errorsText(schemaValid.errors)}`);
    }
  }
  return { documents, yamlProblem, invalid };
}

async function validateAccepts(dir: string): Promise<boolean> {
  return (await loadTree(dir)).issues.length === 0;
}

type Reason = 'yaml' | 'no-document' | 'cross-document' | 'key-type';

/** Cases where ajv and `validate` cannot agree, and why. Every other case must agree. */
const cannotAgree: Readonly<Record<string, Readonly<{ reason: Reason; why: string }>>> = {
  'syntax-unclosed-flow': { reason: 'yaml', why: 'a YAML syntax error: there is no document to check' },
  'tab-indentation': { reason: 'yaml', why: 'tabs as indentation are a YAML error' },
  'unresolved-tag': { reason: 'yaml', why: 'an unknown tag (!image) is a YAML-level problem, not a value' },
  'duplicate-key': { reason: 'yaml', why: 'JSON has no duplicate keys: the YAML layer rejects them before any schema' },
  'alias-bomb': { reason: 'yaml', why: 'the alias expansion is refused before a JSON value exists' },
  'empty-file': { reason: 'no-document', why: 'no document at all: nothing for a schema to reject; validate takes it for a truncated write' },
  'comments-only': { reason: 'no-document', why: 'only comments: no document for a schema; validate takes it for a truncated write' },
  'duplicate-name-in-file': { reason: 'cross-document', why: 'each document is valid alone; unique names span documents, which a schema of one document cannot say' },
  'duplicate-name-across-files': { reason: 'cross-document', why: 'each document is valid alone; unique names span files' },
  'environment key 1 (a number)': { reason: 'key-type', why: 'YAML keys that are not strings become strings in JSON: the schema cannot see that 1 was not quoted' },
};

const fixtures = resolve('test/fixtures/manifests');
const badCases = readdirSync(join(fixtures, 'bad')).filter((name) => statSync(join(fixtures, 'bad', name)).isDirectory());

/** Cases made here: what the corpus does not show, including the `$schema` key and the modeline. */
const madeCases: readonly [string, string, boolean][] = [
  ['$schema key', `$schema: ../schema/instance.json\n${instanceYaml({ name: 'web' })}`, true],
  ['yaml-language-server modeline', `# yaml-language-server: $schema=https://example.com/schema/instance.json\n${instanceYaml({ name: 'web' })}`, true],
  ['$schema that is not a string', `$schema: 5\n${instanceYaml({ name: 'web' })}`, false],
  ['reserved label prefix', instanceYaml({ name: 'web', extra: '  labels: {rancher-reconciler.key: other}' }), false],
  ['empty environment name', instanceYaml({ name: 'web', extra: '  environment: {"": x}' }), false],
  ['memory past the safe integer range', instanceYaml({ name: 'web', extra: '  memory: 9007199254740993' }), false],
  ['image with a space', instanceYaml({ name: 'web', image: '"docker:nginx 1.25"' }), false],
  ['image that is only the prefix', instanceYaml({ name: 'web', image: '"docker:"' }), false],
  ['float where an integer belongs', instanceYaml({ name: 'web', extra: '  cpuShares: 1.5' }), false],
  ['restartPolicy without a name', instanceYaml({ name: 'web', extra: '  restartPolicy: {maximumRetryCount: 3}' }), false],
  ['unknown restartPolicy field', instanceYaml({ name: 'web', extra: '  restartPolicy: {name: always, delay: 3}' }), false],
  ['environment key 1 (a number)', instanceYaml({ name: 'web', extra: '  environment: {1: x}' }), false],
];

describe('ajv with schema/instance.json and validate agree', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'rr-schema-agree-'));
    for (const [name, text] of madeCases) {
      await mkdir(join(scratch, name));
      await writeFile(join(scratch, name, 'm.yaml'), text);
    }
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('lists only cases that exist', () => {
    const known = [...badCases, ...madeCases.map(([name]) => name)];
    expect(Object.keys(cannotAgree).filter((name) => !known.includes(name))).toEqual([]);
  });

  test.each([['test/fixtures/manifests/good'], ['manifests']])('accept every document of %s', async (dir) => {
    const verdict = ajvVerdict(resolve(dir));
    expect(verdict).toEqual({ documents: expect.any(Number), yamlProblem: false, invalid: [] });
    expect(verdict.documents).toBeGreaterThan(0);
    expect(await validateAccepts(resolve(dir))).toBe(true);
  });

  test.each(badCases.filter((name) => cannotAgree[name] === undefined).map((name) => [name]))('reject bad case %s', async (name) => {
    const dir = join(fixtures, 'bad', name);
    const verdict = ajvVerdict(dir);
    expect(await validateAccepts(dir)).toBe(false);
    expect(verdict.yamlProblem).toBe(false);
    expect(verdict.invalid.length).toBeGreaterThan(0);
  });

  test.each(madeCases.filter(([name]) => cannotAgree[name] === undefined))('agree on %s', async (name, _text, valid) => {
    const dir = join(scratch, name);
    const verdict = ajvVerdict(dir);
    expect(verdict.yamlProblem).toBe(false);
    expect(verdict.invalid.length === 0).toBe(valid);
    expect(await validateAccepts(dir)).toBe(valid);
  });

  test.each(Object.entries(cannotAgree).map(([name, { reason, why }]) => [name, why, reason] as const))('cannot agree on %s: %s', async (name, _why, reason) => {
    const dir = badCases.includes(name) ? join(fixtures, 'bad', name) : join(scratch, name);
    const verdict = ajvVerdict(dir);
    expect(await validateAccepts(dir)).toBe(false);
    switch (reason) {
      case 'yaml':
        expect(verdict.yamlProblem).toBe(true);
        break;
      case 'no-document':
        expect(verdict).toEqual({ documents: 0, yamlProblem: false, invalid: [] });
        break;
      case 'cross-document':
      case 'key-type':
        expect(verdict).toEqual({ documents: expect.any(Number), yamlProblem: false, invalid: [] });
        break;
    }
  });
});
