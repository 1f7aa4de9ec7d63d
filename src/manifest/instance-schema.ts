import { isMap, isScalar, type Node } from 'yaml';
import { networkModes, type DesiredInstance, type InstanceSpec, type SourceLocation } from '../domain/instance.js';
import { ownershipLabelPrefix } from '../domain/ownership.js';
import {
  booleanField,
  enumField,
  integerField,
  patternField,
  readObject,
  stringField,
  stringListField,
  stringMapField,
  stringMapFieldWithout,
  type FieldCheck,
} from './field-checks.js';
import { describeNode, type Position, type YamlReader } from './yaml-reader.js';

/** The only accepted `apiVersion`. */
export const manifestApiVersion = 'rancher-reconciler/v1';
/** The only accepted `kind`. */
export const manifestKind = 'Instance';
/**
 * The rule for `metadata.name` (the instance key): starts with a letter or digit, then letters, digits,
 * `_`, `.` or `-`, 1 to 255 characters in all (Rancher's name limit, since the name defaults to it).
 */
export const metadataNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;
/** Rancher host ids: `1h` followed by a number (`1h1`). */
export const hostIdPattern = /^1h[0-9]+$/;
/** restartPolicy.name values Docker accepts. */
export const restartPolicyNames = ['no', 'always', 'on-failure'] as const;

function literalField(expected: string): FieldCheck<string> {
  return (reader, entry) => {
    const node = reader.resolve(entry.value, entry.path, entry.valuePos);
    if (node === undefined) return undefined;
    const value: unknown = isScalar(node) ? node.value : undefined;
    if (value === expected) return expected;
    const got = typeof value === 'string' ? JSON.stringify(value) : describeNode(node);
    reader.report(entry.valuePos, entry.path, `expected "${expected}", got ${got}`);
    return undefined;
  };
}

function objectField(fields: Readonly<Record<string, FieldCheck<unknown>>>, required: readonly string[]): FieldCheck<Record<string, unknown>> {
  return (reader, entry) => {
    const node = reader.resolve(entry.value, entry.path, entry.valuePos);
    if (node === undefined) return undefined;
    if (!isMap(node)) {
      reader.report(entry.valuePos, entry.path, `expected a mapping, got ${describeNode(node)}`);
      return undefined;
    }
    const result = readObject(reader, node, entry.path, fields, required, entry.keyPos);
    return result === undefined ? undefined : Object.freeze(result);
  };
}

/** `docker:<image>`: the prefix is required (Rancher's format); a bare image name gets a hint, not a guess. */
const imageUuidField: FieldCheck<string> = (reader, entry) => {
  const text = stringField({ minLength: 1 })(reader, entry);
  if (text === undefined) return undefined;
  if (!text.startsWith('docker:')) {
    reader.report(entry.valuePos, entry.path, `must start with "docker:" (did you mean "docker:${text}"?)`);
    return undefined;
  }
  if (text.length === 'docker:'.length || /\s/.test(text)) {
    reader.report(entry.valuePos, entry.path, `must name an image after "docker:" without spaces, got ${JSON.stringify(text)}`);
    return undefined;
  }
  return text;
};

type NameWithPosition = { name: string; pos: Position };

const metadataNameField: FieldCheck<NameWithPosition> = (reader, entry) => {
  const name = patternField(
    metadataNamePattern,
    "start with a letter or digit and contain only letters, digits, '_', '.' and '-' (at most 255 characters)",
  )(reader, entry);
  return name === undefined ? undefined : { name, pos: entry.valuePos };
};

const stringList = stringListField as FieldCheck<unknown>;

/** Container fields of `spec`, in the order they appear in the normalised InstanceSpec. */
const specFields: Readonly<Record<string, FieldCheck<unknown>>> = {
  name: stringField({ minLength: 1, maxLength: 255 }),
  description: stringField({ maxLength: 1024 }),
  imageUuid: imageUuidField,
  command: stringList,
  entryPoint: stringList,
  environment: stringMapField,
  labels: stringMapFieldWithout(ownershipLabelPrefix, `the controller sets ${ownershipLabelPrefix}* labels on what it creates`),
  ports: stringList,
  expose: stringList,
  dns: stringList,
  dnsSearch: stringList,
  hostname: stringField({ minLength: 1, maxLength: 255 }),
  user: stringField({ minLength: 1 }),
  workingDir: stringField({ minLength: 1 }),
  networkMode: enumField(networkModes),
  requestedHostId: patternField(hostIdPattern, 'be a Rancher host id like "1h1"'),
  restartPolicy: objectField({ name: enumField(restartPolicyNames), maximumRetryCount: integerField(0) }, ['name']),
  privileged: booleanField,
  tty: booleanField,
  stdinOpen: booleanField,
  memory: integerField(0),
  cpuShares: integerField(0),
};

/** Controller fields of `spec` that are not sent to Rancher. */
const controlFields: Readonly<Record<string, FieldCheck<unknown>>> = {
  state: enumField(['running', 'stopped']),
  restartToken: stringField({ minLength: 1 }),
  stopTimeout: integerField(0, 3600),
  onImmutableChange: enumField(['block', 'recreate']),
  sensitiveEnvironment: stringList,
};

const documentFields: Readonly<Record<string, FieldCheck<unknown>>> = {
  apiVersion: literalField(manifestApiVersion),
  kind: literalField(manifestKind),
  metadata: objectField({ name: metadataNameField }, ['name']),
  spec: objectField({ ...specFields, ...controlFields }, ['imageUuid']),
};

/**
 * Validates one non-empty YAML document as an Instance manifest and normalises it: `spec.name` defaults
 * to `metadata.name`, `state` to running, `onImmutableChange` to block, and only declared fields appear
 * in `spec`. Returns undefined when anything failed; every problem is in `reader.issues`.
 * `source` is the position of the `metadata.name` value.
 */
export function readInstance(reader: YamlReader, contents: Node, docStart: Position): DesiredInstance | undefined {
  if (!isMap(contents)) {
    reader.report(reader.positionOf(contents, docStart), '', `expected a mapping (an Instance document), got ${describeNode(contents)}`);
    return undefined;
  }
  const doc = readObject(reader, contents, '', documentFields, Object.keys(documentFields), docStart);
  if (doc === undefined) return undefined;
  const { name, pos } = (doc['metadata'] as { name: NameWithPosition }).name;
  const raw = doc['spec'] as Record<string, unknown>;
  const spec: Record<string, unknown> = { name };
  for (const field of Object.keys(specFields)) if (raw[field] !== undefined) spec[field] = raw[field];
  const source: SourceLocation = Object.freeze({ file: pos.file, line: pos.line, col: pos.col });
  const instance = {
    key: name,
    spec: Object.freeze(spec) as InstanceSpec,
    state: (raw['state'] as DesiredInstance['state'] | undefined) ?? 'running',
    ...(raw['restartToken'] === undefined ? {} : { restartToken: raw['restartToken'] as string }),
    ...(raw['stopTimeout'] === undefined ? {} : { stopTimeout: raw['stopTimeout'] as number }),
    onImmutableChange: (raw['onImmutableChange'] as DesiredInstance['onImmutableChange'] | undefined) ?? 'block',
    ...(raw['sensitiveEnvironment'] === undefined ? {} : { sensitiveEnvironment: raw['sensitiveEnvironment'] as readonly string[] }),
    source,
  };
  return Object.freeze(instance);
}
