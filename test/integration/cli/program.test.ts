/**
 * The command line through the real program, in-process (runProgram with a test CliContext): one
 * commander parse for every command, every problem reported at once, short flags, --version and help.
 */
import { afterAll, beforeAll, describe, expect, it, test } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { withEmulator } from '../../helpers/emulator.js';

let root = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'reconciler-cli-'));
  await mkdir(join(root, 'empty'));
  await mkdir(join(root, 'bad'));
  await writeFile(join(root, 'bad', 'web.yaml'), 'kind: Instance\n');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('--version', () => {
  test.each([['--version'], ['-V']])('%s prints the version of package.json', async (flag) => {
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await runCli([flag], { cwd: root })).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
});

describe('every problem at once', () => {
  it('reports a stray argument, unknown options, an option of another command, a missing value and a bad value together', async () => {
    const result = await runCli(['plan', 'stray', '--bogus', 'x', '-z', '--listen', ':1', '-o', 'yaml', '--qps'], { cwd: root, env: { RECONCILER_QSP: '1' } });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        'error: unexpected argument `stray` for command plan',
        'error: unknown option --bogus for command plan',
        'error: unknown option -z for command plan',
        'error: --listen is not used by plan',
        'error: --qps: expected a value (N)',
        'error: unknown environment variable RECONCILER_QSP',
        'error: --output: expected one of text, json, got `yaml`',
        '',
      ].join('\n'),
    });
  });

  test.each<[string, string[], string]>([
    ['a short flag of another command', ['apply', '-o', 'json'], 'error: --output is not used by apply\n'],
    ['export without --manifests', ['export', '-m', 'x'], 'error: --manifests is not used by export\n'],
    ['a missing value of a short flag', ['run', '-u'], 'error: --url: expected a value (URL)\n'],
    ['a bad boolean', ['apply', '--prune=maybe'], 'error: --prune: expected true or false, got `maybe`\n'],
  ])('reports %s', async (_rule, args, stderr) => {
    expect(await runCli(args, { cwd: root })).toEqual({ code: 1, stdout: '', stderr });
  });

  it('rejects a shell completion cannot write', async () => {
    const result = await runCli(['completion', 'fish'], { cwd: root });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: command-argument value 'fish' is invalid for argument 'shell'. Allowed choices are bash, zsh.\n");
  });
});

describe('short flags and both value spellings', () => {
  it('plan -u URL -m DIR -o json reaches the API and prints JSON', async () => {
    await withEmulator({}, async (emulator) => {
      const args = ['plan', '-u', emulator.url, '-m', join(root, 'empty'), '-o', 'json', '--state-dir', join(root, 'state-1'), '--log-level=silent'];
      const result = await runCli(args, { cwd: root });
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(JSON.parse(result.stdout)).toEqual(expect.any(Object));
    });
  });

  it('plan --url=URL --manifests=DIR --output=json is the same plan', async () => {
    await withEmulator({}, async (emulator) => {
      const args = ['plan', `--url=${emulator.url}`, `--manifests=${join(root, 'empty')}`, '--output=json', `--state-dir=${join(root, 'state-2')}`, '--log-level', 'silent'];
      const result = await runCli(args, { cwd: root });
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(JSON.parse(result.stdout)).toEqual(expect.any(Object));
    });
  });

  it('validate -m DIR -o json', async () => {
    const result = await runCli(['validate', '-m', join(root, 'bad'), '-o', 'json'], { cwd: root });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: false });
  });
});

describe('help', () => {
  test.each([[['plan', '--help']], [['help', 'plan']], [['plan', '-h']]])('%j lists the options of plan, short flags first', async (args) => {
    const result = await runCli(args, { cwd: root });
    expect(result.code).toBe(0);
    const help = result.stdout.replace(/\s+/g, ' ');
    for (const flag of ['-m, --manifests <DIR>', '-u, --url <URL>', '-o, --output <FORMAT>', '--prune', '--max-delete <N>', '--exclude <GLOB>', '-h, --help']) expect(help).toContain(flag);
    expect(help).toContain('Precedence: flag > environment variable > config file > default.');
  });

  it('lists the completion command at the top', async () => {
    const result = await runCli(['--help'], { cwd: root });
    expect(result.stdout).toMatch(/^ {2}completion <shell> +print a shell completion script/m);
  });
});
