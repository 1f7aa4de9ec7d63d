import { isMap, type Node } from 'yaml';
import { createOnlyFields, networkModes, updatableFields, type DesiredInstance, type InstanceSpec, type SourceLocation } from '../domain/instance.js';
import { ownershipLabelPrefix } from '../domain/ownership.js';
import {
  booleanField,
  enumField,
  field,
  integerField,
  literalField,
  objectField,
  patternField,
  readObject,
  stringField,
  stringListField,
  stringMapField,
  stringMapFieldWithout,
  type FieldCheck,
  type FieldTable,
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
/** `docker:` and an image name without whitespace (Rancher's `imageUuid` format). */
export const imageUuidPattern = /^docker:\S+$/;
/** restartPolicy.name values Docker accepts. */
export const restartPolicyNames = ['no', 'always', 'on-failure'] as const;
/** `spec.state` values; the first is the default. */
export const runStates = ['running', 'stopped'] as const satisfies readonly DesiredInstance['state'][];
/** `spec.onImmutableChange` values; the first is the default. */
export const immutableChangePolicies = ['block', 'recreate', 'replace'] as const satisfies readonly DesiredInstance['onImmutableChange'][];

/**
 * `docker:<image>`: the prefix is required (Rancher's format); a bare image name gets a hint, not a guess.
 * Valid exactly when {@link imageUuidPattern} matches (the schema's pattern); the two messages only say why.
 */
const imageUuidField: FieldCheck<string> = {
  read: (reader, entry) => {
    const text = stringField({ minLength: 1 }).read(reader, entry);
    if (text === undefined) return undefined;
    if (!text.startsWith('docker:')) {
      reader.report(entry.valuePos, entry.path, `must start with "docker:" (did you mean "docker:${text}"?)`);
      return undefined;
    }
    if (!imageUuidPattern.test(text)) {
      reader.report(entry.valuePos, entry.path, `must name an image after "docker:" without spaces, got ${JSON.stringify(text)}`);
      return undefined;
    }
    return text;
  },
  schema: { type: 'string', pattern: imageUuidPattern.source },
};

type NameWithPosition = { name: string; pos: Position };

const metadataName = patternField(
  metadataNamePattern,
  "start with a letter or digit and contain only letters, digits, '_', '.' and '-' (at most 255 characters)",
);
const metadataNameField: FieldCheck<NameWithPosition> = {
  read: (reader, entry) => {
    const name = metadataName.read(reader, entry);
    return name === undefined ? undefined : { name, pos: entry.valuePos };
  },
  schema: metadataName.schema,
};

/**
 * How a change of a container field reaches Rancher (src/domain/diff-fields.ts), the last sentence of
 * its description. Throws for a field that is in neither list: `diff` would never compare it.
 */
function mutability(name: string): string {
  if ((updatableFields as readonly string[]).includes(name)) return 'Updatable: a change is applied in place (PUT).';
  if ((createOnlyFields as readonly string[]).includes(name)) {
    return 'Create-only: a change blocks the instance unless onImmutableChange is recreate (remove, then create) or replace (create beside, then remove).';
  }
  throw new Error(`spec.${name} is neither updatable nor create-only (src/domain/instance.ts)`);
}

function containerFields(table: FieldTable): FieldTable {
  return Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, field(spec.check, `${spec.description} ${mutability(name)}`)]));
}

const stringList = stringListField as FieldCheck<unknown>;

/**
 * Container fields of `spec` (sent to Rancher), in the order they appear in the normalised InstanceSpec.
 * Each description ends with the field's mutability, taken from src/domain/instance.ts.
 */
const specFields: FieldTable = containerFields({
  name: field(stringField({ minLength: 1, maxLength: 255 }), 'Rancher container name, 1-255 characters; defaults to metadata.name.'),
  description: field(stringField({ maxLength: 1024 }), 'Rancher description, at most 1024 characters.'),
  imageUuid: field(imageUuidField, 'Required. The image as docker:<image> (docker:nginx:1.25): the docker: prefix is required, no spaces.'),
  command: field(stringList, 'Command (Docker CMD) as a list of strings; a single string is an error.'),
  entryPoint: field(stringList, 'Entry point (Docker ENTRYPOINT) as a list of strings.'),
  environment: field(stringMapField, 'Environment variables: name to string value (quote numbers and booleans). Only declared names are compared.'),
  labels: field(
    stringMapFieldWithout(ownershipLabelPrefix, `the controller sets ${ownershipLabelPrefix}* labels on what it creates`),
    `Labels: key to string value; keys starting with ${ownershipLabelPrefix} are reserved for the controller. Only declared keys are compared.`,
  ),
  ports: field(stringList, 'Published ports, e.g. "8080:80/tcp" (tcp when no protocol is given); compared as a set.'),
  expose: field(stringList, 'Exposed (not published) ports, e.g. "9000/tcp"; compared as a set.'),
  dns: field(stringList, 'DNS servers, in order.'),
  dnsSearch: field(stringList, 'DNS search domains, in order.'),
  hostname: field(stringField({ minLength: 1, maxLength: 255 }), 'Container hostname, 1-255 characters.'),
  user: field(stringField({ minLength: 1 }), 'User the container runs as, non-empty.'),
  workingDir: field(stringField({ minLength: 1 }), 'Working directory, non-empty.'),
  networkMode: field(enumField(networkModes), `Network mode: one of ${networkModes.join(', ')} (unset means Rancher's default, managed).`),
  requestedHostId: field(patternField(hostIdPattern, 'be a Rancher host id like "1h1"'), 'Rancher host to place the container on: 1h and digits, e.g. 1h1.'),
  restartPolicy: field(
    objectField(
      {
        name: field(enumField(restartPolicyNames), `Required. One of ${restartPolicyNames.join(', ')}.`),
        maximumRetryCount: field(integerField(0), 'Retries for on-failure, integer >= 0.'),
      },
      ['name'],
    ),
    `Docker restart policy: name (${restartPolicyNames.join(', ')}) and an optional maximumRetryCount.`,
  ),
  privileged: field(booleanField, 'Run privileged: true or false (YAML 1.1 words such as yes are strings, so errors).'),
  tty: field(booleanField, 'Allocate a TTY: true or false.'),
  stdinOpen: field(booleanField, 'Keep stdin open: true or false.'),
  memory: field(integerField(0), 'Memory limit in bytes, integer >= 0.'),
  cpuShares: field(integerField(0), 'CPU shares (relative weight), integer >= 0.'),
});

