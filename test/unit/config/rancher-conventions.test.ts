/**
 * Rancher's own conventions in the configuration: the URL forms (root, /v1, /v2-beta), `--environment`,
 * and the CATTLE_* variables Rancher injects into a service-account container, with their precedence:
 * flag > RANCHER_* > config file > CATTLE_* (as one set) > default.
 */
import { describe, expect, test } from '@jest/globals';
import { describeConfig, loadConfig, type Config, type LoadConfigInput } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const cwd = '/work/app';
const files: Record<string, string> = {
  '/s/sk': 'FILE-SECRET\n',
  '/c/url.yaml': 'url: https://from-file.example/v1\n',
  '/c/keys.yaml': 'accessKey: FILE-AK\nsecretKey: FILE-SK\n',
  '/c/level.yaml': 'logLevel: debug\n',
};
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
};

function load(overrides: Partial<LoadConfigInput>): Config {
  return loadConfig({ command: 'run', argv: [], env: {}, cwd, readFile, ...overrides });
}

function issuesOf(overrides: Partial<LoadConfigInput>): readonly string[] {
  try {
    load(overrides);
    return [];
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
}

/** What Rancher injects into a container of a service labelled for a service account. */
const injected = { CATTLE_URL: 'http://rancher.internal:8080/v1', CATTLE_ACCESS_KEY: 'CATTLE-AK', CATTLE_SECRET_KEY: 'CATTLE-SK' };

describe('the Rancher URL forms', () => {
  test.each<[string, string, string, string | undefined]>([
    ['the server root gets /v1', 'http://rancher:8080', 'http://rancher:8080/v1', 'http://rancher:8080'],
    ['the server root with a slash', 'http://rancher:8080/', 'http://rancher:8080/v1', 'http://rancher:8080'],
    ['/v1 stays', 'http://rancher:8080/v1/', 'http://rancher:8080/v1', undefined],
    ['/v1/projects/<id> stays', 'http://rancher:8080/v1/projects/1a5', 'http://rancher:8080/v1/projects/1a5', undefined],
    ['/v2-beta/projects/<id> becomes /v1/projects/<id>', 'http://rancher:8080/v2-beta/projects/1a5/', 'http://rancher:8080/v1/projects/1a5', 'http://rancher:8080/v2-beta/projects/1a5'],
    ['a proxy path prefix stays', 'https://ops.example/rancher/v1', 'https://ops.example/rancher/v1', undefined],
  ])('%s', (_rule, given, url, mappedFrom) => {
    const config = load({ argv: ['--url', given] });
    expect(config.api.url).toBe(url);
    expect(config.api.urlMappedFrom).toBe(mappedFrom);
  });

  test('names Rancher 2.x when given a /v3 URL', () => {
    expect(issuesOf({ env: { RANCHER_URL: 'https://rancher.example/v3' } })).toEqual([
      'RANCHER_URL: `https://rancher.example/v3` is the Rancher 2.x API (/v3); rancher-reconciler talks to Rancher 1.x (/v1)',
    ]);
  });
});

describe('--environment', () => {
  test.each<[string, Partial<LoadConfigInput>, string | undefined]>([
    ['a name from the flag', { argv: ['--url', 'http://r:8080', '--environment', 'staging'] }, 'staging'],
    ['an id from RANCHER_ENVIRONMENT', { env: { RANCHER_URL: 'http://r:8080/v1', RANCHER_ENVIRONMENT: '1a7' } }, '1a7'],
    ['a name with spaces', { argv: ['--url', 'http://r:8080/v1', '--environment', 'My Env'] }, 'My Env'],
    ['from a config file key', { argv: ['--url', 'http://r:8080/v1'], env: { RECONCILER_CONFIG: '/c/env.yaml' }, readFile: (p) => (p === '/c/env.yaml' ? 'environment: prod\n' : readFile(p)) }, 'prod'],
    ['with the embedded emulator (no URL)', { argv: ['--environment', 'Default'] }, 'Default'],
    ['unset', { argv: ['--url', 'http://r:8080/v1'] }, undefined],
  ])('is read: %s', (_rule, input, expected) => {
    const config = load(input);
    expect(config.api.environment).toBe(expected);
    expect(describeConfig(config)).toMatchObject({ environment: expected ?? null });
  });

  test.each<[string, Partial<LoadConfigInput>, string]>([
    ['a /v1/projects URL', { argv: ['--url', 'http://r:8080/v1/projects/1a5', '--environment', 'staging'] },
      '--environment and --url both name a project (`staging` and `1a5` in `http://r:8080/v1/projects/1a5`): give it in one of them'],
    ['a /v2-beta/projects URL from the environment', { env: { RANCHER_URL: 'http://r:8080/v2-beta/projects/1a9', RANCHER_ENVIRONMENT: '1a7' } },
      'RANCHER_ENVIRONMENT and RANCHER_URL both name a project (`1a7` and `1a9` in `http://r:8080/v1/projects/1a9`): give it in one of them'],
  ])('is refused together with %s', (_rule, input, issue) => {
    expect(issuesOf(input)).toEqual([issue]);
  });

  test('an empty value is an error, not the default', () => {
    expect(issuesOf({ argv: ['--environment='] })).toEqual(['--environment: expected a value, got an empty string']);
  });
});

describe('CATTLE_* (what Rancher injects for io.rancher.container.agent.role: environment)', () => {
  test('stand in for the URL and the keys when nothing else sets them, the URL mapped like any other', () => {
    const config = load({ env: { ...injected, CATTLE_URL: 'http://rancher.internal:8080/v2-beta' } });
    expect(config.api).toMatchObject({ url: 'http://rancher.internal:8080/v1', accessKey: 'CATTLE-AK', secretKey: 'CATTLE-SK', urlMappedFrom: 'http://rancher.internal:8080/v2-beta' });
  });

  test.each<[string, Partial<LoadConfigInput>, { url: string | undefined; accessKey: string | undefined; secretKey: string | undefined }]>([
    ['a flag beats RANCHER_* and CATTLE_*', { argv: ['--url', 'https://flag.example/v1', '--access-key', 'FLAG-AK', '--secret-key', 'FLAG-SK'], env: { ...injected, RANCHER_URL: 'https://env.example/v1' } },
      { url: 'https://flag.example/v1', accessKey: 'FLAG-AK', secretKey: 'FLAG-SK' }],
    ['RANCHER_* beat CATTLE_*', { env: { ...injected, RANCHER_URL: 'https://env.example/v1', RANCHER_ACCESS_KEY: 'ENV-AK', RANCHER_SECRET_KEY: 'ENV-SK' } },
      { url: 'https://env.example/v1', accessKey: 'ENV-AK', secretKey: 'ENV-SK' }],
    ['a config file beats CATTLE_*: they are ambient, the file is written on purpose', { env: { ...injected, RECONCILER_CONFIG: '/c/url.yaml' } },
      { url: 'https://from-file.example/v1', accessKey: undefined, secretKey: undefined }],
    ['CATTLE_* are a set: RANCHER_URL alone turns the CATTLE keys off (never sent to another URL)', { env: { ...injected, RANCHER_URL: 'https://other.example/v1' } },
      { url: 'https://other.example/v1', accessKey: undefined, secretKey: undefined }],
    ['CATTLE_* are a set: keys from the config file turn CATTLE_URL off too', { env: { ...injected, RECONCILER_CONFIG: '/c/keys.yaml' } },
      { url: undefined, accessKey: 'FILE-AK', secretKey: 'FILE-SK' }],
    ['CATTLE_* are a set: a secret key file flag turns them off', { argv: ['--access-key', 'FLAG-AK', '--secret-key-file', '/s/sk'], env: injected },
      { url: undefined, accessKey: 'FLAG-AK', secretKey: 'FILE-SECRET' }],
    ['a config file without URL or keys leaves CATTLE_* in charge', { env: { ...injected, RECONCILER_CONFIG: '/c/level.yaml' } },
      { url: 'http://rancher.internal:8080/v1', accessKey: 'CATTLE-AK', secretKey: 'CATTLE-SK' }],
    ['without CATTLE_URL the CATTLE keys are ignored (the embedded emulator runs)', { env: { CATTLE_ACCESS_KEY: 'CATTLE-AK', CATTLE_SECRET_KEY: 'CATTLE-SK' } },
      { url: undefined, accessKey: undefined, secretKey: undefined }],
    ['an empty CATTLE_URL counts as unset', { env: { ...injected, CATTLE_URL: '' } },
      { url: undefined, accessKey: undefined, secretKey: undefined }],
    ['CATTLE_URL without keys (access control off)', { env: { CATTLE_URL: 'http://rancher.internal:8080' } },
      { url: 'http://rancher.internal:8080/v1', accessKey: undefined, secretKey: undefined }],
  ])('precedence: %s', (_rule, input, expected) => {
    const { url, accessKey, secretKey } = load(input).api;
    expect({ url, accessKey, secretKey }).toEqual(expected);
  });

  test('problems name the CATTLE_* variable they came from, never its secret', () => {
    expect(issuesOf({ env: { CATTLE_URL: 'rancher.internal:8080', CATTLE_ACCESS_KEY: 'CATTLE-AK', CATTLE_SECRET_KEY: 'CATTLE-SK' } })).toEqual([
      'CATTLE_URL: expected `http(s)://host[:port]` (the server), or an API URL ending in /v1, /v1/projects/<id> or /v2-beta/projects/<id>, got `rancher.internal:8080`',
    ]);
    const issues = issuesOf({ env: { CATTLE_URL: 'http://rancher.internal:8080', CATTLE_ACCESS_KEY: 'CATTLE-AK' } });
    expect(issues).toEqual(['CATTLE_ACCESS_KEY: needs a secret key too (--secret-key or --secret-key-file)']);
  });

  test('--environment works with the CATTLE_URL of an environment key', () => {
    const config = load({ env: { ...injected, RANCHER_ENVIRONMENT: 'Default' } });
    expect(config.api).toMatchObject({ url: 'http://rancher.internal:8080/v1', environment: 'Default', accessKey: 'CATTLE-AK' });
  });

  test('CATTLE_* are not unknown RECONCILER_* variables and apply to every command', () => {
    for (const command of ['run', 'apply', 'plan'] as const) {
      expect(load({ command, env: injected }).api.url).toBe('http://rancher.internal:8080/v1');
    }
  });
});
