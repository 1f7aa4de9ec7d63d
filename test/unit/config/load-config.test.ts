import { hostname } from 'node:os';
import { describe, expect, it, test } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configDefaults, describeConfig, loadConfig, type Config, type LoadConfigInput } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const cwd = '/work/app';

/** A fake file system: path -> contents; anything else throws ENOENT like readFileSync. */
function files(contents: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = contents[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}

const pem = '-----BEGIN CERTIFICATE-----\n';

function load(overrides: Partial<LoadConfigInput> = {}): Config {
  return loadConfig({ command: 'run', argv: [], env: {}, cwd, readFile: files({ '/work/app/ca.pem': pem, '/ca.pem': pem }), ...overrides });
}

describe('loadConfig defaults', () => {
  it('gives every documented default for run', () => {
    const manifests = { dir: '/work/app/manifests', overlays: [], maxFileBytes: 5 * 1024 * 1024, debounceMs: configDefaults.debounceMs, exclude: [] };
    const api = { url: undefined, insecureSkipTlsVerify: false, timeoutMs: 30_000, qps: 20, concurrency: 8, pageSize: configDefaults.pageSize };
    const reconcile = {
      prune: false,
      maxDelete: undefined,
      maxUnavailable: { kind: 'count', count: 1 },
      resyncMs: 60_000,
      concurrency: 8,
      backoff: { baseMs: 5, maxMs: 300_000 },
      errorRetries: configDefaults.errorRetries,
      timeoutMs: 600_000,
    };
    expect(load()).toEqual({
      command: 'run',
      manifests,
      git: undefined,
      webhooks: {},
      subset: { only: [], selector: undefined },
      api,
      stateDir: '/work/app/.rancher-reconciler',
      // the flags define one environment, `default`, whose folder is the state dir itself
      environments: [{ name: 'default', api, manifests, git: undefined, stateDir: '/work/app/.rancher-reconciler', reconcile }],
      selectedEnvironments: [],
      reconcile,
      http: { host: '127.0.0.1', port: 8081, readyWhen: 'all' },
      output: 'text',
      export: { outputDir: '/work/app/manifests', outputDirGiven: false, file: undefined, force: false, names: [], namePrefix: undefined, states: ['running'], adopt: false },
      log: { level: 'info', pretty: false, color: false },
      emulator: { transitionMs: 250 },
      events: { history: 2000 },
      shutdownGraceMs: configDefaults.shutdownGraceMs,
      notifications: [],
      // the file store: one process, no election; the replica settings are controller-runtime's defaults
      stateStore: { kind: 'file' },
      replica: { id: `${hostname()}-${process.pid}`, leaseMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    });
  });

  test.each([
    ['pretty logs on a terminal', true, true],
    ['json logs when stdout is not a terminal', false, false],
  ])('%s', (_rule, isTTY, pretty) => {
    expect(load({ isTTY }).log.pretty).toBe(pretty);
  });

  test.each<[string, boolean, Record<string, string>, boolean]>([
    ['coloured logs on a terminal', true, {}, true],
    ['NO_COLOR from the env it is given turns colour off', true, { NO_COLOR: '1' }, false],
    ['FORCE_COLOR from the env it is given colours a pipe', false, { FORCE_COLOR: '1' }, true],
  ])('%s', (_rule, isTTY, env, color) => {
    expect(load({ isTTY, env }).log.color).toBe(color);
  });

  it('returns a deeply frozen object', () => {
    const config = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.api)).toBe(true);
    expect(Object.isFrozen(config.reconcile.backoff)).toBe(true);
  });
});

