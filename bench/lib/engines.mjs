/**
 * Real state store engines for the replica benchmarks: MariaDB and etcd as plain processes with temp data
 * dirs on loopback ports. Not a second copy of the start-up logic: the test helpers test/helpers/mariadb.ts
 * and test/helpers/etcd.ts (and what they import) are transpiled at run time with @swc/core into a temp
 * folder (the approach of test/helpers/transpile.ts) and imported from there. An engine that is not
 * installed or does not start throws: the scenario reports an error, it never passes silently.
 */
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Transpiles `file` (a .ts under the repository) and its relative imports into `outDir`, mirroring the tree; returns the output path. */
async function transpileTree(transformFile, file, outDir, done = new Set()) {
  const out = join(outDir, relative(repoRoot, file)).replace(/\.ts$/, '.js');
  if (done.has(file)) return out;
  done.add(file);
  const { code } = await transformFile(file, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' }, sourceMaps: false });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, code);
  for (const match of code.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)\.js['"]/g)) await transpileTree(transformFile, resolve(dirname(file), `${match[1]}.ts`), outDir, done);
  return out;
}

let helpers;
/** `{ startMariaDb, startEtcd }` of the test helpers, transpiled once per bench process. */
async function engineHelpers() {
  helpers ??= (async () => {
    const { transformFile } = await import('@swc/core');
    const outDir = await mkdtemp(join(tmpdir(), 'rr-bench-helpers-'));
    await symlink(join(repoRoot, 'node_modules'), join(outDir, 'node_modules'), 'dir');
    const done = new Set(); // one after the other, sharing `done`: both import git-processes.ts, written once
    const load = async (name) => import(pathToFileURL(await transpileTree(transformFile, join(repoRoot, 'test/helpers', name), outDir, done)).href);
    const mariadb = await load('mariadb.ts');
    const etcd = await load('etcd.ts');
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true })); // sync: an exit handler cannot await
    return { startMariaDb: mariadb.startMariaDb, startEtcd: etcd.startEtcd };
  })();
  return helpers;
}

/**
 * Starts `backend` ('mysql' | 'etcd') with a fresh data dir; resolves with `{ backend, args(dir), stop() }`,
 * `args(dir)` being the `--state-store ...` flags of a replica (the MySQL password file is written into `dir`).
 * Throws when the engine is missing or fails to start.
 */
export async function startStateStore(backend) {
  const { startMariaDb, startEtcd } = await engineHelpers();
  if (backend === 'mysql') {
    const db = await startMariaDb();
    if ('unavailable' in db) throw new Error(`mysql state store: ${db.unavailable}`);
    return {
      backend,
      async args(dir) {
        const file = join(dir, 'store-password');
        await writeFile(file, db.password('rw'), { mode: 0o600 });
        return ['--state-store', db.url('rw'), '--state-store-password-file', file];
      },
      stop: () => db.stop(),
    };
  }
  if (backend === 'etcd') {
    const etcd = await startEtcd({ prefix: `/rr-bench-${process.pid}` });
    if ('unavailable' in etcd) throw new Error(`etcd state store: ${etcd.unavailable}`);
    return { backend, args: async () => ['--state-store', etcd.url], stop: () => etcd.stop() };
  }
  throw new Error(`unknown state store backend ${backend}`);
}
