/** `validate -o json` and `validate FILE|DIR...` (the text output and exit codes: validate.test.ts). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { instanceYaml } from '../helpers/manifest-tree.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'rr-validate-out-'));
  await mkdir(join(cwd, 'manifests', 'team'), { recursive: true });
  await writeFile(join(cwd, 'manifests', 'web.yaml'), `# yaml-language-server: $schema=../schema/instance.json\n${instanceYaml({ name: 'web' })}`);
  await writeFile(join(cwd, 'manifests', 'team', 'api.yaml'), `$schema: https://example.com/schema/instance.json\n${instanceYaml({ name: 'api' })}`);
  await mkdir(join(cwd, 'other'));
  await writeFile(join(cwd, 'other', 'bad.yaml'), instanceYaml({ name: 'bad', state: 'running', extra: '  memory: "1"' }));
  await writeFile(join(cwd, 'other', 'web-again.yml'), instanceYaml({ name: 'web' }));
  await writeFile(join(cwd, 'notes.txt'), instanceYaml({ name: 'notes' }));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('validate -o json', () => {
  it('prints one document with files, instances, issues and counts, and exits 0 for a valid tree', async () => {
    const run = await runCli(['validate', '-o', 'json'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      valid: true,
      files: [join('manifests', 'team', 'api.yaml'), join('manifests', 'web.yaml')],
      instances: [
        { name: 'api', file: join('manifests', 'team', 'api.yaml'), line: 5, col: 9 },
        { name: 'web', file: join('manifests', 'web.yaml'), line: 5, col: 9 },
      ],
      issues: [],
      counts: { files: 2, instances: 2, errors: 0 },
    });
  });

  it('locates every issue with file, line, col, path and message, and exits 1', async () => {
    const run = await runCli(['validate', '--output', 'json', 'other/bad.yaml'], { cwd });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      valid: false,
      files: [join('other', 'bad.yaml')],
      instances: [],
      issues: [{ file: join('other', 'bad.yaml'), line: 8, col: 11, path: 'spec.memory', message: 'spec.memory: expected an integer, got a string (remove the quotes)' }],
      counts: { files: 1, instances: 0, errors: 1 },
    });
  });

  it('refuses a format it does not know', async () => {
    const run = await runCli(['validate', '-o', 'yaml'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("argument 'yaml' is invalid. Allowed choices are text, json.");
  });
});

describe('validate FILE|DIR...', () => {
  it('checks the files and folders given instead of --manifests, each on its own', async () => {
    // web-again.yml repeats the name "web" of manifests/web.yaml: not a clash, as each argument stands alone
    const run = await runCli(['validate', 'manifests/web.yaml', 'other/web-again.yml', 'manifests/team'], { cwd });
    expect(run).toEqual({ code: 0, stdout: '3 files, 3 instances, 0 errors\n', stderr: '' });
  });

  it('reads a file named on the command line whatever its extension', async () => {
    const run = await runCli(['validate', 'notes.txt'], { cwd });
    expect(run).toEqual({ code: 0, stdout: '1 file, 1 instance, 0 errors\n', stderr: '' });
  });

  it('adds the folders given to an explicit --manifests and prints issues relative to the working directory', async () => {
    const run = await runCli(['validate', '--manifests', 'manifests', 'other'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`${join('other', 'bad.yaml')}:8:11: spec.memory: expected an integer, got a string (remove the quotes)\n4 files, 3 instances, 1 error\n`);
  });

  it('reports a path that does not exist as one located error', async () => {
    const run = await runCli(['validate', 'nowhere.yaml'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`nowhere.yaml:1:1: cannot read the manifests directory ${join(cwd, 'nowhere.yaml')}: not found (ENOENT)`);
  });
});
