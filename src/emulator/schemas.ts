import { readFileSync } from 'node:fs';

/** One field of a captured v1 schema (docs/rancher-v1.md#how-a-schema-describes-a-field): `nullable`/`required` appear only when true. */
export type SchemaField = Readonly<{
  type: string;
  create?: boolean;
  update?: boolean;
  nullable?: boolean;
  required?: boolean;
  default?: unknown;
  options?: readonly string[];
  maxLength?: number;
  minLength?: number;
}>;

/** One captured v1 schema object, as served by `GET /v1/schemas/{id}`. */
export type Schema = Readonly<{
  id: string;
  links: Readonly<Record<string, string>>;
  pluralName: string;
  resourceFields: Readonly<Record<string, SchemaField>>;
  collectionFilters: Readonly<Record<string, { modifiers: readonly string[] }>>;
  resourceActions: Readonly<Record<string, { input: string | null; output: string | null }>>;
  resourceMethods: readonly string[];
  collectionMethods: readonly string[];
  /** Lower-cased relation names `include=` accepts (GDJ: the schema's child and map links). */
  includeableLinks?: readonly string[];
}>;

/** The base URL the captured schema data was taken from; rewritten to the emulator's own on the way out. */
export const capturedBaseUrl = 'http://104.197.191.104:8080/v1';

/**
 * Fields a container schema declares as create inputs that real Rancher never renders back
 * (absent from the real list capture): `count` and `instanceLinks`.
 */
const writeOnlyFields = new Set(['count', 'instanceLinks']);

/** Keys rendered before the alphabetical fields (docs/rancher-v1.md#envelope-and-field-order: priority fields). */
const priorityFields = new Set(['id', 'name', 'state']);

/**
 * The real captured v1 schemas (data/rancher-v1-schemas.json), loaded once per emulator.
 * Drives rendered field lists, validation, filter modifiers and the per-type action order.
 */
export class SchemaRegistry {
  readonly #collection: Readonly<Record<string, unknown>>;
  readonly #byId: ReadonlyMap<string, Schema>;
  /** Lower-cased id and lower-cased plural name -> schema (ids win where a plural equals another id). */
  readonly #byName = new Map<string, Schema>();
  readonly #renderFields = new Map<string, readonly string[]>();
  readonly #rendered = new Map<string, string>();

  constructor(deps: { collection: Readonly<Record<string, unknown>> }) {
    this.#collection = deps.collection;
    const data = deps.collection['data'] as Schema[];
    this.#byId = new Map(data.map((schema) => [schema.id, schema]));
    for (const schema of data) this.#byName.set(schema.pluralName.toLowerCase(), schema);
    for (const schema of data) this.#byName.set(schema.id.toLowerCase(), schema);
  }

  /** Reads the schema data file shipped in data/ (same relative depth from src/emulator and dist/emulator). */
  static load(): SchemaRegistry {
    const file = new URL('../../data/rancher-v1-schemas.json', import.meta.url);
    return new SchemaRegistry({ collection: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> });
  }

  /**
   * The schema named `name`: its id or its plural (collection) name, case-insensitive
   * (`/v1/schemas/containers`, `/v1/schemas/Container`; docs/rancher-v1.md#schema-lookup says what is sourced).
   */
  get(name: string): Schema | undefined {
    return this.#byId.get(name) ?? this.#byName.get(name.toLowerCase());
  }

  /** The schema whose collection is `/v1/<segment>` (its lower-cased plural name), or undefined. */
  forCollection(segment: string): Schema | undefined {
    const schema = this.#byName.get(segment.toLowerCase());
    return schema && schema.pluralName.toLowerCase() === segment.toLowerCase() ? schema : undefined;
  }

  /** Like {@link get} but for types the emulator relies on: throws when the data file lacks it. */
  require(id: string): Schema {
    const schema = this.#byId.get(id);
    if (!schema) throw new Error(`schema data lacks type ${id}`);
    return schema;
  }

  /** Every schema, in id order. */
  all(): readonly Schema[] {
    return [...this.#byId.values()];
  }

  /**
   * Data fields rendered for a type after `id, type, links, actions, baseType, name, state`, in the
   * real server's order (Java String order, i.e. UTF-16 code units, not locale order).
   */
  renderFields(typeId: string): readonly string[] {
    let fields = this.#renderFields.get(typeId);
    if (!fields) {
      fields = Object.keys(this.require(typeId).resourceFields)
        .filter((name) => !priorityFields.has(name) && !writeOnlyFields.has(name))
        .sort(compareCodeUnits);
      this.#renderFields.set(typeId, fields);
    }
    return fields;
  }

  /** Modifiers a filter accepts on a type: only fields that are both a collectionFilter and a resourceField. */
  filterModifiers(typeId: string, field: string): readonly string[] | undefined {
    const schema = this.require(typeId);
    if (!Object.hasOwn(schema.resourceFields, field)) return undefined;
    return schema.collectionFilters[field]?.modifiers;
  }

  /** The `GET /v1/schemas` collection with the captured base URL replaced by `baseUrl`. */
  collectionJson(baseUrl: string): string {
    return this.#rewrite('*', this.#collection, baseUrl);
  }

  /** One schema as served by `GET /v1/schemas/{id}`, or undefined for an unknown id. */
  schemaJson(id: string, baseUrl: string): string | undefined {
    const schema = this.get(id);
    return schema ? this.#rewrite(schema.id, schema, baseUrl) : undefined;
  }

  #rewrite(key: string, value: unknown, baseUrl: string): string {
    const cacheKey = `${key} ${baseUrl}`;
    let text = this.#rendered.get(cacheKey);
    if (text === undefined) {
      text = JSON.stringify(value).replaceAll(capturedBaseUrl, baseUrl);
      this.#rendered.set(cacheKey, text);
    }
    return text;
  }
}

/** Orders strings by UTF-16 code units, like Java's String.compareTo (and gdapi's TreeMap). */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
