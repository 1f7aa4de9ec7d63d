import { afterAll, beforeAll, describe, expect, it, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliContext } from '../../src/commands/context.js';
import { validateCommand } from '../../src/commands/validate.js';

const fixtures = resolve('test/fixtures/manifests');

type Run = { code: number | undefined; stdout: string; stderr: string };

/** Runs `validate` in-process with a context that collects output; `cwd` is the case folder. */
async function runValidate(cwd: string, args: string[]): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  let code: number | undefined;
  const ctx: CliContext = {
    env: {},
    stdout,
    stderr,
    shutdown: new AbortController().signal,
    onHangup: () => () => undefined,
    setExitCode: (value) => (code = value),
    cwd,
  };
  const command = validateCommand(ctx).exitOverride().configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) });
  try {
    await command.parseAsync(args, { from: 'user' });
  } catch (error: unknown) {
    code = (error as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, stdout: out, stderr: err };
}

// one located line expected in the output of each committed bad case (file relative to the case folder)
const badCases: [string, string][] = [
  ['syntax-unclosed-flow', 'm.yaml:7:3: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ['tab-indentation', 'm.yaml:6:1: invalid YAML: Tabs are not allowed as indentation'],
  ['wrong-api-version', 'm.yaml:1:13: apiVersion: expected "rancher-reconciler/v1", got "v1"'],
  ['wrong-kind', 'm.yaml:2:7: kind: expected "Instance", got "Pod"'],
  ['missing-metadata-name', 'm.yaml:3:1: metadata.name: required field is missing'],
  ['missing-image', 'm.yaml:5:1: spec.imageUuid: required field is missing'],
  ['image-without-prefix', 'm.yaml:6:14: spec.imageUuid: must start with "docker:" (did you mean "docker:nginx:1.25"?)'],
  ['name-too-long', 'm.yaml:7:9: spec.name: must be at most 255 characters, got 256'],
  ['description-too-long', 'm.yaml:7:16: spec.description: must be at most 1024 characters, got 1025'],
  ['bad-metadata-name', 'm.yaml:4:9: metadata.name: must start with a letter or digit'],
  ['environment-number-value', 'm.yaml:8:11: spec.environment.PORT: expected a string, got a number (quote it: "8080")'],
  ['labels-boolean-value', 'm.yaml:8:13: spec.labels.public: expected a string, got a boolean (quote it: "true")'],
  ['command-single-string', 'm.yaml:7:12: spec.command: expected a list of strings, got a string (write a list: ["sleep 3600"])'],
  ['ports-number', 'm.yaml:7:11: spec.ports[0]: expected a string, got a number (quote it: "80")'],
  ['unknown-state', 'm.yaml:7:10: spec.state: expected one of running, stopped, got "paused"'],
  ['unknown-top-level-field', 'm.yaml:7:1: status: unknown field'],
  ['unknown-spec-field-typo', 'm.yaml:6:3: spec.imgeUuid: unknown field (did you mean "imageUuid"?)'],
  ['duplicate-key', 'm.yaml:7:3: spec.imageUuid: duplicate key (first at 6:3)'],
  ['duplicate-name-across-files', 'b.yaml:4:9: metadata.name: "web" is also declared at a.yaml:4:9'],
  ['duplicate-name-in-file', 'm.yaml:11:9: metadata.name: "web" is also declared at m.yaml:4:9'],
  ['alias-bomb', 'm.yaml:1:1: too many alias expansions (over 100): refusing a possible alias bomb'],
  ['empty-file', 'm.yaml:1:1: file has no documents (empty or truncated?)'],
  ['comments-only', 'm.yaml:1:1: file has no documents (empty or truncated?)'],
  ['not-a-mapping', 'm.yaml:1:1: expected a mapping (an Instance document), got a sequence'],
  ['restart-token-number', 'm.yaml:7:17: spec.restartToken: expected a string, got a number (quote it: "3")'],
  ['stop-timeout-out-of-range', 'm.yaml:7:16: spec.stopTimeout: must be between 0 and 3600, got 7200'],
  ['network-mode-typo', 'm.yaml:7:16: spec.networkMode: expected one of none, bridge, host, managed, container, got "brige" (did you mean "bridge"?)'],
  ['memory-negative', 'm.yaml:7:11: spec.memory: must be >= 0, got -1'],
  ['restart-policy-bad-name', 'm.yaml:8:11: spec.restartPolicy.name: expected one of no, always, on-failure, got "sometimes"'],
  ['requested-host-id-bad', 'm.yaml:7:20: spec.requestedHostId: must be a Rancher host id like "1h1", got "host-1"'],
  ['privileged-yes', 'm.yaml:7:15: spec.privileged: expected a boolean, got a string (write true or false, unquoted)'],
  ['unresolved-tag', 'm.yaml:6:14: invalid YAML: Unresolved tag: !image'],
  ['one-bad-document-of-two', 'm.yaml:14:8: spec.tty: expected a boolean, got a string (write true or false, unquoted)'],
  ['spec-missing', 'm.yaml:1:1: spec: required field is missing'],
  ['null-description', 'm.yaml:7:3: spec.description: expected a string, got null (give it a value or remove the field)'],
  ['bad-file-in-nested-folder', 'team/apps/m.yml:7:14: spec.cpuShares: expected an integer, got 1.5'],
];

/** Bad cases that are better made on the spot than committed: links, a 10 MB file, raw bytes. */
const generatedCases: [string, (dir: string) => Promise<void>, string][] = [
  ['symlink loop', (dir) => symlink('loop.yaml', join(dir, 'loop.yaml')), 'loop.yaml:1:1: symlink loop'],
  ['folder symlink loop', async (dir) => {
    await mkdir(join(dir, 'sub'));
    await symlink('..', join(dir, 'sub', 'up'));
  }, 'sub/up:1:1: symlink loop: this folder leads back to one of its parents'],
  ['10 MB file', async (dir) => {
    await writeFile(join(dir, 'huge.yaml'), '');
    await truncate(join(dir, 'huge.yaml'), 10 * 1024 * 1024);
  }, 'huge.yaml:1:1: file is 10485760 bytes, over the limit of 5242880 bytes'],
  ['non-UTF-8 bytes', (dir) => writeFile(join(dir, 'latin1.yaml'), Buffer.from('apiVersion: rancher-reconciler/v1\nkind: Caf\xe9\n', 'latin1')), 'latin1.yaml:2:10: not valid UTF-8 text'],
  ['binary file with NUL bytes', (dir) => writeFile(join(dir, 'bin.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0x00, 0x01])), 'bin.yaml:1:4: binary file: contains a NUL byte'],
  ['broken symlink', (dir) => symlink('missing.yaml', join(dir, 'dangling.yaml')), 'dangling.yaml:1:1: broken symlink: its target does not exist'],
];

describe('validate command', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'rr-validate-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('has a bad corpus of at least 25 cases', () => {
    expect(badCases.length + generatedCases.length).toBeGreaterThanOrEqual(25);
  });

  test.each(badCases)('bad corpus: %s exits 1 with a located message', async (name, line) => {
    const run = await runValidate(join(fixtures, 'bad', name), ['--manifests', '.']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n').some((text) => text.startsWith(line))).toBe(true);
    expect(run.stdout).toMatch(/^\d+ files?, \d+ instances?, [1-9]\d* errors?$/m);
  });

  test.each(generatedCases)('generated bad case: %s exits 1 with a located message', async (name, make, line) => {
    const dir = join(scratch, name.replace(/\W+/g, '-'));
    await mkdir(dir);
    await make(dir);
    const run = await runValidate(dir, ['--manifests', '.']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n')).toContain(line);
  });

  it('accepts the good corpus: multi-document, anchors, merge keys, comments, nested and hidden folders', async () => {
    const run = await runValidate(fixtures, ['--manifests', 'good']);
    expect(run).toEqual({ code: 0, stdout: '4 files, 5 instances, 0 errors\n', stderr: '' });
  });

  it('accepts the example manifests shipped in manifests/', async () => {
    const run = await runValidate(resolve('.'), []);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\d+ files, [1-9]\d* instances, 0 errors\n$/);
  });

  it('prints files relative to the working directory', async () => {
    const run = await runValidate(fixtures, ['--manifests', 'bad/wrong-kind']);
    expect(run.stdout).toBe('bad/wrong-kind/m.yaml:2:7: kind: expected "Instance", got "Pod"\n1 file, 0 instances, 1 error\n');
  });

  it('reports a missing manifests directory as one located error', async () => {
    const run = await runValidate(scratch, ['--manifests', 'nowhere']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`nowhere:1:1: cannot read the manifests directory ${join(scratch, 'nowhere')}: not found (ENOENT)`);
  });

  it('rejects options it does not take', async () => {
    const run = await runValidate(fixtures, ['--prune']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("unknown option '--prune'");
  });
});

describe('validate through the built cli (dist/cli.js)', () => {
  const cli = resolve('dist/cli.js');

  it('is built (CI builds before testing)', () => {
    expect(existsSync(cli)).toBe(true);
  });

  it('exits 1 with located errors and no stack trace for a bad tree', () => {
    const result = spawnSync(process.execPath, [cli, 'validate', '--manifests', join(fixtures, 'bad', 'duplicate-name-across-files')], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('a.yaml:4:9: metadata.name: "web" is also declared at b.yaml:4:9');
    expect(result.stdout).toContain('2 files, 2 instances, 2 errors');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 0 for the good corpus', () => {
    const result = spawnSync(process.execPath, [cli, 'validate', '--manifests', join(fixtures, 'good')], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('4 files, 5 instances, 0 errors\n');
  });
});
