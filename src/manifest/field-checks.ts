import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { didYouMean } from './suggest.js';
import { describeNode, joinPath, type Entry, type YamlReader } from './yaml-reader.js';

/** A JSON Schema (draft-07) fragment: what `schema/instance.json` says about one value. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * One field's rule, told twice from the same options so that the validator and the JSON Schema cannot
 * disagree: `read` takes the value from a YAML node, or reports why it cannot and returns undefined;
 * `schema` is the draft-07 fragment that accepts the same values (src/manifest/json-schema.ts).
 * Checks are strict on purpose: a number where a string belongs is an error with a hint to quote it,
 * never a silent conversion, so that a typo cannot reach Rancher. Where JSON Schema cannot say what a
 * check says (YAML keys that are not strings, for one), the check is stricter, never looser.
 */
export type FieldCheck<T> = Readonly<{ read: (reader: YamlReader, entry: Entry) => T | undefined; schema: JsonSchema }>;

/** A field of a mapping: its check and the one-line description editors show for it (every field has one). */
export type FieldSpec = Readonly<{ check: FieldCheck<unknown>; description: string }>;

/** The fields of one mapping, by key. */
export type FieldTable = Readonly<Record<string, FieldSpec>>;

/** One row of a {@link FieldTable}: the check (its value type widened) and its description. */
export function field(check: FieldCheck<unknown>, description: string): FieldSpec {
  return { check, description };
}

function scalarValue(node: Node | null | undefined): unknown {
  return isScalar(node) ? (node.value as unknown) : undefined;
}

/** The hint appended when a scalar of the wrong type was written where a string belongs. */
function quoteHint(node: Node | null | undefined): string {
  if (!isScalar(node)) return '';
  if (node.value === null) return ' (give it a value or remove the field)';
  if (typeof node.value === 'number' || typeof node.value === 'bigint' || typeof node.value === 'boolean') {
    return ` (quote it: "${String(node.source ?? node.value)}")`;
  }
  return '';
}

/** Resolves the entry's value (following aliases). */
function valueOf(reader: YamlReader, entry: Entry): Node | null | undefined {
  return reader.resolve(entry.value, entry.path, entry.valuePos);
}

/** Reads a string scalar; reports `expected a string, got ...` otherwise. */
function readString(reader: YamlReader, node: Node | null, path: string, pos: Entry['valuePos']): string | undefined {
  const value = scalarValue(node);
  if (typeof value === 'string') return value;
  reader.report(pos, path, `expected a string, got ${describeNode(node)}${quoteHint(node)}`);
  return undefined;
}

/** A string with optional length bounds (in UTF-16 code units, as Rancher's schema counts them) and pattern. */
export function stringField(options: { minLength?: number; maxLength?: number } = {}): FieldCheck<string> {
  const schema = { type: 'string', ...(options.minLength === undefined ? {} : { minLength: options.minLength }), ...(options.maxLength === undefined ? {} : { maxLength: options.maxLength }) };
  const read: FieldCheck<string>['read'] = (reader, entry) => {
    const node = valueOf(reader, entry);
    if (node === undefined) return undefined;
    const text = readString(reader, node, entry.path, entry.valuePos);
    if (text === undefined) return undefined;
    if (options.minLength !== undefined && text.length < options.minLength) {
      reader.report(entry.valuePos, entry.path, 'must not be empty');
      return undefined;
    }
    if (options.maxLength !== undefined && text.length > options.maxLength) {
      reader.report(entry.valuePos, entry.path, `must be at most ${options.maxLength} characters, got ${text.length}`);
      return undefined;
    }
    return text;
  };
  return { read, schema };
}

/**
 * A string that must match `pattern`; `rule` completes "must ...". The pattern is the schema's `pattern`
 * as it is, so it takes no flags (JSON Schema has none).
 */
export function patternField(pattern: RegExp, rule: string): FieldCheck<string> {
  if (pattern.flags !== '') throw new Error(`patternField: ${String(pattern)} has flags, which a JSON Schema pattern cannot carry`);
  const base = stringField();
  const read: FieldCheck<string>['read'] = (reader, entry) => {
    const text = base.read(reader, entry);
    if (text === undefined) return undefined;
    if (pattern.test(text)) return text;
    reader.report(entry.valuePos, entry.path, `must ${rule}, got ${JSON.stringify(text)}`);
    return undefined;
  };
  return { read, schema: { type: 'string', pattern: pattern.source } };
}

