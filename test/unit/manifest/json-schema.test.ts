/**
 * The JSON Schema and the validator are one model (src/manifest/instance-schema.ts): these tests check
 * that every field the validator accepts is in the schema and the reverse, that every field is described
 * truthfully, and that the committed schema/instance.json is what the code produces.
 */
import { describe, expect, it, test } from '@jest/globals';
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { createOnlyFields, networkModes, updatableFields, type DesiredInstance, type InstanceSpec, type RestartPolicy } from '../../../src/domain/instance.js';
import { instanceJsonSchema, instanceJsonSchemaText, jsonSchemaDraft } from '../../../src/manifest/json-schema.js';
import { parseManifestFile } from '../../../src/manifest/parse.js';

type Schema = { type?: string; description?: string; properties?: Record<string, Schema>; required?: string[]; enum?: string[]; additionalProperties?: unknown };

const schema = instanceJsonSchema() as Schema;

/** Every property path of the schema (`spec.restartPolicy.name`), not entering maps (environment, labels). */
function schemaPaths(node: Schema, prefix = ''): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) => {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    return [path, ...schemaPaths(child, path)];
  });
}

function propertyAt(path: string): Schema | undefined {
  let node: Schema | undefined = schema;
  for (const name of path.split('.')) node = node?.properties?.[name];
  return node;
}

// Every field the domain model has, checked at compile time: a new field in InstanceSpec, DesiredInstance
// or RestartPolicy fails the typecheck here until it is added.
const specFieldNames = Object.keys({
  name: 1, description: 1, imageUuid: 1, command: 1, entryPoint: 1, environment: 1, labels: 1, ports: 1, expose: 1, dns: 1,
  dnsSearch: 1, hostname: 1, user: 1, workingDir: 1, networkMode: 1, requestedHostId: 1, restartPolicy: 1, privileged: 1,
  tty: 1, stdinOpen: 1, memory: 1, cpuShares: 1,
} satisfies Record<keyof InstanceSpec, 1>);
const controlFieldNames = Object.keys({
  state: 1, restartToken: 1, stopTimeout: 1, onImmutableChange: 1, sensitiveEnvironment: 1, suspend: 1, prune: 1,
} satisfies Record<Exclude<keyof DesiredInstance, 'key' | 'spec' | 'source'>, 1>);
const restartPolicyNames = Object.keys({ name: 1, maximumRetryCount: 1 } satisfies Record<keyof RestartPolicy, 1>);

/** The paths the domain model knows, plus `$schema` (for editors) and one made-up field per mapping. */
const candidates = [
  '$schema', 'apiVersion', 'kind', 'metadata', 'metadata.name', 'spec',
  ...specFieldNames.map((name) => `spec.${name}`),
  ...controlFieldNames.map((name) => `spec.${name}`),
  ...restartPolicyNames.map((name) => `spec.restartPolicy.${name}`),
  'status', 'metadata.namespace', 'spec.image', 'spec.restartPolicy.delay',
];

/** A valid document with `path` set to null (a value of the wrong type, never an unknown field by itself). */
function documentWith(path: string): string {
  const doc: Record<string, unknown> = {
    apiVersion: 'rancher-reconciler/v1', kind: 'Instance', metadata: { name: 'web' }, spec: { imageUuid: 'docker:nginx', restartPolicy: { name: 'always' } },
  };
  const names = path.split('.');
  let node = doc;
  for (const name of names.slice(0, -1)) node = node[name] as Record<string, unknown>;
  node[names.at(-1)!] = null;
  return stringify(doc);
}

/** True when the validator accepts `path` as a field (it may still reject the value). */
function validatorKnows(path: string): boolean {
  const { issues } = parseManifestFile(documentWith(path), 'probe.yaml');
  const at = path.replace(/^\$schema$/, '["$schema"]');
  return !issues.some((issue) => issue.message.startsWith(`${at}: unknown field`));
}

