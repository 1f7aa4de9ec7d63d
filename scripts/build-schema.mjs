// `npm run build` runs this after tsc: writes schema/instance.json, the JSON Schema of a manifest
// document, from the compiled field table (dist/manifest/json-schema.js). The file is committed, because
// editors fetch it by URL from the repository; `--check` (what `npm run ci` runs) writes nothing and
// exits 1 when the committed file is not what the code produces.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const target = fileURLToPath(new URL('schema/instance.json', root));
const check = process.argv.includes('--check');

let module;
try {
  module = await import(new URL('dist/manifest/json-schema.js', root).href);
} catch (error) {
  process.stderr.write(`build-schema: cannot load dist/manifest/json-schema.js (run tsc first): ${error.message}\n`);
  process.exit(1);
}
const text = module.instanceJsonSchemaText();
let current;
try {
  current = readFileSync(target, 'utf8');
} catch {
  current = undefined; // not written yet
}

if (check) {
  if (current !== text) {
    process.stderr.write('build-schema: schema/instance.json is not what the field table produces: run `npm run build` and commit it\n');
    process.exit(1);
  }
} else if (current !== text) {
  mkdirSync(fileURLToPath(new URL('schema/', root)), { recursive: true });
  writeFileSync(target, text);
  process.stderr.write('build-schema: schema/instance.json updated (commit it)\n');
}
