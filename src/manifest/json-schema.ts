/**
 * The JSON Schema (draft-07) of an Instance document, for editors and other tools. It is built from the
 * one field table the validator reads documents with (`instanceDocument` in instance-schema.ts), so the
 * two cannot disagree on which fields exist, their types, enums, patterns and bounds. What a schema
 * cannot say (names unique across files, YAML-level rules, keys that are not strings) only `validate`
 * checks. `npm run build` writes it to schema/instance.json (scripts/build-schema.mjs); `run` serves it at
 * `GET /schema/instance.json`.
 *
 * One difference is left on purpose: string lengths. The validator counts UTF-16 code units, as Rancher
 * does; JSON Schema counts code points. A value with characters outside the BMP close to a limit (255 for
 * names, 1024 for the description) can pass an editor and still fail `validate`, never the reverse.
 */
import { objectSchema, type JsonSchema } from './field-checks.js';
import { instanceDocument, manifestApiVersion, manifestKind } from './instance-schema.js';

/** The draft the schema is written in (`$schema`). */
export const jsonSchemaDraft = 'http://json-schema.org/draft-07/schema#';

/** The schema as a fresh object (a deep copy: callers may change it); pure and deterministic. */
export function instanceJsonSchema(): JsonSchema {
  return structuredClone({
    $schema: jsonSchemaDraft,
    title: `rancher-reconciler ${manifestKind} (${manifestApiVersion})`,
    description:
      'One document of a rancher-reconciler manifest: a Rancher 1.x container the controller keeps as declared. ' +
      'A file may hold several documents separated by ---; metadata.name and spec.name must be unique across the manifest tree.',
    ...objectSchema(instanceDocument.fields, instanceDocument.required),
  });
}

/** The schema as schema/instance.json holds it: two-space JSON and a final newline. */
export function instanceJsonSchemaText(): string {
  return `${JSON.stringify(instanceJsonSchema(), null, 2)}\n`;
}