/** Exactly the string `expected` (`apiVersion`, `kind`). */
export function literalField(expected: string): FieldCheck<string> {
  const read: FieldCheck<string>['read'] = (reader, entry) => {
    const node = valueOf(reader, entry);
    if (node === undefined) return undefined;
    const value = scalarValue(node);
    if (value === expected) return expected;
    const got = typeof value === 'string' ? JSON.stringify(value) : describeNode(node);
    reader.report(entry.valuePos, entry.path, `expected "${expected}", got ${got}`);
    return undefined;
  };
  return { read, schema: { type: 'string', const: expected } };
}

/** One of a fixed set of strings, with a "did you mean" hint. */
export function enumField<T extends string>(values: readonly T[]): FieldCheck<T> {
  const read: FieldCheck<T>['read'] = (reader, entry) => {
    const node = valueOf(reader, entry);
    if (node === undefined) return undefined;
    const value = scalarValue(node);
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
    const got = typeof value === 'string' ? JSON.stringify(value) + didYouMean(value, values) : describeNode(node);
    reader.report(entry.valuePos, entry.path, `expected one of ${values.join(', ')}, got ${got}`);
    return undefined;
  };
  return { read, schema: { type: 'string', enum: [...values] } };
}

/** A boolean (`true`/`false`; YAML 1.1 words such as `yes` are strings in YAML 1.2 and rejected). */
export const booleanField: FieldCheck<boolean> = {
  read: (reader, entry) => {
    const node = valueOf(reader, entry);
    if (node === undefined) return undefined;
    const value = scalarValue(node);
    if (typeof value === 'boolean') return value;
    const hint = typeof value === 'string' ? ' (write true or false, unquoted)' : '';
    reader.report(entry.valuePos, entry.path, `expected a boolean, got ${describeNode(node)}${hint}`);
    return undefined;
  },
  schema: { type: 'boolean' },
};

/** A safe integer within [min, max] (the schema's `maximum` is Number.MAX_SAFE_INTEGER when `max` is not given). */
export function integerField(min: number, max?: number): FieldCheck<number> {
  const read: FieldCheck<number>['read'] = (reader, entry) => {
    const node = valueOf(reader, entry);
    if (node === undefined) return undefined;
    const value = scalarValue(node);
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      const got = typeof value === 'number' ? String(value) : describeNode(node);
      const hint = typeof value === 'string' && /^-?\d+$/.test(value) ? ' (remove the quotes)' : '';
      reader.report(entry.valuePos, entry.path, `expected an integer, got ${got}${hint}`);
      return undefined;
    }
    if (value < min || (max !== undefined && value > max)) {
      const range = max === undefined ? `>= ${min}` : `between ${min} and ${max}`;
      reader.report(entry.valuePos, entry.path, `must be ${range}, got ${value}`);
      return undefined;
    }
    return value;
  };
  return { read, schema: { type: 'integer', minimum: min, maximum: max ?? Number.MAX_SAFE_INTEGER } };
}

/** A sequence of strings (Rancher `array[string]`). A single string is not accepted: a list was meant. */
export const stringListField: FieldCheck<readonly string[]> = { read: readStringList, schema: { type: 'array', items: { type: 'string' } } };

function readStringList(reader: YamlReader, entry: Entry): readonly string[] | undefined {
  const node = valueOf(reader, entry);
  if (node === undefined) return undefined;
  if (!isSeq(node)) {
    const hint = isScalar(node) && typeof node.value === 'string' ? ` (write a list: [${JSON.stringify(node.value)}])` : '';
    reader.report(entry.valuePos, entry.path, `expected a list of strings, got ${describeNode(node)}${hint}`);
    return undefined;
  }
  return reader.within(node, () => {
    const result: string[] = [];
    let ok = true;
    node.items.forEach((raw, index) => {
      const path = `${entry.path}[${index}]`;
      const pos = reader.positionOf(raw as Node | null, entry.valuePos);
      const item = reader.resolve(raw as Node | null, path, pos);
      const text = item === undefined ? undefined : readString(reader, item, path, pos);
      if (text === undefined) ok = false;
      else result.push(text);
    });
    return ok ? Object.freeze(result) : undefined;
  });
}

/** A mapping of string to string (Rancher `map[string]`) with non-empty keys, returned with its keys sorted. */
export const stringMapField: FieldCheck<Readonly<Record<string, string>>> = {
  read: (reader, entry) => readStringMap(reader, entry, undefined),
  schema: { type: 'object', propertyNames: { type: 'string', minLength: 1 }, additionalProperties: { type: 'string' } },
};