describe('loadConfig flags', () => {
  test.each<[string, LoadConfigInput['command'], string[], (c: Config) => unknown, unknown]>([
    ['--manifests resolves against cwd', 'run', ['--manifests', 'm'], (c) => c.manifests.dir, '/work/app/m'],
    ['--manifests keeps an absolute path', 'run', ['--manifests=/git/current'], (c) => c.manifests.dir, '/git/current'],
    ['--url drops a trailing slash', 'plan', ['--url', 'http://rancher:8080/v1/'], (c) => c.api.url, 'http://rancher:8080/v1'],
    ['--url accepts a project URL', 'plan', ['--url', 'https://r.example/v1/projects/1a5'], (c) => c.api.url, 'https://r.example/v1/projects/1a5'],
    ['--access-key with --secret-key', 'apply', ['--access-key', 'AK', '--secret-key', 'SK'], (c) => [c.api.accessKey, c.api.secretKey], ['AK', 'SK']],
    ['--ca-file', 'run', ['--ca-file', 'ca.pem'], (c) => c.api.caFile, '/work/app/ca.pem'],
    ['--insecure-skip-tls-verify', 'run', ['--insecure-skip-tls-verify'], (c) => c.api.insecureSkipTlsVerify, true],
    ['--state-dir', 'run', ['--state-dir', '/var/lib/r'], (c) => c.stateDir, '/var/lib/r'],
    ['--prune', 'apply', ['--prune'], (c) => c.reconcile.prune, true],
    ['--prune=false', 'apply', ['--prune=false'], (c) => c.reconcile.prune, false],
    ['--max-delete 0 refuses every removal', 'run', ['--max-delete', '0'], (c) => c.reconcile.maxDelete, 0],
    ['--resync in seconds', 'run', ['--resync', '1.5'], (c) => c.reconcile.resyncMs, 1500],
    ['--qps', 'plan', ['--qps', '2.5'], (c) => c.api.qps, 2.5],
    ['--concurrency sets the api and the reconcile concurrency', 'run', ['--concurrency', '3'], (c) => [c.api.concurrency, c.reconcile.concurrency], [3, 3]],
    ['--request-timeout in seconds', 'run', ['--request-timeout', '5'], (c) => c.api.timeoutMs, 5000],
    ['--listen', 'run', ['--listen', '0.0.0.0:9090'], (c) => [c.http.host, c.http.port], ['0.0.0.0', 9090]],
    ['--listen port 0', 'run', ['--listen', '127.0.0.1:0'], (c) => c.http.port, 0],
    ['--listen IPv6', 'run', ['--listen', '[::1]:8081'], (c) => c.http.host, '::1'],
    ['--reconcile-token', 'run', ['--reconcile-token', 'tok'], (c) => c.http.reconcileToken, 'tok'],
    ['--timeout in seconds', 'apply', ['--timeout', '30'], (c) => c.reconcile.timeoutMs, 30_000],
    ['--output json', 'plan', ['--output', 'json'], (c) => c.output, 'json'],
    ['--log-level', 'plan', ['--log-level', 'debug'], (c) => c.log.level, 'debug'],
    ['--log-format pretty', 'run', ['--log-format', 'pretty'], (c) => c.log.pretty, true],
    ['--emulator-transition-ms', 'run', ['--emulator-transition-ms', '0'], (c) => c.emulator.transitionMs, 0],
    ['a repeated flag keeps the last value', 'run', ['--qps', '1', '--qps', '2'], (c) => c.api.qps, 2],
  ])('%s', (_rule, command, argv, pick, expected) => {
    expect(pick(load({ command, argv }))).toEqual(expected);
  });

  it('lets the log format flag win over the terminal default', () => {
    expect(load({ argv: ['--log-format', 'json'], isTTY: true }).log.pretty).toBe(false);
  });
});

describe('loadConfig environment', () => {
  test.each<[string, Record<string, string>, (c: Config) => unknown, unknown]>([
    ['RANCHER_URL', { RANCHER_URL: 'http://r:8080/v1' }, (c) => c.api.url, 'http://r:8080/v1'],
    ['RANCHER_ACCESS_KEY and RANCHER_SECRET_KEY', { RANCHER_ACCESS_KEY: 'a', RANCHER_SECRET_KEY: 'b' }, (c) => [c.api.accessKey, c.api.secretKey], ['a', 'b']],
    ['RANCHER_CA_FILE', { RANCHER_CA_FILE: '/ca.pem' }, (c) => c.api.caFile, '/ca.pem'],
    ['RECONCILER_MANIFESTS', { RECONCILER_MANIFESTS: '/git/current' }, (c) => c.manifests.dir, '/git/current'],
    ['RECONCILER_STATE_DIR', { RECONCILER_STATE_DIR: 'state' }, (c) => c.stateDir, '/work/app/state'],
    ['RECONCILER_PRUNE', { RECONCILER_PRUNE: 'true' }, (c) => c.reconcile.prune, true],
    ['RECONCILER_QPS', { RECONCILER_QPS: '7' }, (c) => c.api.qps, 7],
    ['RECONCILER_LISTEN', { RECONCILER_LISTEN: '0.0.0.0:8081' }, (c) => c.http.host, '0.0.0.0'],
    ['RECONCILER_LOG_LEVEL', { RECONCILER_LOG_LEVEL: 'warn' }, (c) => c.log.level, 'warn'],
    ['RECONCILER_INSECURE_SKIP_TLS_VERIFY', { RECONCILER_INSECURE_SKIP_TLS_VERIFY: '1' }, (c) => c.api.insecureSkipTlsVerify, true],
    ['an empty variable counts as unset', { RECONCILER_QPS: '' }, (c) => c.api.qps, 20],
  ])('%s', (_rule, env, pick, expected) => {
    expect(pick(load({ env }))).toEqual(expected);
  });

  it('ignores variables of options the command does not use', () => {
    const config = load({ command: 'plan', env: { RECONCILER_LISTEN: 'nonsense', RECONCILER_TIMEOUT: 'x' } });
    expect(config.http.port).toBe(8081);
  });
});

