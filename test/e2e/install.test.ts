/**
 * The package installs and runs outside the checkout: `npm pack`, then `npm install -g --prefix <tmp>`
 * of the tarball (dependencies from the registry), then the installed `rancher-reconciler` from a
 * working directory that is not the checkout: `--version`, `validate` and `plan` on the embedded
 * emulator (which reads its schema data from data/ beside the installed code).
 *
 * The tarball is packed with --ignore-scripts: `prepack` would rebuild dist/ while other test files run
 * the built CLI. CI builds before testing, so dist/ is current; the test says so when it is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtCli } from '../helpers/cli.js';
import { instanceYaml } from '../helpers/manifest-tree.js';

const checkout = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string>; scripts: Record<string, string> };

type Run = Readonly<{ code: number; stdout: string; stderr: string }>;

/** Runs a program to its end (never rejects): its exit code and output. */
function run(file: string, args: readonly string[], options: Readonly<{ cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr: error !== null && typeof error.code !== 'number' ? `${stderr}\n${error.message}` : stderr });
    });
  });
}

/** npm without what `npm test` set for itself (npm_config_*, npm_lifecycle_*): a user's shell. */
function npmEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^npm_/i.test(name) && name !== 'NODE_OPTIONS' && name !== 'INIT_CWD') env[name] = value;
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', XDG_CONFIG_HOME: join(home, '.config') };
}

/** Files the installed program needs at run time, or that users are promised. */
const required = ['package.json', 'README.md', pkg.bin['rancher-reconciler'] ?? 'dist/cli.js', 'dist/program.js', 'dist/emulator/schemas.js', 'data/rancher-v1-schemas.json', 'schema/instance.json', 'manifests/web.yaml', 'ui/index.html', 'ui/dashboard.js', 'ui/dashboard.css'];

describe('npm pack and npm install -g', () => {
  let scratch: string;
  let packed: string[] = [];
  let tarball = '';
  let install: Run | undefined;
  let bin = '';
  let work = '';
  // the user's environment for the installed program: PATH and HOME only, no Rancher or reconciler settings
  let userEnv: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    builtCli(); // throws "run `npm run build`" when dist/ is missing
    scratch = await mkdtemp(join(tmpdir(), 'rr-install-'));
    const prefix = join(scratch, 'prefix');
    work = join(scratch, 'work');
    await mkdir(join(work, 'manifests'), { recursive: true });
    const env = npmEnv(scratch);
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch, checkout], { cwd: scratch, env, timeoutMs: 120_000 });
    if (pack.code !== 0) throw new Error(`npm pack failed (${pack.code}):\n${pack.stderr}`);
    const [entry] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
    packed = entry.files.map((file) => file.path);
    tarball = join(scratch, entry.filename);
    install = await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: scratch, env, timeoutMs: 300_000 });
    bin = join(prefix, 'bin', 'rancher-reconciler');
    userEnv = { PATH: `${join(prefix, 'bin')}:${process.env['PATH'] ?? ''}`, HOME: scratch };
  }, 420_000);
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('packs everything the installed program reads', () => {
    expect(required.filter((path) => !packed.includes(path))).toEqual([]);
  });

  it('packs no sources, tests, source maps or local state', () => {
    expect(packed.filter((path) => /^(src|test|bench|scripts|deploy|docs|node_modules|\.rancher-reconciler)\/|\.map$|\.ts$/.test(path))).toEqual([]);
  });

  it('packs the committed schema and the current build', async () => {
    const tree = join(scratch, 'prefix', 'lib', 'node_modules', pkg.name);
    expect(await readFile(join(tree, 'schema', 'instance.json'), 'utf8')).toBe(readFileSync(join(checkout, 'schema', 'instance.json'), 'utf8'));
    expect(await readFile(join(tree, 'dist', 'cli.js'), 'utf8')).toBe(readFileSync(builtCli(), 'utf8'));
  });

  it('builds before packing (prepack)', () => {
    expect(pkg.scripts['prepack']).toMatch(/npm run build$/);
  });

  it('installs globally from the tarball', () => {
    expect({ code: install?.code, stderr: install?.code === 0 ? '' : install?.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('puts a working rancher-reconciler on PATH (--version)', async () => {
    const version = await run(bin, ['--version'], { cwd: work, env: userEnv, timeoutMs: 30_000 });
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('validates a folder outside the checkout', async () => {
    await writeFile(join(work, 'manifests', 'web.yaml'), `# yaml-language-server: $schema=https://example.com/schema/instance.json\n${instanceYaml({ name: 'web' })}`);
    const valid = await run(bin, ['validate'], { cwd: work, env: userEnv, timeoutMs: 30_000 });
    expect(valid).toEqual({ code: 0, stdout: '1 file, 1 instance, 0 errors\n', stderr: '' });
    const json = await run(bin, ['validate', '-o', 'json', 'manifests/web.yaml'], { cwd: work, env: userEnv, timeoutMs: 30_000 });
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, counts: { files: 1, instances: 1, errors: 0 } });
  });

  it('plans against the embedded emulator (no --url): exit 2, one create', async () => {
    await writeFile(join(work, 'manifests', 'web.yaml'), instanceYaml({ name: 'web' }));
    const plan = await run(bin, ['plan', '--log-level', 'warn'], { cwd: work, env: userEnv, timeoutMs: 60_000 });
    expect({ code: plan.code, stderr: plan.stderr }).toEqual({ code: 2, stderr: '' });
    expect(plan.stdout).toContain("+ web: create 'web' (started)");
  });
});
