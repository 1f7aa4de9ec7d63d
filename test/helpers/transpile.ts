import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const srcRoot = join(repoRoot, 'src');

/**
 * Transpiles the src module `file` and every relative module it imports into `outDir` with @swc/core, so a
 * child process runs the current source (not a possibly stale dist/) without a TypeScript loader. `outDir`
 * gets a `node_modules` link to the project's, so bare imports (`proper-lockfile`) resolve. Returns the
 * transpiled path of `file`.
 */
export async function transpileForChild(file: string, outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  await symlink(join(repoRoot, 'node_modules'), join(outDir, 'node_modules'), 'dir').catch((e: unknown) => {
    if ((e as { code?: unknown }).code !== 'EEXIST') throw e;
  });
  return transpileTree(resolve(file), outDir, new Set());
}

async function transpileTree(file: string, outDir: string, done: Set<string>): Promise<string> {
  const out = join(outDir, relative(srcRoot, file)).replace(/\.ts$/, '.js');
  if (done.has(file)) return out;
  done.add(file);
  const { code } = await transformFile(file, {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: false,
  });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, code);
  for (const match of code.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
    await transpileTree(resolve(dirname(file), `${match[1]}.ts`), outDir, done);
  }
  return out;
}
