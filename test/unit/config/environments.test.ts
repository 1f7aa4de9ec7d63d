/**
 * The config file's `environments` section (config/environments.ts): each entry becomes an isolated
 * environment with its own Rancher target, keys, manifest layers, state folder and limits, the
 * top-level options as defaults; every problem is listed at once, located as `file:line:col: path`.
 */
import { describe, expect, it, test } from '@jest/globals';
import { loadConfig, type Config } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const cwd = '/work/app';
const file = '/work/app/reconciler.yaml';

function load(yaml: string, argv: string[] = [], env: Record<string, string> = {}, extraFiles: Record<string, string> = {}): Config {
  const contents: Record<string, string> = { [file]: yaml, ...extraFiles };
  return loadConfig({
    command: 'run', argv: ['--config', file, ...argv], env, cwd,
    readFile: (path) => {
      const text = contents[path];
      if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return text;
    },
  });
}

function problems(yaml: string, argv: string[] = [], env: Record<string, string> = {}): string[] {
  try {
    load(yaml, argv, env);
  } catch (e: unknown) {
    if (e instanceof ConfigError) return [...e.issues];
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const three = `
qps: 5
prune: true
environments:
  - name: dev
    manifests: [base, dev]
  - name: staging
    url: https://rancher-staging.example/v1/projects/1a7
    accessKeyFile: keys/staging-access
    secretKeyFile: keys/staging-secret
    manifests: staging
    qps: 50
    maxDelete: 3
  - name: prod
    url: https://rancher.example
    environment: Production
    accessKeyEnv: PROD_ACCESS
    secretKeyEnv: PROD_SECRET
    manifests: [base, prod]
    prune: false
    maxUnavailable: 25%
    resync: 120
`;

describe('the environments section', () => {
  const config = load(three, ['--state-dir', '/var/lib/rr'], { PROD_ACCESS: 'AKP', PROD_SECRET: 'SKP' }, {
    '/work/app/keys/staging-access': 'AKS\n', '/work/app/keys/staging-secret': 'SKS\n',
  });
  const byName = (name: string) => config.environments.find((environment) => environment.name === name);

  it('lists each environment in file order, each with its own state folder', () => {
    expect(config.environments.map((environment) => [environment.name, environment.stateDir])).toEqual([
      ['dev', '/var/lib/rr/environments/dev'], ['staging', '/var/lib/rr/environments/staging'], ['prod', '/var/lib/rr/environments/prod'],
    ]);
  });

  test.each<[string, (c: Config) => unknown, unknown]>([
    ['an entry without url gets its own embedded emulator', () => byName('dev')?.api.url, undefined],
    ['manifests: a list is the base and its overlays, relative to the file', () => [byName('dev')?.manifests.dir, byName('dev')?.manifests.overlays], ['/work/app/base', ['/work/app/dev']]],
    ['manifests: one folder has no overlay', () => [byName('staging')?.manifests.dir, byName('staging')?.manifests.overlays], ['/work/app/staging', []]],
    ['keys from files, trailing newline trimmed', () => [byName('staging')?.api.accessKey, byName('staging')?.api.secretKey], ['AKS', 'SKS']],
    ['keys from named environment variables', () => [byName('prod')?.api.accessKey, byName('prod')?.api.secretKey], ['AKP', 'SKP']],
    ['a server URL is mapped to v1, the environment looked up by name', () => [byName('prod')?.api.url, byName('prod')?.api.environment], ['https://rancher.example/v1', 'Production']],
    ['top-level options are the defaults', () => [byName('dev')?.api.qps, byName('dev')?.reconcile.prune], [5, true]],
    ['an entry overrides them', () => [byName('staging')?.api.qps, byName('staging')?.reconcile.maxDelete, byName('prod')?.reconcile.prune], [50, 3, false]],
    ['maxUnavailable and resync per entry', () => [byName('prod')?.reconcile.maxUnavailable, byName('prod')?.reconcile.resyncMs], [{ kind: 'percent', percent: 25 }, 120_000]],
  ])('%s', (_rule, read, expected) => {
    expect(read(config)).toEqual(expected);
  });

  it('without the section, the flags define one environment named default in the state dir itself', () => {
    const single = loadConfig({ command: 'run', argv: ['--state-dir', '/s', '--url', 'http://r:8080/v1'], env: {}, cwd });
    expect(single.environments.map((environment) => [environment.name, environment.stateDir, environment.api.url])).toEqual([['default', '/s', 'http://r:8080/v1']]);
  });

  it('--env selects configured environments and refuses an unknown one', () => {
    expect(load(three, ['--env', 'dev,prod'], { PROD_ACCESS: 'a', PROD_SECRET: 's' }, { '/work/app/keys/staging-access': 'a', '/work/app/keys/staging-secret': 's' }).selectedEnvironments).toEqual(['dev', 'prod']);
  });
});

describe('problems of the environments section, all at once and located', () => {
  test.each<[string, string, string[], Record<string, string>, string[]]>([
    ['a missing name and manifests, an unknown key', 'environments:\n  - url: http://r:8080\n    colour: blue\n', [], {}, [
      `config file ${file}:3:13: environments[0].colour: unknown key \`colour\` (expected name, url, environment, accessKey, accessKeyFile, accessKeyEnv, secretKey, secretKeyFile, secretKeyEnv, caFile, insecureSkipTlsVerify, manifests, qps, concurrency, requestTimeout, prune, maxDelete, maxUnavailable, resync)`,
      `config file ${file}:2:5: environments[0].name: is required (it names the environment in /status, metrics, logs and its state folder)`,
      `config file ${file}:2:5: environments[0].manifests: is required: the folder (or list of folders, later ones overlaying earlier ones) of this environment's manifests`,
    ]],
    ['a bad name, a bad qps, two names alike', 'environments:\n  - name: Prod_1\n    manifests: a\n  - name: dev\n    manifests: b\n    qps: -1\n  - name: dev\n    manifests: c\n', [], {}, [
      `config file ${file}:2:11: environments[0].name: expected lower-case letters, digits and \`-\` (at most 63, starting and ending with a letter or digit), got \`Prod_1\``,
      `config file ${file}:6:10: environments[1].qps: expected a positive number, got \`-1\``,
      `config file ${file}:7:11: environments[2].name: \`dev\` is the name of an earlier environment too; names must be unique`,
    ]],
    ['an inline key without allowInlineSecrets, an unset variable', 'environments:\n  - name: dev\n    manifests: a\n    accessKey: AK\n    secretKeyEnv: NOPE\n', [], {}, [
      `config file ${file}:4:16: environments[0].accessKey: keys are not taken inline from a config file (it is often committed); use accessKeyFile or accessKeyEnv, or set \`allowInlineSecrets: true\` in the file`,
      `config file ${file}:5:19: environments[0].secretKeyEnv: environment variable \`NOPE\` is not set`,
    ]],
    ['one key without the other', 'environments:\n  - name: dev\n    manifests: a\n    accessKeyEnv: A\n', [], { A: 'x' }, [
      `config file ${file}:2:5: environments[0]: needs both an access key and a secret key, or neither`,
    ]],
    ['--url with the section', 'environments:\n  - name: dev\n    manifests: a\n', ['--url', 'http://r:8080'], {}, [
      "--url: cannot be used with the config file's `environments` (each environment gives its own)",
    ]],
    ['not a list', 'environments: dev\n', [], {}, [`config file ${file}:1:15: environments: expected a list of environments (name, url, manifests, ...), got \`dev\``]],
  ])('%s', (_case, yaml, argv, env, expected) => {
    expect(problems(yaml, argv, env).filter((issue) => issue.includes('environments') || issue.startsWith('--url'))).toEqual(expected);
  });

  it('takes inline keys when the file allows them, and never shows a key in a message', () => {
    const allowed = load('allowInlineSecrets: true\nenvironments:\n  - name: dev\n    manifests: a\n    accessKey: AK-123\n    secretKey: SK-456\n');
    expect(allowed.environments[0]?.api.secretKey).toBe('SK-456');
    const issues = problems('environments:\n  - name: dev\n    manifests: a\n    accessKey: AK-123\n    secretKey: SK-456\n    qps: x\n');
    expect(issues.join('\n')).not.toMatch(/AK-123|SK-456/);
  });
});
