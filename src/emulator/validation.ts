import { ApiFailure } from './api-failure.js';
import type { SchemaField, SchemaRegistry } from './schemas.js';

/** A parsed JSON request body: an object, or undefined when the request had no body. */
export type JsonBody = Readonly<Record<string, unknown>> | undefined;

/** Parses a request body as Rancher does: empty is "no body", invalid JSON or a non-object is 400 InvalidBodyContent. */
export function parseJsonBody(text: string): JsonBody {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // the parse error itself is not shown to clients: Rancher answers with the bare code
    throw new ApiFailure(400, 'InvalidBodyContent', { message: 'InvalidBodyContent' });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiFailure(400, 'InvalidBodyContent', { message: 'InvalidBodyContent' });
  }
  return value as Record<string, unknown>;
}

const isObject = (value: unknown): boolean => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Converts and checks one scalar against a simple field type; throws the matching 422. */
function convertScalar(name: string, type: string, field: SchemaField, value: unknown): unknown {
  switch (type) {
    case 'string':
    case 'password': {
      if (typeof value !== 'string') throw ApiFailure.validation('InvalidFormat', name);
      if (field.maxLength !== undefined && value.length > field.maxLength) throw ApiFailure.validation('MaxLengthExceeded', name);
      if (field.minLength !== undefined && value.length < field.minLength) throw ApiFailure.validation('MinLengthExceeded', name);
      return value;
    }
    case 'int': {
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
      throw ApiFailure.validation('InvalidFormat', name);
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw ApiFailure.validation('InvalidFormat', name);
    }
    case 'enum': {
      if (typeof value !== 'string' || !(field.options ?? []).includes(value)) throw ApiFailure.validation('InvalidOption', name);
      return value;
    }
    case 'json':
      return value;
    default: {
      if (type.startsWith('reference[')) {
        if (typeof value !== 'string' && typeof value !== 'number') throw ApiFailure.validation('InvalidReference', name);
        return String(value);
      }
      // nested schema types (restartPolicy, logConfig, ...) are stored as given objects
      if (!isObject(value)) throw ApiFailure.validation('InvalidFormat', name);
      return value;
    }
  }
}

/** Converts and checks one value against a field; `array[...]` and `map[...]` check each element. */
export function convertField(name: string, field: SchemaField, value: unknown): unknown {
  if (value === null) {
    if (field.nullable) return null;
    throw ApiFailure.validation('NotNullable', name);
  }
  const array = /^array\[(.*)\]$/.exec(field.type);
  if (array?.[1] !== undefined) {
    if (!Array.isArray(value)) throw ApiFailure.validation('InvalidFormat', name);
    return value.map((element: unknown) => convertScalar(name, array[1]!, field, element));
  }
  const map = /^map\[(.*)\]$/.exec(field.type);
  if (map?.[1] !== undefined) {
    if (!isObject(value)) throw ApiFailure.validation('InvalidFormat', name);
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, element]) => [key, convertScalar(name, map[1]!, field, element)]),
    );
  }
  return convertScalar(name, field.type, field, value);
}

/**
 * Validates a create body against a schema: keeps only `create:true` fields, converts and checks each,
 * and applies schema defaults. Throws a 422 ApiFailure for the first bad field.
 */
export function validateCreate(schemas: SchemaRegistry, typeId: string, body: JsonBody): Record<string, unknown> {
  const fields = schemas.require(typeId).resourceFields;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (!field.create) continue;
    if (body !== undefined && Object.hasOwn(body, name)) out[name] = convertField(name, field, body[name]);
    else if (field.default !== undefined) out[name] = field.default;
    else if (field.required) throw ApiFailure.validation('MissingRequired', name);
  }
  return out;
}

/** Validates a PUT body: only `update:true` fields (name/description for containers) are kept; others ignored. */
export function validateUpdate(schemas: SchemaRegistry, typeId: string, body: JsonBody): Record<string, unknown> {
  const fields = schemas.require(typeId).resourceFields;
  const out: Record<string, unknown> = {};
  if (body === undefined) return out;
  for (const [name, field] of Object.entries(fields)) {
    if (field.update && Object.hasOwn(body, name)) out[name] = convertField(name, field, body[name]);
  }
  return out;
}
