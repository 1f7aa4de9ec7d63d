import { describe, expect, it, test } from '@jest/globals';
import { Command } from 'commander';
import { loadConfig, type Config } from '../../../src/config.js';
import { withOptionsHelp } from '../../../src/config/help.js';
import { ConfigError } from '../../../src/errors.js';

const load = (argv: string[], env: Record<string, string> = {}): Config => loadConfig({ command: 'export', argv, env, cwd: '/work/app', readFile: () => '' });

function issuesOf(argv: string[], env: Record<string, string> = {}): readonly string[] {
  try {
    load(argv, env);
    return [];
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
}

describe('export options', () => {
  it('defaults: one file per running container into ./manifests, nothing adopted', () => {
    expect(load([]).export).toEqual({ outputDir: '/work/app/manifests', outputDirGiven: false, file: undefined, force: false, names: [], namePrefix: undefined, states: ['running'], adopt: false });
  });

  test.each<[string, string[], Record<string, string>, Partial<Config['export']>]>([
    ['--output-dir resolves against cwd', ['--output-dir', 'out'], {}, { outputDir: '/work/app/out', outputDirGiven: true }],
    ['--file writes one file', ['--file', 'all.yaml'], {}, { file: '/work/app/all.yaml' }],
    ['--file - is stdout', ['--file', '-'], {}, { file: '-' }],
    ['--file=- is stdout too', ['--file=-'], {}, { file: '-' }],
    ['--force', ['--force'], {}, { force: true }],
    ['--name repeated and as comma lists', ['--name', 'web', '--name=api,db', '--name', ' jobs '], {}, { names: ['web', 'api', 'db', 'jobs'] }],
    ['RECONCILER_NAME as a comma list', [], { RECONCILER_NAME: 'a,b' }, { names: ['a', 'b'] }],
    ['--name-prefix', ['--name-prefix', 'api-'], {}, { namePrefix: 'api-' }],
    ['--include-stopped adds stopped', ['--include-stopped'], {}, { states: ['running', 'stopped'] }],
    ['--state replaces the default', ['--state', 'stopped', '--state', 'starting'], {}, { states: ['stopped', 'starting'] }],
    ['--state with --include-stopped', ['--state', 'starting', '--include-stopped'], {}, { states: ['starting', 'stopped'] }],
    ['--adopt', ['--adopt'], {}, { adopt: true }],
  ])('%s', (_rule, argv, env, expected) => {
    expect(load(argv, env).export).toEqual(expect.objectContaining(expected));
  });

  test.each<[string, string[], string]>([
    ['--file and --output-dir together', ['--file', 'a.yaml', '--output-dir', 'd'], '--file and --output-dir cannot both be set: one file for every instance, or one file each in a folder'],
    ['a state export cannot map', ['--state', 'running,error'], '--state: expected Rancher states from running, stopped, starting, stopping, restarting, updating-running, updating-stopped, got `error`'],
    ['an option of another command', ['--prune'], '--prune is not used by export'],
    ['--manifests (export writes, it does not read manifests)', ['--manifests', 'm'], '--manifests is not used by export'],
    ['an empty --name', ['--name='], '--name: expected a value, got an empty string'],
  ])('reports %s', (_rule, argv, issue) => {
    expect(issuesOf(argv)).toContain(issue);
  });

  it('takes the Rancher, state dir and log options of the other commands', () => {
    const config = load(['--url', 'http://rancher:8080/v1', '--state-dir', 's', '--log-level', 'warn', '--qps', '5']);
    expect([config.api.url, config.stateDir, config.log.level, config.api.qps]).toEqual(['http://rancher:8080/v1', '/work/app/s', 'warn', 5]);
  });

  it('lists its own options in help, not those of run', () => {
    // commander wraps help to the terminal: compare with the line breaks folded into spaces
    const help = withOptionsHelp(new Command('export'), 'export').helpInformation().replace(/\s+/g, ' ');
    for (const flag of ['--output-dir <DIR>', '--file <FILE>', '--force', '--name <NAME>', '--name-prefix <PREFIX>', '--state <STATE>', '--include-stopped', '--adopt', '-u, --url <URL>', '--state-dir <DIR>']) expect(help).toContain(flag);
    expect(help).toContain('by default only running ones are exported');
    expect(help).not.toContain('--manifests');
    expect(help).not.toContain('--prune');
  });
});
