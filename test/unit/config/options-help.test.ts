import { describe, expect, it, test } from '@jest/globals';
import { Command, CommanderError } from 'commander';
import { commandOptions, loadConfig, optionSpecs, optionsHelp, type Config } from '../../../src/config.js';
import { fileKey } from '../../../src/config/options.js';

describe('option table', () => {
  test.each([
    ['run', ['listen', 'reconcile-token', 'reconcile-token-file', 'resync'], ['timeout', 'output']],
    ['apply', ['timeout', 'resync'], ['listen', 'output', 'reconcile-token']],
    ['plan', ['output'], ['listen', 'timeout', 'resync', 'reconcile-token']],
  ] as const)('%s accepts its own options and not the others', (command, accepted, rejected) => {
    const names = commandOptions(command).map((spec) => spec.name);
    for (const name of accepted) expect(names).toContain(name);
    for (const name of rejected) expect(names).not.toContain(name);
  });

  it('gives every option one env var: RECONCILER_<UPPER_SNAKE> unless it is a RANCHER_ one', () => {
    for (const spec of optionSpecs) {
      const expected = `RECONCILER_${spec.name.toUpperCase().replace(/-/g, '_')}`;
      if (!spec.env.startsWith('RANCHER_')) expect(spec.env).toBe(expected);
    }
    expect(new Set(optionSpecs.map((spec) => spec.env)).size).toBe(optionSpecs.length);
  });

  test.each([
    ['max-delete', 'maxDelete'],
    ['insecure-skip-tls-verify', 'insecureSkipTlsVerify'],
    ['qps', 'qps'],
  ])('config-file key of --%s is %s', (name, key) => {
    expect(fileKey(name)).toBe(key);
  });
});

describe('optionsHelp', () => {
  it('lists the options of plan with env var and default, and not those of run', () => {
    const help = optionsHelp('plan');
    expect(help).toContain('--output FORMAT');
    expect(help).toContain('env RECONCILER_OUTPUT; default text');
    expect(help).toContain('env RANCHER_URL');
    expect(help).not.toContain('--listen');
  });

  it('shows up in `plan --help` of a commander command that hands its raw args to loadConfig', async () => {
    let out = '';
    let config: Config | undefined;
    const plan = new Command('plan')
      .allowUnknownOption()
      .allowExcessArguments()
      .helpOption('-h, --help')
      .addHelpText('after', optionsHelp('plan'))
      .configureOutput({ writeOut: (text) => (out += text), writeErr: (text) => (out += text) })
      .action((_options: unknown, command: Command) => {
        config = loadConfig({ command: 'plan', argv: command.args, env: {}, cwd: '/w', readFile: () => '' });
      });
    const program = new Command('rancher-reconciler').exitOverride().addCommand(plan.exitOverride());

    await program.parseAsync(['plan', '--output', 'json', '--qps=4'], { from: 'user' });
    expect(config?.output).toBe('json');
    expect(config?.api.qps).toBe(4);

    await expect(program.parseAsync(['plan', '--help'], { from: 'user' })).rejects.toBeInstanceOf(CommanderError);
    expect(out).toContain('--output FORMAT');
    expect(out).toContain('--max-delete N');
  });
});
