/**
 * Manifest trees as real ops repositories hold them (issue 13): compose files, CI files and docs beside
 * the manifests, left out by `.reconcilerignore` or `--exclude`, through the commands people run:
 * `validate` on a folder, and `plan` on a folder (flag and environment) and on the git source, where
 * the ignore file comes from the commit. Also: paths in messages never climb out of the working directory.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { composeHintMessage } from '../../src/manifest/compose-hint.js';
import { runCli } from '../helpers/cli.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { createBareRepo, WorkClone } from '../helpers/git-work.js';
import { instanceYaml } from '../helpers/manifest-tree.js';

/** An ops repository's manifests folder: two manifests (one in a folder named `apps.yaml`) and clutter. */
const opsTree: Readonly<Record<string, string>> = {
  'web.yaml': instanceYaml({ name: 'web' }),
  'apps.yaml/db.yml': instanceYaml({ name: 'db', image: 'docker:postgres:16' }),
  'docker-compose.yml': "version: '3'\nservices:\n  web:\n    image: nginx\n",
  'rancher-compose.yml': 'web:\n  scale: 2\n',
  'ci/pipeline.yaml': 'stages: [build, deploy]\n',
  'docs/README.md': '# ops\n',
};

async function writeTree(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
}

describe('manifest trees of real repositories', () => {
  let scratch: string;
  let emu: EmulatorHandle;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'rr-trees-'));
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
  });
  afterAll(async () => {
    await emu.close();
    await rm(scratch, { recursive: true, force: true });
  });

  async function repository(name: string, extra: Readonly<Record<string, string>> = {}): Promise<string> {
    const dir = join(scratch, name);
    await writeTree(join(dir, 'manifests'), { ...opsTree, ...extra });
    return dir;
  }

  describe('validate', () => {
    it('without rules, reports the compose files with the hint and the CI file with its error', async () => {
      const cwd = await repository('no-rules');
      const run = await runCli(['validate'], { cwd });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe([
        'manifests/ci/pipeline.yaml:1:1: apiVersion: required field is missing',
        'manifests/ci/pipeline.yaml:1:1: kind: required field is missing',
        'manifests/ci/pipeline.yaml:1:1: metadata: required field is missing',
        'manifests/ci/pipeline.yaml:1:1: spec: required field is missing',
        'manifests/ci/pipeline.yaml:1:1: stages: unknown field',
        `manifests/docker-compose.yml:1:1: ${composeHintMessage}`,
        `manifests/rancher-compose.yml:1:1: ${composeHintMessage}`,
        '5 files, 2 instances, 7 errors',
        '',
      ].join('\n'));
    });

    it('accepts the tree once .reconcilerignore names the clutter, counting only what it read', async () => {
      const cwd = await repository('ignore-file', { '.reconcilerignore': '# not manifests\n*compose*.yml\nci/\n' });
      expect(await runCli(['validate'], { cwd })).toEqual({ code: 0, stdout: '2 files, 2 instances, 0 errors\n', stderr: '' });
    });

    it('accepts the tree with --exclude, repeated or as a comma list', async () => {
      const cwd = await repository('exclude');
      const run = await runCli(['validate', '--exclude', 'docker-compose.yml,rancher-compose.yml', '--exclude', 'ci/'], { cwd });
      expect(run).toEqual({ code: 0, stdout: '2 files, 2 instances, 0 errors\n', stderr: '' });
    });

    it('prints a missing manifests folder outside the working directory as an absolute path, not ../../nonexistent', async () => {
      const run = await runCli(['validate', '--manifests', '/nonexistent'], { cwd: scratch });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('/nonexistent:1:1: cannot read the manifests directory /nonexistent: not found (ENOENT)\n0 files, 0 instances, 1 error\n');
    });

    it('prints the files of a tree outside the working directory as absolute paths', async () => {
      const repo = await repository('outside');
      const cwd = join(scratch, 'elsewhere');
      await mkdir(cwd, { recursive: true });
      const run = await runCli(['validate', '--manifests', join(repo, 'manifests'), '--exclude', 'ci/'], { cwd });
      expect(run.stdout.split('\n')).toContain(`${join(repo, 'manifests', 'docker-compose.yml')}:1:1: ${composeHintMessage}`);
    });
  });

  describe('plan', () => {
    const planArgs = (cwd: string): string[] => ['--url', emu.url, '--state-dir', join(cwd, 'state'), '--log-level', 'silent'];

    it('plans the manifests of a folder, leaving out what --exclude and RECONCILER_EXCLUDE name', async () => {
      const cwd = await repository('plan-folder', { '.reconcilerignore': 'ci/\n' });
      const flagged = await runCli(['plan', ...planArgs(cwd), '--manifests', 'manifests', '--exclude', '*compose*.yml'], { cwd });
      expect(flagged.stderr).toBe('');
      expect(flagged.code).toBe(2);
      expect(flagged.stdout).toContain('2 to create');
      const fromEnv = await runCli(['plan', ...planArgs(cwd), '--manifests', 'manifests'], { cwd, env: { RECONCILER_EXCLUDE: 'docker-compose.yml, rancher-compose.yml' } });
      expect(fromEnv.stderr).toBe('');
      expect(fromEnv.code).toBe(2);
    });

    it('on the git source, reads .reconcilerignore from the commit under --git-path and adds --exclude', async () => {
      const cwd = join(scratch, 'git');
      const bare = await createBareRepo(join(cwd, 'repos'), 'ops.git');
      const work = await WorkClone.create(bare, join(cwd, 'work'));
      const tree = Object.fromEntries(Object.entries(opsTree).map(([rel, text]) => [`prod/${rel}`, text]));
      await work.write({ ...tree, 'prod/.reconcilerignore': '*compose*.yml\n', 'docker-compose.yml': 'services: {}\n' });
      await work.commit('ops repository');
      await work.push();
      const args = [...planArgs(cwd), '--git-url', `file://${bare}`, '--git-path', 'prod'];
      const blocked = await runCli(['plan', ...args], { cwd });
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain('ci/pipeline.yaml:1:1: stages: unknown field');
      expect(blocked.stderr).not.toContain('compose');
      const planned = await runCli(['plan', ...args, '--exclude', 'ci/'], { cwd });
      expect(planned.stderr).toBe('');
      expect(planned.code).toBe(2);
      expect(planned.stdout).toContain('2 to create');
    }, 60_000);
  });
});
