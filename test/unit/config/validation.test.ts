import { describe, expect, it, test } from '@jest/globals';
import { loadConfig, type LoadConfigInput } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const cwd = '/work/app';

function files(contents: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = contents[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

/** The issues loadConfig reports, or [] when it succeeds. */
function issuesOf(overrides: Partial<LoadConfigInput>): readonly string[] {
  try {
    loadConfig({ command: 'run', argv: [], env: {}, cwd, readFile: files({ '/s/empty': '\n', '/s/sk': 'SK' }), ...overrides });
    return [];
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
}

describe('loadConfig validation messages', () => {
  test.each<[string, LoadConfigInput['command'], string[], Record<string, string>, string]>([
    ['an unknown option', 'plan', ['--foo'], {}, 'unknown option --foo for command plan'],
    ['an unknown option with a value', 'plan', ['--foo', 'bar'], {}, 'unknown option --foo for command plan'],
    ['a short option', 'plan', ['-x'], {}, 'unknown option -x for command plan'],
    ['an option the command does not use', 'plan', ['--listen', '0.0.0.0:1'], {}, '--listen is not used by plan'],
    ['--timeout outside apply', 'run', ['--timeout', '5'], {}, '--timeout is not used by run'],
    ['--output outside plan', 'apply', ['--output', 'json'], {}, '--output is not used by apply'],
    ['a positional argument', 'run', ['manifests'], {}, 'unexpected argument `manifests` for command run'],
    ['arguments after --', 'run', ['--', 'x'], {}, 'unexpected argument `x` for command run'],
    ['a missing value at the end', 'run', ['--qps'], {}, '--qps: expected a value (N)'],
    ['a missing value before another flag', 'run', ['--manifests', '--prune'], {}, '--manifests: expected a value (DIR)'],
    ['a non-numeric qps', 'run', ['--qps', 'abc'], {}, '--qps: expected a positive number, got `abc`'],
    ['a zero qps', 'run', ['--qps', '0'], {}, '--qps: expected a positive number, got `0`'],
    ['a fractional concurrency', 'run', ['--concurrency', '1.5'], {}, '--concurrency: expected a positive integer, got `1.5`'],
    ['a negative max-delete', 'run', ['--max-delete=-1'], {}, '--max-delete: expected an integer >= 0, got `-1`'],
    ['a bad resync', 'run', ['--resync', '1m'], {}, '--resync: expected a positive number, got `1m`'],
    ['a bad boolean', 'run', ['--prune=yes'], {}, '--prune: expected true or false, got `yes`'],
    ['a bad output', 'plan', ['--output', 'yaml'], {}, '--output: expected one of text, json, got `yaml`'],
    ['a bad log level', 'run', ['--log-level', 'verbose'], {}, '--log-level: expected one of trace, debug, info, warn, error, fatal, silent, got `verbose`'],
    ['a bad log format', 'run', ['--log-format', 'xml'], {}, '--log-format: expected one of json, pretty, got `xml`'],
    ['a listen address without port', 'run', ['--listen', 'localhost'], {}, '--listen: expected HOST:PORT with a port in 0..65535, got `localhost`'],
    ['a listen port out of range', 'run', ['--listen', ':70000'], {}, '--listen: expected HOST:PORT with a port in 0..65535, got `:70000`'],
    ['a URL without scheme', 'run', ['--url', 'rancher:8080'], {}, '--url: expected `http(s)://host[:port]` (the server), or an API URL ending in /v1, /v1/projects/<id> or /v2-beta/projects/<id>, got `rancher:8080`'],
    ['a URL whose path is not the API', 'run', ['--url', 'http://rancher:8080/dashboard'], {}, '--url: expected `http(s)://host[:port]` (the server), or an API URL ending in /v1, /v1/projects/<id> or /v2-beta/projects/<id>, got `http://rancher:8080/dashboard`'],
    ['a URL of another scheme', 'run', ['--url', 'ftp://rancher/v1'], {}, '--url: expected `http(s)://host[:port]` (the server), or an API URL ending in /v1, /v1/projects/<id> or /v2-beta/projects/<id>, got `ftp://rancher/v1`'],
    ['a URL with credentials, redacted', 'run', ['--url', 'http://ak:sk@rancher/v1'], {}, '--url: must not contain credentials (use --access-key and --secret-key), got `http://rancher/v1`'],
    ['credentials in a URL without scheme, not shown', 'run', ['--url', 'ak:sk@rancher/v1'], {}, '--url: must not contain credentials (use --access-key and --secret-key), the value is not shown'],
    ['a bad env value names the variable', 'run', [], { RECONCILER_QPS: 'fast' }, 'RECONCILER_QPS: expected a positive number, got `fast`'],
    ['a bad RANCHER_URL', 'run', [], { RANCHER_URL: 'localhost:8080' }, 'RANCHER_URL: expected `http(s)://host[:port]` (the server), or an API URL ending in /v1, /v1/projects/<id> or /v2-beta/projects/<id>, got `localhost:8080`'],
    ['an unknown RECONCILER_ variable', 'run', [], { RECONCILER_QSP: '1' }, 'unknown environment variable RECONCILER_QSP'],
    ['an access key without a secret key', 'run', ['--access-key', 'AK'], {}, '--access-key: needs a secret key too (--secret-key or --secret-key-file)'],
    ['a secret key without an access key', 'run', [], { RANCHER_SECRET_KEY: 'SK' }, 'RANCHER_SECRET_KEY: needs an access key too (--access-key)'],
    ['a secret key inline and from a file', 'run', ['--access-key', 'AK', '--secret-key', 'SK', '--secret-key-file', '/s/sk'], {}, '--secret-key and --secret-key-file cannot both be set'],
    ['an unreadable secret file', 'run', ['--access-key', 'AK', '--secret-key-file', '/nope'], {}, '--secret-key-file: cannot read `/nope` (ENOENT)'],
    ['an empty secret file', 'run', ['--access-key', 'AK'], { RANCHER_SECRET_KEY_FILE: '/s/empty' }, 'RANCHER_SECRET_KEY_FILE: file `/s/empty` is empty'],
    ['a token inline and from a file', 'run', ['--reconcile-token', 't', '--reconcile-token-file', '/s/sk'], {}, '--reconcile-token and --reconcile-token-file cannot both be set'],
    ['an unreadable CA file', 'run', ['--ca-file', '/ca.pem'], {}, '--ca-file: cannot read `/ca.pem` (ENOENT)'],
    ['an unreadable config file', 'run', ['--config', 'c.yaml'], {}, '--config: cannot read `/work/app/c.yaml` (ENOENT)'],
    ['an empty --config', 'run', ['--config='], {}, '--config: expected a path, got an empty string'],
  ])('reports %s', (_rule, command, argv, env, issue) => {
    expect(issuesOf({ command, argv, env })).toEqual([issue]);
  });

  test.each<[string, string, string]>([
    ['an unknown key', 'qsp: 3', 'config file /c.yaml: unknown key `qsp`'],
    ['a kebab-case key', 'max-delete: 3', 'config file /c.yaml: unknown key `max-delete`'],
    ['the config key itself', 'config: other.yaml', 'config file /c.yaml: unknown key `config`'],
    ['a bad value', 'qps: fast', 'config file /c.yaml: qps: expected a positive number, got `fast`'],
    ['a string for a boolean', 'prune: "yes"', 'config file /c.yaml: prune: expected true or false, got `yes`'],
    ['a list for a number', 'qps: [1]', 'config file /c.yaml: qps: expected a string or number, got a list'],
    ['a list instead of a mapping', '- qps', 'config file /c.yaml: expected a mapping of option names, got a list'],
    ['a syntax error', 'a: "x', 'config file /c.yaml:1:6: expected YAML or JSON, got a syntax error: Missing closing "quote'],
    ['a duplicate key', 'qps: 1\nqps: 2', 'config file /c.yaml:2:1: expected YAML or JSON, got a syntax error: Map keys must be unique'],
  ])('reports a config file with %s', (_rule, text, issue) => {
    expect(issuesOf({ argv: ['--config', '/c.yaml'], readFile: files({ '/c.yaml': text }) })).toEqual([issue]);
  });

  it('lists every problem at once, flags first', () => {
    const issues = issuesOf({
      command: 'plan',
      argv: ['--foo', '--listen', ':1', '--qps', 'abc', '--concurrency=0'],
      env: { RECONCILER_LOG_LEVEL: 'loud', RANCHER_ACCESS_KEY: 'AK' },
    });
    expect(issues).toEqual([
      'unknown option --foo for command plan',
      '--listen is not used by plan',
      '--qps: expected a positive number, got `abc`',
      '--concurrency: expected a positive integer, got `0`',
      'RECONCILER_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got `loud`',
      'RANCHER_ACCESS_KEY: needs a secret key too (--secret-key or --secret-key-file)',
    ]);
  });

  it('validates only the winning value: a good flag hides a bad env value', () => {
    expect(issuesOf({ argv: ['--qps', '3'], env: { RECONCILER_QPS: 'bad' } })).toEqual([]);
  });

  it('never echoes a secret in a message', () => {
    const issues = issuesOf({ argv: ['--secret-key', 'TOPSECRET', '--url', 'http://u:TOPSECRET@r/v1'] });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.join('\n')).not.toContain('TOPSECRET');
  });
});
