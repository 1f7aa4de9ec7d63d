/**
 * The config file's `notifications` section through loadConfig: the entries as `run` gets them, and
 * every problem reported together, located, without a secret in any message.
 */
import { describe, expect, it } from '@jest/globals';
import { describeConfig, loadConfig } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const slackUrl = 'https://hooks.slack.com/services/T000/B000/XXXXSLACKTOKEN';
const secretFiles: Record<string, string> = {
  '/etc/rr/slack-url': `${slackUrl}\n`,
  '/etc/rr/hook-url': 'https://ci.example.com/hooks/rancher?token=HOOKTOKEN\n',
  '/etc/rr/hook-secret': 'hmac-key\n',
  '/etc/rr/empty': '',
  '/etc/rr/not-a-url': 'hooks.slack.com/NOTURLTOKEN\n',
};

function readFile(files: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

function load(yaml: string, command: 'run' | 'plan' = 'run') {
  return loadConfig({ command, argv: ['--config', '/etc/rr/config.yaml'], env: {}, cwd: '/work', readFile: readFile({ ...secretFiles, '/etc/rr/config.yaml': yaml }) });
}

function issuesOf(yaml: string): readonly string[] {
  try {
    load(yaml);
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const example = `
notifications:
  - name: ci
    kind: webhook
    urlFile: hook-url
    secretFile: /etc/rr/hook-secret
    minSeverity: error
  - name: slack-ops
    kind: slack
    urlFile: /etc/rr/slack-url
    kinds: [action-failed, instance-blocked]
    instances: ['web-*', '!web-canary']
    dedupeWindow: 10m
  - name: am
    kind: alertmanager
    url: http://alertmanager:9093/
`;

describe('notifications in the config file', () => {
  it('gives run every entry with its secrets read from files, relative paths from the config file folder, and the defaults', () => {
    expect(load(example).notifications).toEqual([
      { name: 'ci', kind: 'webhook', url: 'https://ci.example.com/hooks/rancher?token=HOOKTOKEN', secret: 'hmac-key', minSeverity: 'error', dedupeWindowMs: 300_000 },
      { name: 'slack-ops', kind: 'slack', url: slackUrl, minSeverity: 'warning', kinds: ['action-failed', 'instance-blocked'], instances: ['web-*', '!web-canary'], dedupeWindowMs: 600_000 },
      { name: 'am', kind: 'alertmanager', url: 'http://alertmanager:9093', minSeverity: 'warning', dedupeWindowMs: 300_000 },
    ]);
  });

  it('is [] without the section, and ignored (not read, not checked) by commands other than run', () => {
    expect(load('resync: 30').notifications).toEqual([]);
    expect(load('notifications: [{ kind: nonsense }]', 'plan').notifications).toEqual([]);
  });

  it('names providers and kinds in the startup line, never a URL', () => {
    const line = JSON.stringify(describeConfig(load(example)));
    expect(describeConfig(load(example))['notifications']).toBe('ci (webhook), slack-ops (slack), am (alertmanager)');
    expect(line).not.toContain('TOKEN');
    expect(line).not.toContain('hmac-key');
  });

  it('reports every problem at once, located by entry and key', () => {
    const issues = issuesOf(`
notifications:
  - name: a
    kind: x
    urlFile: /etc/rr/hook-url
  - name: b
    kind: slack
    url: ${slackUrl}
  - kind: webhook
    urlFile: /etc/rr/hook-url
    minSeverity: loud
    kinds: [action-failed, exploded]
    instances: []
    dedupeWindow: soon
    colour: red
  - name: am
    kind: alertmanager
    url: ftp://alertmanager
    minSeverity: info
  - name: a
    kind: slack
    urlFile: /etc/rr/missing
    secretFile: /etc/rr/hook-secret
`);
    const p = 'config file /etc/rr/config.yaml: notifications';
    expect(issues).toEqual(expect.arrayContaining([
      `${p}[0].kind: expected one of webhook, slack, alertmanager, got "x"`,
      `${p}[1].url: a slack URL may carry a token, so it is read from a file: give urlFile instead`,
      `${p}[2].name: is required (it names the provider in metrics and logs)`,
      `${p}[2].minSeverity: expected one of info, warning, error, got "loud"`,
      `${p}[2].kinds: expected a list of event kinds from ${'revision-seen'}, revision-applied, revision-converged, action-succeeded, action-failed, drift-detected, drift-healed, instance-blocked, instance-failed, removals-refused, twin-removed, source-not-ready, source-ready, credentials-rejected, leader-elected, leader-lost, got "exploded"`,
      `${p}[2].instances: expected a list of instance name patterns (gitignore-style globs such as \`web-*\`), got an empty list`,
      `${p}[2].dedupeWindow: expected a duration > 0 such as \`30\`, \`10s\`, \`1m\` or \`500ms\` (a bare number is seconds), got \`soon\``,
      `${p}[2]: unknown key \`colour\` (expected name, kind, url, urlFile, secretFile, minSeverity, kinds, instances, dedupeWindow)`,
      `${p}[3].url: expected an http(s) URL such as \`http://alertmanager:9093\`, got \`ftp://alertmanager\``,
      `${p}[3].minSeverity: alertmanager takes warning or error (an alert is a problem), got \`info\``,
      `${p}[4].urlFile: cannot read \`/etc/rr/missing\` (ENOENT)`,
      `${p}[4].secretFile: only a webhook signs its body (X-Signature); slack takes none`,
    ]));
    expect(issues.join('\n')).not.toContain('XXXXSLACKTOKEN');
  });

  it.each([
    ['not a list', 'notifications: { name: a }', 'notifications: expected a list of notification providers, got a mapping'],
    ['an entry that is no mapping', 'notifications: [webhook]', 'notifications[0]: expected a mapping with name, kind and urlFile (or url), got `webhook`'],
    ['a URL file with no URL, the value not shown', 'notifications: [{ name: a, kind: slack, urlFile: /etc/rr/not-a-url }]', 'notifications[0].urlFile: expected the file to hold an http(s) URL, got a value that is not shown'],
    ['an empty secret file', 'notifications: [{ name: a, kind: webhook, urlFile: /etc/rr/hook-url, secretFile: /etc/rr/empty }]', 'notifications[0].secretFile: file `/etc/rr/empty` is empty'],
    ['no URL at all', 'notifications: [{ name: a, kind: webhook }]', 'notifications[0]: needs urlFile, the URL to POST to'],
    ['both url and urlFile', 'notifications: [{ name: a, kind: alertmanager, url: "http://am:9093", urlFile: /etc/rr/hook-url }]', 'notifications[0]: url and urlFile cannot both be set'],
    ['a name unfit for a metric label', 'notifications: [{ name: "ops team", kind: webhook, urlFile: /etc/rr/hook-url }]', 'notifications[0].name: expected letters, digits, `.`, `_` or `-` (at most 63), got `ops team`'],
    ['two entries with one name', 'notifications: [{ name: a, kind: webhook, urlFile: /etc/rr/hook-url }, { name: a, kind: webhook, urlFile: /etc/rr/hook-url }]', 'notifications[1].name: `a` is the name of an earlier entry too; names must be unique'],
  ])('reports %s', (_rule, yaml, issue) => {
    const issues = issuesOf(yaml);
    expect(issues).toContain(`config file /etc/rr/config.yaml: ${issue}`);
    expect(issues.join('\n')).not.toMatch(/TOKEN/);
  });
});
