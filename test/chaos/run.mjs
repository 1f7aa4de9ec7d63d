#!/usr/bin/env node
/**
 * Entry of `npm run test:chaos` (the script runs `npm run build` first). A long run must test one build
 * even while dist/ is rebuilt beside it, so this copies dist/ into a temp folder (with links to data/,
 * ui/, schema/ and node_modules/, and a copy of package.json), transpiles the chaos modules
 * (test/chaos/*.ts) next to it with @swc/core, pointing their `../../src/...` imports at the copy, and
 * runs main.ts's `main` with the copied CLI. Node 20 has no TypeScript loader; this is the same approach
 * as test/helpers/transpile.ts.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformFile } from '@swc/core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
if (!existsSync(join(repo, 'dist', 'cli.js'))) {
  process.stderr.write('dist/cli.js is missing: run `npm run build` first (npm run test:chaos does)\n');
  process.exit(2);
}

function buildLabel() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src'], { cwd: repo, encoding: 'utf8' }).trim() !== '';
    return `${head}${dirty ? '+uncommitted src changes' : ''}`;
  } catch {
    // not a git checkout: the label is only informative
    return 'unknown';
  }
}

const build = await mkdtemp(join(tmpdir(), 'rr-chaos-build-'));
let code = 1;
try {
  await cp(join(repo, 'dist'), join(build, 'dist'), { recursive: true });
  // what the built program reads beside dist/ at run time: its data, the dashboard, the schema and the
  // package.json (its version, `type: module`)
  for (const dir of ['data', 'node_modules', 'ui', 'schema']) await symlink(join(repo, dir), join(build, dir), 'dir');
  await cp(join(repo, 'package.json'), join(build, 'package.json'));
  await mkdir(join(build, 'chaos'));
  for (const file of await readdir(here)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const { code: js } = await transformFile(join(here, file), {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
      sourceMaps: false,
    });
    await writeFile(join(build, 'chaos', file.replace(/\.ts$/, '.js')), js.replaceAll(/from (['"])\.\.\/\.\.\/src\//g, 'from $1../dist/'));
  }
  const { main } = await import(pathToFileURL(join(build, 'chaos', 'main.js')).href);
  code = await main(process.argv.slice(2), { cli: join(build, 'dist', 'cli.js'), out: (line) => process.stdout.write(`${line}\n`), build: buildLabel() });
} finally {
  await rm(build, { recursive: true, force: true });
}
process.exitCode = code;