/** `stringMapField` whose keys may not start with `reservedPrefix` (names the controller sets itself). */
export function stringMapFieldWithout(reservedPrefix: string, why: string): FieldCheck<Readonly<Record<string, string>>> {
  const reserved = { not: { pattern: `^${reservedPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` } };
  return {
    read: (reader, entry) => readStringMap(reader, entry, { prefix: reservedPrefix, why }),
    schema: { ...stringMapField.schema, propertyNames: { type: 'string', minLength: 1, ...reserved } },
  };
}

function readStringMap(reader: YamlReader, entry: Entry, reserved: { prefix: string; why: string } | undefined): Readonly<Record<string, string>> | undefined {
  const node = valueOf(reader, entry);
  if (node === undefined) return undefined;
  if (!isMap(node)) {
    reader.report(entry.valuePos, entry.path, `expected a mapping of strings, got ${describeNode(node)}`);
    return undefined;
  }
  return reader.within(node, () => {
    const pairs: [string, string][] = [];
    let ok = true;
    for (const item of reader.entries(node, entry.path)) {
      if (item.key === '') {
        reader.report(item.keyPos, entry.path, 'keys must not be empty');
        ok = false;
        continue;
      }
      if (reserved !== undefined && item.key.startsWith(reserved.prefix)) {
        reader.report(item.keyPos, item.path, `"${item.key}" is reserved: ${reserved.why}`);
        ok = false;
        continue;
      }
      const value = reader.resolve(item.value, item.path, item.valuePos);
      const text = value === undefined ? undefined : readString(reader, value, item.path, item.valuePos);
      if (text === undefined) ok = false;
      else pairs.push([item.key, text]);
    }
    pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return ok ? Object.freeze(Object.fromEntries(pairs)) : undefined;
  });
}

/**
 * Reads a mapping with a fixed set of fields: unknown fields are reported with a hint, required ones
 * when missing (at `missingPos`, usually the parent key), and each present field goes through its check.
 * Returns the checked values, or undefined when anything failed.
 */
export function readObject(
  reader: YamlReader,
  node: Node,
  path: string,
  fields: FieldTable,
  required: readonly string[],
  missingPos: Entry['valuePos'],
): Record<string, unknown> | undefined {
  return reader.within(node, () => {
    const known = Object.keys(fields);
    // no prototype: a key such as `__proto__` or `constructor` must stay plain data
    const result: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const present = new Set<string>();
    let ok = true;
    for (const entry of reader.entries(node, path)) {
      present.add(entry.key);
      // own fields only: `valueOf`, `toString`, `__proto__`... are unknown fields, not Object.prototype members
      const check = Object.hasOwn(fields, entry.key) ? fields[entry.key]?.check : undefined;
      if (check === undefined) {
        reader.report(entry.keyPos, entry.path, `unknown field${didYouMean(entry.key, known)}`);
        ok = false;
        continue;
      }
      const value = check.read(reader, entry);
      if (value === undefined) ok = false;
      else result[entry.key] = value;
    }
    for (const name of required) {
      if (present.has(name)) continue;
      reader.report(missingPos, joinPath(path, name), 'required field is missing');
      ok = false;
    }
    return ok ? result : undefined;
  });
}

/**
 * A nested mapping with a fixed set of fields (`metadata`, `restartPolicy`), read with {@link readObject}
 * (missing fields reported at its key) and frozen; its schema is {@link objectSchema} of the same table.
 */
export function objectField(fields: FieldTable, required: readonly string[]): FieldCheck<Record<string, unknown>> {
  const read: FieldCheck<Record<string, unknown>>['read'] = (reader, entry) => {
    const node = valueOf(reader, entry);
    if (node === undefined) return undefined;
    if (!isMap(node)) {
      reader.report(entry.valuePos, entry.path, `expected a mapping, got ${describeNode(node)}`);
      return undefined;
    }
    const result = readObject(reader, node, entry.path, fields, required, entry.keyPos);
    return result === undefined ? undefined : Object.freeze(result);
  };
  return { read, schema: objectSchema(fields, required) };
}

/**
 * The JSON Schema of a mapping read by {@link readObject} with `fields` and `required`: every field with
 * its check's fragment and its description, and no other key (`additionalProperties: false`, as unknown
 * fields are errors).
 */
export function objectSchema(fields: FieldTable, required: readonly string[]): JsonSchema {
  const properties = Object.fromEntries(Object.entries(fields).map(([name, spec]) => [name, { description: spec.description, ...spec.check.schema }]));
  return { type: 'object', properties, ...(required.length > 0 ? { required: [...required] } : {}), additionalProperties: false };
}
