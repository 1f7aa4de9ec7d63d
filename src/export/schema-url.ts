/**
 * Where editors find the JSON Schema of an Instance manifest: the one place that names it, so that
 * moving the schema file changes one line. Every file `export` writes starts with the modeline.
 */

/** The URL of `schema/instance.json` as editors fetch it (a placeholder until the repository is published). */
export const manifestSchemaUrl = 'https://raw.githubusercontent.com/example/rancher-reconciler/main/schema/instance.json';

/** The yaml-language-server modeline naming the schema, without its `#` and trailing newline. */
export const schemaModeline = ` yaml-language-server: $schema=${manifestSchemaUrl}`;