/** Controller fields of `spec` that are not sent to Rancher as container fields. */
const controlFields: FieldTable = {
  state: field(enumField(runStates), `Desired run state: ${runStates.join(' (default) or ')}. Started or stopped with Rancher's actions.`),
  restartToken: field(stringField({ minLength: 1 }), 'Non-empty string; each new value asks for exactly one restart (quote numbers).'),
  stopTimeout: field(integerField(0, 3600), 'Seconds, 0-3600: the stop timeout sent on stop and remove.'),
  onImmutableChange: field(
    enumField(immutableChangePolicies),
    `What a create-only change does: ${immutableChangePolicies[0]} (default: the instance is blocked and reported), ${immutableChangePolicies[1]} (remove the container, then create it anew: downtime) or ${immutableChangePolicies[2]} (create the new container under a temporary name, wait until it runs and is healthy, remove the old one, then rename the new one).`,
  ),
  sensitiveEnvironment: field(stringList, 'Environment names whose values plan, status and logs never show (names that look secret are hidden anyway).'),
  suspend: field(
    booleanField,
    'true: the controller takes no action for this instance (no create, update, start, stop, restart or remove) and reports it as suspended; false (default): reconciled as usual.',
  ),
  prune: field(
    booleanField,
    'false: never removed by --prune, not even after its manifest is deleted (the protection is kept in the inventory); true (default): removed by --prune once its manifest is gone.',
  ),
};

/**
 * The fields of an Instance document, the one model behind both `validate` and schema/instance.json
 * (src/manifest/json-schema.ts). `$schema` is accepted for editors and ignored.
 */
export const instanceDocument: Readonly<{ fields: FieldTable; required: readonly string[] }> = {
  fields: {
    $schema: field(stringField({ minLength: 1 }), 'URL or path of this JSON Schema, for editors; ignored by the controller.'),
    apiVersion: field(literalField(manifestApiVersion), `Required. Always ${manifestApiVersion}.`),
    kind: field(literalField(manifestKind), `Required. Always ${manifestKind}.`),
    metadata: field(
      objectField(
        {
          name: field(
            metadataNameField,
            "Required. The instance key, unique across the manifest tree: a letter or digit, then letters, digits, '_', '.' or '-'; at most 255 characters.",
          ),
        },
        ['name'],
      ),
      'Required. Identifies the instance.',
    ),
    spec: field(
      objectField({ ...specFields, ...controlFields }, ['imageUuid']),
      'Required. The container and how the controller treats it; only declared fields are managed, absent ones are never compared.',
    ),
  },
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
};

/**
 * Validates one non-empty YAML document as an Instance manifest and normalises it: `spec.name` defaults
 * to `metadata.name`, `state` to running, `onImmutableChange` to block, and only declared fields appear
 * in `spec`; `suspend` and `prune` appear only with their non-default values (`true`, `false`). A top-level `$schema` (for editors) must be a string and is otherwise ignored. Returns
 * undefined when anything failed; every problem is in `reader.issues`. `source` is the position of the
 * `metadata.name` value.
 */
export function readInstance(reader: YamlReader, contents: Node, docStart: Position): DesiredInstance | undefined {
  if (!isMap(contents)) {
    reader.report(reader.positionOf(contents, docStart), '', `expected a mapping (an Instance document), got ${describeNode(contents)}`);
    return undefined;
  }
  const doc = readObject(reader, contents, '', instanceDocument.fields, instanceDocument.required, docStart);
  if (doc === undefined) return undefined;
  const { name, pos } = (doc['metadata'] as { name: NameWithPosition }).name;
  const raw = doc['spec'] as Record<string, unknown>;
  const spec: Record<string, unknown> = { name };
  for (const field of Object.keys(specFields)) if (raw[field] !== undefined) spec[field] = raw[field];
  const source: SourceLocation = Object.freeze({ file: pos.file, line: pos.line, col: pos.col });
  const instance = {
    key: name,
    spec: Object.freeze(spec) as InstanceSpec,
    state: (raw['state'] as DesiredInstance['state'] | undefined) ?? runStates[0],
    ...(raw['restartToken'] === undefined ? {} : { restartToken: raw['restartToken'] as string }),
    ...(raw['stopTimeout'] === undefined ? {} : { stopTimeout: raw['stopTimeout'] as number }),
    onImmutableChange: (raw['onImmutableChange'] as DesiredInstance['onImmutableChange'] | undefined) ?? immutableChangePolicies[0],
    ...(raw['sensitiveEnvironment'] === undefined ? {} : { sensitiveEnvironment: raw['sensitiveEnvironment'] as readonly string[] }),
    // only the non-default values are carried, so `suspend: false` and no `suspend` ask for the same thing
    ...(raw['suspend'] === true ? { suspend: true as const } : {}),
    ...(raw['prune'] === false ? { prune: false as const } : {}),
    source,
  };
  return Object.freeze(instance);
}
