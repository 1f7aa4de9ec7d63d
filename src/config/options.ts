/**
 * The one table of command-line options of `run`, `apply` and `plan`: flag, environment variable,
 * config-file key, value kind, default and which commands accept it. Parsing (`loadConfig`, through
 * config/flag-parser.ts), help text (config/help.ts), shell completion and the README configuration
 * table are all derived from this table.
 */
import { exportableStates } from '../export/exportable-states.js';

/** The commands that take reconciler options (`validate` and `emulator` have their own, smaller sets). */
export type ConfigCommand = 'run' | 'apply' | 'plan' | 'export' | 'console';

/** Every command that takes reconciler options, in help order. */

/**
 * How a raw value is read: `boolean` flags take no value (`--prune`, or `--prune=false`); `path` values
 * are resolved against the working directory (or the config file's folder for file values); `secret`
 * values are never echoed in messages.
 */
export type OptionKind =
  | 'string'
  | 'secret'
  | 'path'
  | 'boolean'
  | 'positive-number'
  | 'positive-integer'
  | 'count-or-percent'
  | 'non-negative-integer'
  | 'enum'
  | 'url'
  | 'listen'
  | 'duration'
  | 'git-url'
  | 'repo-path';

/** One option of the table. `name` is the flag without dashes; the config-file key is its camelCase form. */
export type OptionSpec = Readonly<{
  name: string;
  kind: OptionKind;
  /** Placeholder shown in help and the README (`DIR`, `N`, `SECONDS`); absent for boolean flags. */
  valueName?: string;
  /** The environment variable that sets it: `RECONCILER_<UPPER_SNAKE>` except the `RANCHER_*` ones. */
  env: string;
  /** The default as shown to people (help, README); `loadConfig` owns the real value. */
  defaultText: string;
  description: string;
  commands: readonly ConfigCommand[];
  /** Allowed values for `enum` options. */
  choices?: readonly string[];
  /** A repeated flag adds to a comma list instead of replacing the value (`--name a --name b` = `--name a,b`). */
  repeatable?: true;
  /** One-letter alias (`m` for `-m`), for the options typed most: shown in help, the README and completion. */
  short?: string;
}>;

const all: readonly ConfigCommand[] = ['run', 'apply', 'plan'];
/**
 * The options `export` and `console` share with the others: how to reach Rancher, the state dir (the
 * embedded emulator's data file), logging.
 */
const allAndExport: readonly ConfigCommand[] = [...all, 'export', 'console'];

/** Log levels accepted by `--log-level` (pino's, plus `silent`). */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * The option table. Order is the order of help output and the README table.
 * Precedence for every option: flag > environment variable > config file > default.
 */