describe('loadConfig precedence and config file', () => {
  const file = '/etc/reconciler/config.yaml';
  const yaml = ['qps: 3', 'concurrency: 2', 'manifests: m', 'prune: true', 'listen: "0.0.0.0:1"', 'output: json'].join('\n');
  const readFile = files({ [file]: yaml });

  test.each<[string, string[], Record<string, string>, number]>([
    ['the default applies when nothing sets it', [], {}, 20],
    ['the config file beats the default', ['--config', file], {}, 3],
    ['env beats the config file', ['--config', file], { RECONCILER_QPS: '5' }, 5],
    ['a flag beats env', ['--config', file, '--qps', '9'], { RECONCILER_QPS: '5' }, 9],
  ])('%s', (_rule, argv, env, qps) => {
    expect(load({ argv, env, readFile }).api.qps).toBe(qps);
  });

  it('reads every value type from a YAML file and resolves paths against its folder', () => {
    const config = load({ env: { RECONCILER_CONFIG: file }, readFile });
    expect([config.api.concurrency, config.manifests.dir, config.reconcile.prune, config.http.port]).toEqual([2, '/etc/reconciler/m', true, 1]);
  });

  it('ignores keys the command does not use, so one file serves every command', () => {
    expect(load({ command: 'apply', argv: ['--config', file], readFile }).output).toBe('text');
  });

  it('reads JSON too', () => {
    const json = files({ '/c.json': '{"logLevel": "error", "maxDelete": 4}' });
    const config = load({ argv: ['--config', '/c.json'], readFile: json });
    expect([config.log.level, config.reconcile.maxDelete]).toEqual(['error', 4]);
  });

  it('treats an empty file as no options', () => {
    expect(load({ argv: ['--config', '/empty.yaml'], readFile: files({ '/empty.yaml': '' }) }).api.qps).toBe(20);
  });
});

describe('loadConfig secrets from files', () => {
  test.each([
    ['trims one trailing newline', 'sekrit\n', 'sekrit'],
    ['trims a CRLF line ending', 'sekrit\r\n', 'sekrit'],
    ['keeps a file without newline as is', 'sekrit', 'sekrit'],
  ])('--secret-key-file %s', (_rule, contents, expected) => {
    const config = load({ argv: ['--access-key', 'AK', '--secret-key-file', '/run/secrets/sk'], readFile: files({ '/run/secrets/sk': contents }) });
    expect(config.api.secretKey).toBe(expected);
  });

  it('reads RANCHER_SECRET_KEY_FILE and --reconcile-token-file', () => {
    const readFile = files({ '/s/sk': 'SK\n', '/s/token': 'TOKEN\n' });
    const config = load({ argv: ['--reconcile-token-file', '/s/token'], env: { RANCHER_ACCESS_KEY: 'AK', RANCHER_SECRET_KEY_FILE: '/s/sk' }, readFile });
    expect([config.api.secretKey, config.http.reconcileToken]).toEqual(['SK', 'TOKEN']);
  });

  it('lets a flag override a secret from the environment, inline or file, as for any option', () => {
    const readFile = files({ '/s/sk': 'FROM-FILE\n' });
    const fromFlagFile = load({ argv: ['--secret-key-file', '/s/sk'], env: { RANCHER_ACCESS_KEY: 'AK', RANCHER_SECRET_KEY: 'FROM-ENV' }, readFile });
    expect(fromFlagFile.api.secretKey).toBe('FROM-FILE');
    const fromFlag = load({ argv: ['--secret-key', 'FROM-FLAG'], env: { RANCHER_ACCESS_KEY: 'AK', RANCHER_SECRET_KEY_FILE: '/s/sk' }, readFile });
    expect(fromFlag.api.secretKey).toBe('FROM-FLAG');
  });
});

describe('describeConfig', () => {
  it('never contains a secret', () => {
    const config = load({
      argv: ['--url', 'https://rancher.example/v1', '--access-key', 'ACCESS-1234', '--secret-key', 'SECRET-5678', '--reconcile-token', 'TOKEN-9'],
    });
    const line = JSON.stringify(describeConfig(config));
    for (const secret of ['ACCESS-1234', 'SECRET-5678', 'TOKEN-9']) expect(line).not.toContain(secret);
    expect(describeConfig(config)).toMatchObject({ url: 'https://rancher.example/v1', credentials: true, reconcileTokenSet: true, listen: '127.0.0.1:8081' });
  });

  it('says when the embedded emulator is used', () => {
    expect(describeConfig(load({ command: 'plan' }))).toMatchObject({ url: null, emulator: true, output: 'text' });
  });
});

it('throws a ConfigError (not a plain Error) on problems', () => {
  expect(() => load({ argv: ['--qps', 'x'] })).toThrow(ConfigError);
});

describe('loadConfig with the real file system', () => {
  it('reads a config file and a secret file from disk by default', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reconciler-config-'));
    try {
      await writeFile(join(dir, 'secret-key'), 'from-disk\n', { mode: 0o600 });
      await writeFile(join(dir, 'config.yaml'), 'accessKey: AK\nsecretKeyFile: secret-key\nqps: 4\n');
      const config = loadConfig({ command: 'apply', argv: ['--config', join(dir, 'config.yaml')], env: {}, cwd });
      expect([config.api.accessKey, config.api.secretKey, config.api.qps]).toEqual(['AK', 'from-disk', 4]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
