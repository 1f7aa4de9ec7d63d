import { describe, expect, it, test } from '@jest/globals';
import { commandOptions, optionSpecs } from '../../../src/config.js';
import { optionFlags } from '../../../src/config/flag-parser.js';
import { helpOptions } from '../../../src/config/help.js';
import { fileKey } from '../../../src/config/options.js';
import { runCli } from '../../helpers/cli.js';

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

describe('short flags', () => {
  it('are single letters, unique, and clear of commander\'s -h and -V', () => {
    const shorts = optionSpecs.flatMap((spec) => (spec.short === undefined ? [] : [spec.short]));
    for (const short of shorts) expect(short).toMatch(/^[a-zA-Z]$/);
    expect(new Set(shorts).size).toBe(shorts.length);
    expect(shorts).not.toEqual(expect.arrayContaining(['h']));
    expect(shorts).not.toEqual(expect.arrayContaining(['V']));
  });

  test.each([
    ['manifests', 'm'],
    ['output', 'o'],
    ['url', 'u'],
  ])('--%s is -%s', (name, short) => {
    expect(optionSpecs.find((spec) => spec.name === name)?.short).toBe(short);
  });
});

describe('help of the reconciler commands', () => {
  /** `rancher-reconciler <command> --help` with the line wrapping folded into single spaces. */
  async function helpOf(command: string): Promise<string> {
    const result = await runCli([command, '--help'], { cwd: '/w' });
    expect(result.code).toBe(0);
    return result.stdout.replace(/\s+/g, ' ');
  }

  it('lists every option of plan with its env var and default, and not those of run', async () => {
    const help = await helpOf('plan');
    for (const spec of commandOptions('plan')) expect(help).toContain(`--${spec.name}`);
    expect(help).toContain('-m, --manifests <DIR>');
    expect(help).toContain('-o, --output <FORMAT>');
    expect(help).toContain('-u, --url <URL>');
    expect(help).toContain('(env: RECONCILER_OUTPUT; default: text)');
    expect(help).toContain('-h, --help');
    expect(help).not.toContain('--listen');
  });

  test.each(['run', 'apply', 'export'] as const)('lists the options of %s', async (command) => {
    const help = await helpOf(command);
    for (const spec of commandOptions(command)) expect(help).toContain(optionFlags(spec, '<>'));
  });

  it('matches the table: helpOptions gives one commander option per row the command uses', () => {
    expect(helpOptions('apply').map((option) => option.long)).toEqual(commandOptions('apply').map((spec) => `--${spec.name}`));
  });
});