describe('the schema and the validator know the same fields', () => {
  test.each(candidates.map((path) => [path]))('%s', (path) => {
    expect(validatorKnows(path)).toBe(propertyAt(path) !== undefined);
  });

  it('covers every field of the domain model', () => {
    const domain = [...specFieldNames, ...controlFieldNames].map((name) => `spec.${name}`).concat(restartPolicyNames.map((name) => `spec.restartPolicy.${name}`));
    expect(domain.filter((path) => propertyAt(path) === undefined)).toEqual([]);
  });

  it('has no field the probes above did not try', () => {
    expect(schemaPaths(schema).filter((path) => !candidates.includes(path))).toEqual([]);
  });

  it('requires what the validator requires', () => {
    const missing = (text: string): string[] => parseManifestFile(text, 'm.yaml').issues.filter((i) => i.message.endsWith('required field is missing')).map((i) => i.path);
    expect(missing('{}\n')).toEqual(schema.required);
    expect(missing('apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata: {}\nspec: {restartPolicy: {}}\n').sort()).toEqual(
      [...propertyAt('metadata')!.required!.map((n) => `metadata.${n}`), ...propertyAt('spec')!.required!.map((n) => `spec.${n}`), ...propertyAt('spec.restartPolicy')!.required!.map((n) => `spec.restartPolicy.${n}`)].sort(),
    );
  });
});

describe('every field is described', () => {
  test.each(schemaPaths(schema).map((path) => [path]))('%s has a description', (path) => {
    expect(propertyAt(path)?.description).toMatch(/\S{3}/);
  });

  test.each(schemaPaths(schema).filter((path) => propertyAt(path)?.enum).map((path) => [path]))('%s names its enum values', (path) => {
    const field = propertyAt(path)!;
    for (const value of field.enum!) expect(field.description).toContain(value);
  });

  test.each(specFieldNames.map((name) => [name]))('spec.%s says whether a change is applied in place or create-only', (name) => {
    const description = propertyAt(`spec.${name}`)!.description!;
    const updatable = (updatableFields as readonly string[]).includes(name);
    const createOnly = (createOnlyFields as readonly string[]).includes(name);
    expect(updatable !== createOnly).toBe(true);
    expect(description.endsWith(updatable ? 'Updatable: a change is applied in place (PUT).' : 'Create-only: a change blocks the instance unless onImmutableChange is recreate (remove, then create) or replace (create beside, then remove).')).toBe(true);
  });

  test.each(controlFieldNames.map((name) => [name]))('spec.%s (a controller setting) claims neither', (name) => {
    expect(propertyAt(`spec.${name}`)!.description).not.toMatch(/Updatable|Create-only/);
  });

  it('marks required fields as such in their description', () => {
    const required = [...schema.required!, ...propertyAt('spec')!.required!.map((n) => `spec.${n}`), 'metadata.name', 'spec.restartPolicy.name'];
    for (const path of required) expect(propertyAt(path)!.description).toMatch(/^Required\. /);
  });
});

describe('the schema document', () => {
  it('is draft-07 and compiles under ajv strict mode', () => {
    expect(schema).toMatchObject({ $schema: jsonSchemaDraft, type: 'object', additionalProperties: false });
    expect(() => new Ajv({ strict: true }).compile(schema)).not.toThrow();
  });

  it('allows no other key in any mapping with fixed fields', () => {
    for (const path of ['', ...schemaPaths(schema)]) {
      const node = path === '' ? schema : propertyAt(path)!;
      if (node.properties !== undefined) expect([path, node.additionalProperties]).toEqual([path, false]);
    }
  });

  it('takes its enums from the domain model', () => {
    expect(propertyAt('spec.networkMode')!.enum).toEqual([...networkModes]);
  });

  it('is committed as schema/instance.json, exactly as `npm run build` writes it', () => {
    const committed = readFileSync(new URL('../../../schema/instance.json', import.meta.url), 'utf8');
    // when this fails: `npm run build` rewrites the file from the field table; commit the result
    expect(committed).toBe(instanceJsonSchemaText());
  });

  it('hands out a copy each time', () => {
    const copy = instanceJsonSchema() as Schema;
    copy.properties!['spec']!.properties!['environment']!.description = 'changed';
    expect(instanceJsonSchemaText()).not.toContain('changed');
  });
});
