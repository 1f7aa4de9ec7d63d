/**
 * The git source's slice of the configuration (`--git-*`) and the webhook secrets, with every bad
 * combination reported as one issue line naming the options involved. Credentials come from files only;
 * their values never appear in a message.
 */
import { redactUrl } from '../errors.js';
import type { WebhookSecrets } from '../http/webhooks/receiver.js';
import type { WebhookProvider } from '../observability/source-metrics.js';
import type { RawValue } from './raw-values.js';
import { tryRead, type Values } from './secrets.js';

/** How git authenticates; structurally the git plumbing's GitAuth (source/git/git-auth.ts). */
export type GitAuthConfig =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'ssh'; keyFile: string; knownHostsFile: string | undefined; acceptNewHostKeys: boolean };

/**
 * `--git-url` and friends. `ref` undefined = the remote's default branch; `path` '' = the repository root.
 * `overlays`: folders inside the repository read after `path`, each overriding same-key documents of the
 * ones before (an environment's `manifests: [base, prod]`: manifest/layers.ts); [] = `path` alone.
 */
export type GitConfig = {
  url: string;
  ref: string | undefined;
  path: string;
  overlays: string[];
  intervalMs: number;
  timeoutMs: number;
  auth: GitAuthConfig;
};

/** Webhook secrets by provider (the receivers' own type); a provider without one is off. */
export type { WebhookSecrets } from '../http/webhooks/receiver.js';

const gitOnly = ['git-ref', 'git-path', 'git-interval', 'git-timeout', 'git-username', 'git-password-file', 'git-bearer-token-file', 'git-ssh-key-file', 'git-known-hosts-file', 'git-ssh-accept-new'];
const webhookOptions: readonly (readonly [WebhookProvider, string])[] = [
  ['github', 'webhook-github-secret-file'],
  ['gitlab', 'webhook-gitlab-secret-file'],
  ['gitea', 'webhook-gitea-secret-file'],
  ['generic', 'webhook-generic-secret-file'],
];

type Inputs = Readonly<{ values: Values; raws: ReadonlyMap<string, RawValue>; readFile: (path: string) => string; issues: string[] }>;

const isSshUrl = (url: string): boolean => url.startsWith('ssh://') || /^[^/:]+@[^/:]+:/.test(url);