export const optionSpecs: readonly OptionSpec[] = [
  { name: 'manifests', short: 'm', kind: 'path', valueName: 'DIR', env: 'RECONCILER_MANIFESTS', defaultText: './manifests', commands: all,
    description: 'folder of manifest files (recursive); may be a git-sync `current` link' },
  { name: 'exclude', kind: 'string', valueName: 'GLOB', env: 'RECONCILER_EXCLUDE', defaultText: '(none)', commands: all, repeatable: true,
    description: 'leave out paths matching this gitignore-style pattern (relative to the manifests folder, applied after its `.reconcilerignore`); repeatable or a comma list' },
  // not for run: a daemon kept on a subset would leave every other instance drifting, unseen, for good
  { name: 'only', kind: 'string', valueName: 'NAME', env: 'RECONCILER_ONLY', defaultText: '(every instance)', commands: ['apply', 'plan'], repeatable: true,
    description: 'plan or apply only these instances, by manifest key or Rancher name; repeatable or a comma list; an owned instance whose manifest is gone is pruned only when named here; a name nothing declares or owns is an error. Not for run: a daemon kept on a subset leaves the rest drifting unseen' },
  { name: 'selector', kind: 'string', valueName: 'SELECTOR', env: 'RECONCILER_SELECTOR', defaultText: '(every instance)', commands: ['apply', 'plan'], repeatable: true,
    description: 'plan or apply only the instances whose manifest `spec.labels` match, as `kubectl -l`: `k=v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, terms joined by commas must all hold; repeatable (terms add up); never prunes (a removed manifest has no labels); with --only, both must hold. Not for run' },
  { name: 'git-url', kind: 'git-url', valueName: 'URL', env: 'RECONCILER_GIT_URL', defaultText: '(none: read --manifests)', commands: all,
    description: 'fetch the manifests from this git repository (https, ssh, git or file URL) instead of a folder' },
  { name: 'git-ref', kind: 'string', valueName: 'REF', env: 'RECONCILER_GIT_REF', defaultText: "(the remote's default branch)", commands: all,
    description: 'branch, tag or full 40-hex commit to follow' },
  { name: 'git-path', kind: 'repo-path', valueName: 'DIR', env: 'RECONCILER_GIT_PATH', defaultText: '(the repository root)', commands: all,
    description: 'folder inside the repository that holds the manifests' },
  { name: 'git-interval', kind: 'duration', valueName: 'DURATION', env: 'RECONCILER_GIT_INTERVAL', defaultText: '1m', commands: ['run'],
    description: 'how often `git ls-remote` looks for a new commit (±10 % jitter); webhooks look at once' },
  { name: 'git-timeout', kind: 'duration', valueName: 'DURATION', env: 'RECONCILER_GIT_TIMEOUT', defaultText: '60s', commands: all,
    description: 'longest run of one git command (its process group is killed after it)' },
  { name: 'git-username', kind: 'string', valueName: 'NAME', env: 'RECONCILER_GIT_USERNAME', defaultText: '(none)', commands: all,
    description: 'https user name; the password or token comes from --git-password-file' },
  { name: 'git-password-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_GIT_PASSWORD_FILE', defaultText: '(none)', commands: all,
    description: 'https password or personal access token (with --git-username), read from this file' },
  { name: 'git-bearer-token-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_GIT_BEARER_TOKEN_FILE', defaultText: '(none)', commands: all,
    description: 'https bearer token (`Authorization: Bearer`), read from this file' },
  { name: 'git-ssh-key-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_GIT_SSH_KEY_FILE', defaultText: '(none)', commands: all,
    description: 'ssh private key for ssh and `git@host:` URLs' },
  { name: 'git-known-hosts-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_GIT_KNOWN_HOSTS_FILE', defaultText: '(none)', commands: all,
    description: 'known_hosts with the git host\'s key; host keys are checked strictly' },
  { name: 'git-ssh-accept-new', kind: 'boolean', env: 'RECONCILER_GIT_SSH_ACCEPT_NEW', defaultText: 'false', commands: all,
    description: 'trust an unknown ssh host key on first use and remember it (in --git-known-hosts-file, which must be writable, else in <state dir>/git/known_hosts); a changed key is refused' },
  { name: 'url', short: 'u', kind: 'url', valueName: 'URL', env: 'RANCHER_URL', defaultText: '(embedded emulator)', commands: allAndExport,
    description: 'Rancher server `http(s)://host[:port]` or its API: `.../v1`, `.../v1/projects/<id>`, `.../v2-beta/projects/<id>` (mapped to v1); unset: `CATTLE_URL`, else the embedded emulator' },
  { name: 'environment', kind: 'string', valueName: 'ID_OR_NAME', env: 'RANCHER_ENVIRONMENT', defaultText: "(the URL's project, else the key's own)", commands: allAndExport,
    description: 'environment (project) id such as `1a5`, or its name, looked up once at startup; only with a URL that names no project' },
  { name: 'access-key', kind: 'secret', valueName: 'KEY', env: 'RANCHER_ACCESS_KEY', defaultText: '(none)', commands: allAndExport,
    description: 'API access key (needs a secret key too)' },
  { name: 'secret-key', kind: 'secret', valueName: 'KEY', env: 'RANCHER_SECRET_KEY', defaultText: '(none)', commands: allAndExport,
    description: 'API secret key; prefer --secret-key-file' },
  { name: 'secret-key-file', kind: 'path', valueName: 'PATH', env: 'RANCHER_SECRET_KEY_FILE', defaultText: '(none)', commands: allAndExport,
    description: 'read the secret key from this file (trailing newline trimmed), e.g. a mounted Secret' },
  { name: 'ca-file', kind: 'path', valueName: 'PATH', env: 'RANCHER_CA_FILE', defaultText: '(system CAs)', commands: allAndExport,
    description: 'PEM bundle of extra CAs trusted for the Rancher URL' },
  { name: 'insecure-skip-tls-verify', kind: 'boolean', env: 'RECONCILER_INSECURE_SKIP_TLS_VERIFY', defaultText: 'false', commands: allAndExport,
    description: 'do not verify the Rancher TLS certificate (testing only)' },
  { name: 'state-dir', kind: 'path', valueName: 'DIR', env: 'RECONCILER_STATE_DIR', defaultText: './.rancher-reconciler', commands: allAndExport,
    description: 'where the inventory of owned instances is kept' },
  { name: 'state-store', kind: 'string', valueName: 'URL', env: 'RECONCILER_STATE_STORE', defaultText: 'file', commands: all,
    description: 'where ownership records and leader leases live: `file` (the state dir), `mysql://USER@HOST:PORT/DATABASE` or `etcd://HOST:PORT[,HOST:PORT]/PREFIX` (`etcds://` for TLS), shared by replicas (docs/state-store.md); no password in the URL' },
  { name: 'state-store-password-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_STATE_STORE_PASSWORD_FILE', defaultText: '(none)', commands: all,
    description: 'the state store user\'s password, read from this file (trailing newline trimmed); `plan` may use a read-only user' },
  { name: 'state-store-ca-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_STATE_STORE_CA_FILE', defaultText: '(system CAs)', commands: all,
    description: 'PEM bundle trusted for the state store\'s TLS (mysql with TLS, `etcds://`)' },
  { name: 'replica-id', kind: 'string', valueName: 'ID', env: 'RECONCILER_REPLICA_ID', defaultText: '<hostname>-<pid>', commands: ['run', 'apply'],
    description: 'this replica\'s name in leader leases (unique among replicas sharing a state store)' },
  { name: 'lease-duration', kind: 'duration', valueName: 'DURATION', env: 'RECONCILER_LEASE_DURATION', defaultText: '15s', commands: ['run', 'apply'],
    description: 'mysql/etcd state store: how long a leader\'s lease lasts unrenewed before another replica may take the environment over' },
  { name: 'renew-deadline', kind: 'duration', valueName: 'DURATION', env: 'RECONCILER_RENEW_DEADLINE', defaultText: '10s', commands: ['run', 'apply'],
    description: 'mysql/etcd state store: a leader that has not renewed its lease for this long stops mutating (shorter than --lease-duration)' },
  { name: 'retry-period', kind: 'duration', valueName: 'DURATION', env: 'RECONCILER_RETRY_PERIOD', defaultText: '2s', commands: ['run', 'apply'],
    description: 'mysql/etcd state store: how often a replica renews or tries to take a lease (shorter than --renew-deadline)' },
  { name: 'prune', kind: 'boolean', env: 'RECONCILER_PRUNE', defaultText: 'false', commands: all,
    description: 'remove owned instances whose manifest disappeared' },
  { name: 'max-delete', kind: 'non-negative-integer', valueName: 'N', env: 'RECONCILER_MAX_DELETE',
    defaultText: 'min(10, 25% of managed), at least 1', commands: all,
    description: 'removals allowed per revision; a revision over budget removes nothing' },
  { name: 'max-unavailable', kind: 'count-or-percent', valueName: 'N', env: 'RECONCILER_MAX_UNAVAILABLE', defaultText: '1', commands: ['run', 'apply'],
    description: 'declared instances down at once because of a recreate: a count (`2`) or a percentage of the declared instances (`25%`), at least 1' },
  { name: 'resync', kind: 'positive-number', valueName: 'SECONDS', env: 'RECONCILER_RESYNC', defaultText: '60', commands: ['run', 'apply'],
    description: 'full re-list of live state and re-read of the manifest folder (the git source polls on --git-interval)' },
  { name: 'qps', kind: 'positive-number', valueName: 'N', env: 'RECONCILER_QPS', defaultText: '20', commands: allAndExport,
    description: 'API calls per second, shared by every call the process makes' },
  { name: 'concurrency', kind: 'positive-integer', valueName: 'N', env: 'RECONCILER_CONCURRENCY', defaultText: '8', commands: allAndExport,
    description: 'API calls in flight and instances reconciled at once' },
  { name: 'request-timeout', kind: 'positive-number', valueName: 'SECONDS', env: 'RECONCILER_REQUEST_TIMEOUT', defaultText: '30', commands: allAndExport,
    description: 'timeout of one API call' },
  { name: 'env', kind: 'string', valueName: 'NAME', env: 'RECONCILER_ENV', defaultText: '(every environment)', commands: allAndExport, repeatable: true,
    description: 'work on (run: manage) these environments of the config file\'s `environments` only (`default` without one); repeatable or a comma list' },
  { name: 'listen', kind: 'listen', valueName: 'HOST:PORT', env: 'RECONCILER_LISTEN', defaultText: '127.0.0.1:8081', commands: ['run'],
    description: 'status, metrics and health server (port 0 = any free port)' },
  { name: 'reconcile-token', kind: 'secret', valueName: 'TOKEN', env: 'RECONCILER_RECONCILE_TOKEN', defaultText: '(none: open)', commands: ['run'],
    description: 'bearer token required by POST /reconcile' },
  { name: 'reconcile-token-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_RECONCILE_TOKEN_FILE', defaultText: '(none)', commands: ['run'],
    description: 'read the POST /reconcile token from this file (trailing newline trimmed)' },
  { name: 'control-token-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_CONTROL_TOKEN_FILE', defaultText: '(off: POST /suspend and /resume answer 403)', commands: ['run'],
    description: 'enables POST /suspend and /resume: the bearer token they require, read from this file (trailing newline trimmed); the suspend and resume commands read the same file' },
  { name: 'ui-token-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_UI_TOKEN_FILE', defaultText: '(none: open)', commands: ['run'],
    description: 'protects the dashboard, GET /status and /events: they then need `Authorization: Bearer <token>` or a login at /login (a cookie); the token is read from this file (trailing newline trimmed); the status and events commands read the same file' },
  { name: 'ready-when', kind: 'enum', valueName: 'WHICH', env: 'RECONCILER_READY_WHEN', defaultText: 'all', commands: ['run'], choices: ['all', 'any'],
    description: 'GET /readyz is 200 when `all` environments are ready, or when `any` is' },
  { name: 'events-history', kind: 'positive-integer', valueName: 'N', env: 'RECONCILER_EVENTS_HISTORY', defaultText: '2000', commands: ['run'],
    description: 'events kept in memory for GET /events, /events/stream and the last events of each instance in /status (the oldest are dropped)' },
  { name: 'webhook-github-secret-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_WEBHOOK_GITHUB_SECRET_FILE', defaultText: '(off)', commands: ['run'],
    description: 'enables POST /hooks/github: the webhook secret (X-Hub-Signature-256)' },
  { name: 'webhook-gitlab-secret-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_WEBHOOK_GITLAB_SECRET_FILE', defaultText: '(off)', commands: ['run'],
    description: 'enables POST /hooks/gitlab: the secret token (X-Gitlab-Token)' },
  { name: 'webhook-gitea-secret-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_WEBHOOK_GITEA_SECRET_FILE', defaultText: '(off)', commands: ['run'],
    description: 'enables POST /hooks/gitea: the webhook secret (X-Gitea-Signature)' },
  { name: 'webhook-generic-secret-file', kind: 'path', valueName: 'PATH', env: 'RECONCILER_WEBHOOK_GENERIC_SECRET_FILE', defaultText: '(off)', commands: ['run'],
    description: 'enables POST /hooks/generic: the HMAC key (X-Signature: sha256=...)' },
  { name: 'timeout', kind: 'positive-number', valueName: 'SECONDS', env: 'RECONCILER_TIMEOUT', defaultText: '600', commands: ['apply'],
    description: 'give up (exit 1) when not converged after this long' },
  { name: 'output', short: 'o', kind: 'enum', valueName: 'FORMAT', env: 'RECONCILER_OUTPUT', defaultText: 'text', commands: ['plan'],
    choices: ['text', 'json'], description: 'plan output: `text` or `json` (one JSON document)' },
  { name: 'output-dir', kind: 'path', valueName: 'DIR', env: 'RECONCILER_OUTPUT_DIR', defaultText: './manifests', commands: ['export'],
    description: 'write one file per instance, `<metadata.name>.yaml`, into this folder' },
  { name: 'file', kind: 'path', valueName: 'FILE', env: 'RECONCILER_FILE', defaultText: '(none: one file per instance)', commands: ['export'],
    description: 'write every instance into this one multi-document file instead; `-` is stdout' },
  { name: 'force', kind: 'boolean', env: 'RECONCILER_FORCE', defaultText: 'false', commands: ['export'],
    description: 'overwrite existing files; without it an existing file is an error and nothing is written' },
  { name: 'name', kind: 'string', valueName: 'NAME', env: 'RECONCILER_NAME', defaultText: '(every container)', commands: ['export'], repeatable: true,
    description: 'export only the containers with this Rancher name; repeatable or a comma list' },
  { name: 'name-prefix', kind: 'string', valueName: 'PREFIX', env: 'RECONCILER_NAME_PREFIX', defaultText: '(none)', commands: ['export'],
    description: 'export only the containers whose Rancher name starts with this' },
  { name: 'state', kind: 'string', valueName: 'STATE', env: 'RECONCILER_STATE', defaultText: 'running', commands: ['export'], repeatable: true,
    description: `export only the containers in these Rancher states, repeatable or a comma list: ${exportableStates.join(', ')}` },
  { name: 'include-stopped', kind: 'boolean', env: 'RECONCILER_INCLUDE_STOPPED', defaultText: 'false', commands: ['export'],
    description: 'export stopped containers too (as `state: stopped`); by default only running ones are exported' },
  { name: 'adopt', kind: 'boolean', env: 'RECONCILER_ADOPT', defaultText: 'false', commands: ['export'],
    description: 'record the exported containers as owned in the inventory (under the state lock), so run and apply manage them without recreating' },
  { name: 'log-level', kind: 'enum', valueName: 'LEVEL', env: 'RECONCILER_LOG_LEVEL', defaultText: 'info', commands: allAndExport,
    choices: logLevels, description: 'trace, debug, info, warn, error, fatal or silent' },
  { name: 'log-format', kind: 'enum', valueName: 'FORMAT', env: 'RECONCILER_LOG_FORMAT', defaultText: 'pretty on a terminal, else json',
    commands: allAndExport, choices: ['json', 'pretty'], description: '`json` lines or human-readable `pretty` output' },
  { name: 'emulator-transition-ms', kind: 'non-negative-integer', valueName: 'MS', env: 'RECONCILER_EMULATOR_TRANSITION_MS',
    defaultText: '250', commands: allAndExport, description: 'embedded emulator only: how long state transitions take' },
  { name: 'config', kind: 'path', valueName: 'FILE', env: 'RECONCILER_CONFIG', defaultText: '(none)', commands: allAndExport,
    description: 'YAML or JSON file of options by camelCase name (`maxDelete: 3`); unknown keys are errors' },
];

/** The config-file key of an option: its flag name in camelCase (`max-delete` -> `maxDelete`). */
export function fileKey(name: string): string {
  return name.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

/** The options a command accepts, in table order. */
export function commandOptions(command: ConfigCommand): readonly OptionSpec[] {
  return optionSpecs.filter((spec) => spec.commands.includes(command));
}

/** Looks an option up by flag name (without dashes). */
export function findOption(name: string): OptionSpec | undefined {
  return optionSpecs.find((spec) => spec.name === name);
}
