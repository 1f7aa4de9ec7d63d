/**
 * The completion model read from the real program: what each flag's value completes to. The shells'
 * behaviour is tested in test/integration/cli/completion.test.ts.
 */
import { describe, expect, it, test } from '@jest/globals';
import { completionModel, type CommandModel, type FlagModel } from '../../../src/commands/completion-model.js';
import { buildProgram } from '../../../src/program.js';
import { TextSink } from '../../helpers/cli.js';

const model = completionModel(buildProgram({
  env: {},
  stdout: new TextSink(),
  stderr: new TextSink(),
  shutdown: new AbortController().signal,
  cwd: '/w',
  onHangup: () => () => undefined,
  setExitCode: () => undefined,
}));

function command(name: string): CommandModel {
  const found = model.commands.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no command ${name}`);
  return found;
}

function flag(commandName: string, long: string): FlagModel | undefined {
  return command(commandName).flags.find((f) => f.long === long);
}

describe('completionModel', () => {
  it('lists every command, commander\'s help included, and the program flags', () => {
    expect(model.program).toBe('rancher-reconciler');
    const names = model.commands.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['run', 'apply', 'plan', 'export', 'validate', 'emulator', 'completion']));
    expect(names.at(-1)).toBe('help');
    expect(model.flags.map((f) => [f.short, f.long])).toEqual([['-V', '--version'], ['-h', '--help']]);
  });

  test.each<[string, string, string, Partial<FlagModel>]>([
    ['a table path named DIR is a folder', 'plan', '--manifests', { short: '-m', value: { kind: 'dir', name: 'DIR' } }],
    ['a table path named FILE is a file', 'run', '--config', { value: { kind: 'file', name: 'FILE' } }],
    ['a table path named PATH is a file', 'apply', '--secret-key-file', { value: { kind: 'file', name: 'PATH' } }],
    ['--git-path is a folder in the repository, not a local one', 'plan', '--git-path', { value: { kind: 'text', name: 'DIR' } }],
    ['an enum has its choices', 'plan', '--output', { short: '-o', value: { kind: 'choices', name: 'FORMAT', choices: ['text', 'json'] } }],
    ['a URL is free text', 'export', '--url', { short: '-u', value: { kind: 'text', name: 'URL' } }],
    ['a boolean takes no value', 'apply', '--prune', { value: { kind: 'none' }, repeatable: false }],
    ['a repeatable row says so', 'export', '--name', { repeatable: true }],
    ['validate -o: commander choices', 'validate', '--output', { short: '-o', value: { kind: 'choices', name: 'format', choices: ['text', 'json'] } }],
    ['validate --manifests <dir>: a folder', 'validate', '--manifests', { short: '-m', value: { kind: 'dir', name: 'dir' } }],
    ['validate --exclude: repeatable (an array default)', 'validate', '--exclude', { repeatable: true }],
    ['emulator --data <file>: a file', 'emulator', '--data', { value: { kind: 'file', name: 'file' } }],
    ['emulator --port <port>: free text', 'emulator', '--port', { value: { kind: 'text', name: 'port' } }],
  ])('%s', (_rule, commandName, long, expected) => {
    expect(flag(commandName, long)).toMatchObject(expected);
  });

  test.each<[string, CommandModel['operands'], boolean]>([
    ['validate', { kind: 'file', name: 'paths' }, true],
    ['completion', { kind: 'choices', name: 'shell', choices: ['bash', 'zsh'] }, false],
    ['plan', { kind: 'none' }, false],
  ])('%s operands', (name, operands, variadic) => {
    expect([command(name).operands, command(name).variadic]).toEqual([operands, variadic]);
  });

  it('offers the command names to help', () => {
    expect(command('help').operands).toMatchObject({ kind: 'choices', choices: model.commands.map((c) => c.name) });
  });

  it('leaves out the options a command does not take', () => {
    expect(flag('apply', '--output')).toBeUndefined();
    expect(flag('plan', '--listen')).toBeUndefined();
  });
});