/** The git slice, or undefined when `--git-url` is not set (then every other git option is an error). */
export function gitConfigFrom(inputs: Inputs): GitConfig | undefined {
  const { values, raws, issues } = inputs;
  const url = values.get('git-url') as string | undefined;
  const label = (name: string): string => raws.get(name)?.label ?? `--${name}`;
  if (url === undefined) {
    for (const name of [...gitOnly, ...webhookOptions.map(([, option]) => option)]) {
      if (raws.has(name)) issues.push(`${label(name)}: needs --git-url (the git source)`);
    }
    return undefined;
  }
  const manifests = raws.get('manifests');
  if (manifests !== undefined) issues.push(`${manifests.label} and ${label('git-url')} cannot both be set: the manifests come from the repository (use --git-path for a folder inside it)`);
  const ref = values.get('git-ref') as string | undefined;
  if (ref !== undefined && /^[0-9a-f]{7,39}$/i.test(ref)) issues.push(`${label('git-ref')}: an abbreviated commit is ambiguous, give all 40 hex digits (got \`${ref}\`)`);
  // git check-ref-format's rules, roughly: a ref must never be read as an option or a refspec
  else if (ref !== undefined && (/^-|[\s:~^?*[\\]|\.\.|@\{|\.lock$|\/$/.test(ref))) issues.push(`${label('git-ref')}: expected a branch, tag or full 40-hex commit such as \`main\` or \`v1.2\`, got \`${ref}\``);
  return {
    url,
    ref,
    path: (values.get('git-path') as string | undefined) ?? '',
    overlays: [],
    intervalMs: Math.round(((values.get('git-interval') as number | undefined) ?? 60) * 1000),
    timeoutMs: Math.round(((values.get('git-timeout') as number | undefined) ?? 60) * 1000),
    auth: gitAuthFrom(inputs, url, label),
  };
}

function gitAuthFrom(inputs: Inputs, url: string, label: (name: string) => string): GitAuthConfig {
  const { values, raws, readFile, issues } = inputs;
  const has = (name: string): boolean => raws.has(name);
  const https = /^https?:\/\//i.test(url);
  if (isSshUrl(url)) {
    for (const name of ['git-username', 'git-password-file', 'git-bearer-token-file']) if (has(name)) issues.push(`${label(name)}: is for https URLs; ${redactUrl(url)} is ssh (use --git-ssh-key-file)`);
    const keyFile = values.get('git-ssh-key-file') as string | undefined;
    const knownHostsFile = values.get('git-known-hosts-file') as string | undefined;
    const acceptNewHostKeys = (values.get('git-ssh-accept-new') as boolean | undefined) ?? false;
    if (keyFile === undefined) issues.push(`${label('git-url')}: an ssh URL needs --git-ssh-key-file`);
    else tryRead(readFile, keyFile, label('git-ssh-key-file'), issues);
    if (knownHostsFile === undefined && !acceptNewHostKeys) issues.push(`${label('git-url')}: an ssh URL needs --git-known-hosts-file (host keys are checked strictly; e.g. \`ssh-keyscan host > known_hosts\`, then verify it) or --git-ssh-accept-new`);
    // accept-new with no file given: the host key seen first is kept in <state dir>/git/known_hosts (create-git-source.ts)
    if (knownHostsFile !== undefined) tryRead(readFile, knownHostsFile, label('git-known-hosts-file'), issues);
    return { kind: 'ssh', keyFile: keyFile ?? '', knownHostsFile, acceptNewHostKeys };
  }
  for (const name of ['git-ssh-key-file', 'git-known-hosts-file', 'git-ssh-accept-new']) if (has(name)) issues.push(`${label(name)}: is for ssh URLs; ${redactUrl(url)} is not one`);
  const basic = has('git-username') || has('git-password-file');
  const bearer = has('git-bearer-token-file');
  if ((basic || bearer) && !https) issues.push(`${label('git-url')}: credentials are sent over http(s) only; ${redactUrl(url)} is not an http(s) URL`);
  if (basic && bearer) issues.push(`${label('git-bearer-token-file')} and --git-username/--git-password-file cannot both be set`);
  if (bearer) {
    const token = secretFile(inputs, 'git-bearer-token-file');
    return token === undefined ? { kind: 'none' } : { kind: 'bearer', token };
  }
  if (!basic) return { kind: 'none' };
  const username = values.get('git-username') as string | undefined;
  if (username === undefined) issues.push(`${label('git-password-file')}: needs --git-username too (any non-empty name works for most token logins, e.g. \`git\`)`);
  if (!has('git-password-file')) issues.push(`${label('git-username')}: needs --git-password-file too`);
  const password = secretFile(inputs, 'git-password-file');
  return username !== undefined && password !== undefined ? { kind: 'basic', username, password } : { kind: 'none' };
}

/** The webhook secrets (run only), each read from its file. */
export function webhookSecretsFrom(inputs: Inputs): WebhookSecrets {
  const secrets: Partial<Record<WebhookProvider, string>> = {};
  for (const [provider, option] of webhookOptions) {
    const secret = secretFile(inputs, option);
    if (secret !== undefined) secrets[provider] = secret;
  }
  return secrets;
}

/** The secret in the file `option` names (trailing newline trimmed); unreadable or empty is an issue. */
function secretFile(inputs: Inputs, option: string): string | undefined {
  const path = inputs.values.get(option) as string | undefined;
  if (path === undefined) return undefined;
  const label = inputs.raws.get(option)?.label ?? `--${option}`;
  const secret = tryRead(inputs.readFile, path, label, inputs.issues)?.replace(/\r?\n$/, '');
  if (secret === '') inputs.issues.push(`${label}: file \`${path}\` is empty`);
  return secret === '' ? undefined : secret;
}
