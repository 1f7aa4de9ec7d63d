/**
 * `rancher-reconciler completion bash|zsh` for real: the bash script is sourced into a real bash and its
 * completion function is run with COMP_WORDS/COMP_CWORD set, as bash sets them on Tab. zsh is checked
 * by parsing (zsh -n) when zsh is installed, and by the specs the script must carry in any case.
 */
import { beforeAll, afterAll, describe, expect, it, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../../helpers/cli.js';

const run = promisify(execFile);
let dir = '';
let bashFile = '';
let zsh = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reconciler-completion-'));
  await mkdir(join(dir, 'work', 'manifests'), { recursive: true });
  await writeFile(join(dir, 'work', 'config.yaml'), 'qps: 3\n');
  const bash = await runCli(['completion', 'bash'], { cwd: dir });
  expect(bash).toMatchObject({ code: 0, stderr: '' });
  bashFile = join(dir, 'completion.bash');
  await writeFile(bashFile, bash.stdout);
  zsh = (await runCli(['completion', 'zsh'], { cwd: dir })).stdout;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What the bash function proposes for `words`, the last being the word under the cursor; sorted. */
async function complete(...words: string[]): Promise<string[]> {
  const script = 'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _rancher_reconciler; printf "%s\\n" "${COMPREPLY[@]}"';
  const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', script, bashFile, 'rancher-reconciler', ...words], { cwd: join(dir, 'work') });
  return stdout.split('\n').filter((line) => line !== '').sort();
}

describe('bash completion', () => {
  it('parses and registers the function for the program', async () => {
    await run('bash', ['-n', bashFile]);
    const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', 'source "$0"; complete -p rancher-reconciler', bashFile]);
    expect(stdout.trim()).toBe('complete -F _rancher_reconciler rancher-reconciler');
  });

  test.each<[string, string[], string[]]>([
    ['a command from its start', ['pl'], ['plan']],
    ['the program flags', ['--v'], ['--version']],
    ['a long flag of the command', ['plan', '--manif'], ['--manifests']],
    ['every flag that matches', ['plan', '--ma'], ['--manifests', '--max-delete']],
    ['a short flag', ['plan', '-o'], ['-o']],
    ['the choices of validate -o', ['validate', '-o', ''], ['json', 'text']],
    ['the choices of plan --output', ['plan', '--output', 'j'], ['json']],
    ['the choices after --output= (bash splits at =)', ['plan', '--output', '=', ''], ['json', 'text']],
    ['the choices while the word is still =', ['plan', '--output', '='], ['json', 'text']],
    ['a log level', ['run', '--log-level', 'd'], ['debug']],
    ['folders only for a DIR option', ['plan', '-m', ''], ['manifests']],
    ['folders for --state-dir', ['apply', '--state-dir', 'm'], ['manifests']],
    ['files and folders for a FILE option', ['plan', '--config', ''], ['config.yaml', 'manifests']],
    ['files for validate paths', ['validate', 'c'], ['config.yaml']],
    ['nothing for a free-text value', ['apply', '--qps', ''], []],
    ['nothing local for --git-path (a folder inside the repository)', ['plan', '--git-path', ''], []],
    ['the shells of completion', ['completion', ''], ['bash', 'zsh']],
    ['command names for help', ['help', 'ex'], ['export']],
    ['the flags again after a flag with its value', ['plan', '-m', 'manifests', '--pru'], ['--prune']],
  ])('proposes %s', async (_rule, words, expected) => {
    expect(await complete(...words)).toEqual(expected);
  });

  it('proposes every command, and only commands, at the start', async () => {
    const commands = await complete('');
    expect(commands).toEqual(expect.arrayContaining(['apply', 'completion', 'emulator', 'export', 'help', 'plan', 'run', 'validate']));
    expect(commands.filter((word) => word.startsWith('-'))).toEqual([]);
  });

  it('proposes only the flags the command takes', async () => {
    const apply = await complete('apply', '-');
    expect(apply).toEqual(expect.arrayContaining(['-m', '--manifests', '-u', '--url', '--prune', '--timeout', '-h', '--help']));
    expect(apply).not.toContain('--output');
    expect(apply).not.toContain('--listen');
    expect(await complete('export', '--output')).toEqual(['--output-dir']);
  });
});

describe('zsh completion', () => {
  it('is a #compdef file that registers itself when sourced', () => {
    expect(zsh.startsWith('#compdef rancher-reconciler\n')).toBe(true);
    expect(zsh).toContain('compdef _rancher_reconciler rancher-reconciler');
    for (const command of ['run', 'apply', 'plan', 'export', 'validate', 'emulator', 'completion']) {
      expect(zsh).toContain(`    '${command}:`);
      expect(zsh).toContain(`_rancher_reconciler_cmd_${command}() {`);
    }
  });

  test.each([
    ['a short flag with its value in the same word or the next', `'(-m --manifests)-m+[folder of manifest files (recursive)]:DIR:_files -/'`],
    ['the long form with = or a space', `'(-m --manifests)--manifests=[folder of manifest files (recursive)]:DIR:_files -/'`],
    ['enum choices', `'(-o --output)-o+[plan output\\: text or json (one JSON document)]:FORMAT:(text json)'`],
    ['validate -o choices from commander', `'(-o --output)-o+[text, or json (one JSON document)]:format:(text json)'`],
    ['a repeatable option (validate --exclude)', `'*--exclude=[leave out paths matching this gitignore-style pattern]:glob: '`],
    ['files for a FILE option', `'--config=[YAML or JSON file of options by camelCase name (maxDelete\\: 3)]:FILE:_files'`],
    ['a boolean flag', `'--prune[remove owned instances whose manifest disappeared]'`],
    ['validate paths', `'*:paths:_files'`],
    ['the shells', `'1:shell:(bash zsh)'`],
    ['the program flags, exclusive of everything', `'(- *)--version[output the version number]'`],
  ])('carries %s', (_rule, spec) => {
    expect(zsh).toContain(spec);
  });

  it('has balanced quoting (bash -n; zsh -n when zsh is installed)', async () => {
    const file = join(dir, 'completion.zsh');
    await writeFile(file, zsh);
    await run('bash', ['-n', file]);
    const hasZsh = await run('sh', ['-c', 'command -v zsh']).then(() => true, () => false);
    if (hasZsh) await run('zsh', ['-n', file]);
  });
});
