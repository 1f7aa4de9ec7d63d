/**
 * The process configuration of `run`, `apply` and `plan`: one object, built once at startup from flags,
 * environment variables and an optional config file, validated with every problem reported together,
 * then deeply frozen and handed out in slices (docs/style.md#configuration). This is the only module that interprets the
 * environment; `cli.ts` passes it in.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { LevelWithSilent } from 'pino';
import { ConfigError, redactUrl } from './errors.js';
import type { LogConfig } from './logger.js';
import { commandOptions, optionSpecs, type ConfigCommand, type OptionSpec } from './config/options.js';
import { defaultExportStates, exportableStates } from './export/exportable-states.js';
import { collectCattleEnv, collectEnv, collectFile, type RawValue } from './config/raw-values.js';
import { collectFlags } from './config/flag-parser.js';
import { rancherTargetFrom } from './config/rancher-target.js';
import { parseValue, type ListenAddress } from './config/values.js';
import { fileSecretFrom, secretFrom, tryRead, type Values } from './config/secrets.js';
import type { MaxUnavailable } from './controller/recreate-gate.js';
import { gitConfigFrom, webhookSecretsFrom, type GitConfig, type WebhookSecrets } from './config/git.js';
import { colorFromEnv } from './config/color.js';
import { subsetFrom } from './config/subset.js';
import type { Subset } from './controller/subset.js';
import { notificationsFrom, type NotificationConfig } from './notify/notify-config.js';
import { defaultEnvironmentName, environmentsFrom, type EnvironmentConfig } from './config/environments.js';
import { toMaxUnavailable } from './config/environment-config.js';
import { replicaFrom, stateStoreFrom, type ReplicaConfig, type StateStoreConfig } from './config/state-store.js';

export type { GitAuthConfig, GitConfig, WebhookSecrets } from './config/git.js';
export type { EnvironmentConfig } from './config/environments.js';

export { commandOptions, optionSpecs, type ConfigCommand, type OptionSpec } from './config/options.js';

/** `T` with every property, array and nested object read-only. */
export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The validated, frozen configuration. Each component receives only its slice. */
export type Config = DeepReadonly<{
  command: ConfigCommand;
  /**
   * `dir` is absolute. `maxFileBytes`: files above it are errors (5 MB). `debounceMs`: quiet time before a
   * re-read. `exclude`: the `--exclude` patterns (gitignore syntax, relative to the manifests root; default none).
   * `overlays`: absolute folders read after `dir`, each overriding same-key documents of the ones before
   * (an environment's `manifests: [base, prod]` in the config file: manifest/layers.ts); [] = `dir` alone.
   */
  manifests: { dir: string; overlays: string[]; maxFileBytes: number; debounceMs: number; exclude: string[] };
  /** The git source (`--git-url`); undefined = the folder source (`manifests.dir`). */
  git: GitConfig | undefined;
  /** Webhook secrets by provider (`run` with the git source only); a provider without one is off. */
  webhooks: WebhookSecrets;
  /** `plan` and `apply` only: the instances they work on (`--only`, `--selector`); elsewhere the whole tree. */
  subset: Subset;
  /**
   * Structurally the Rancher client's `ApiConfig` once `url` is set; `url === undefined` means "start the
   * embedded emulator". `url` has no trailing slash. `timeoutMs` bounds one call; `qps`/`concurrency`
   * feed the one shared limiter; `pageSize` is the list page size. `urlMappedFrom` and `environment`:
   * src/config/rancher-target.ts.
   */
  api: {
    url: string | undefined;
    urlMappedFrom?: string;
    environment?: string;
    accessKey?: string;
    secretKey?: string;
    caFile?: string;
    insecureSkipTlsVerify: boolean;
    timeoutMs: number;
    qps: number;
    concurrency: number;
    pageSize: number;
  };
  /** Absolute folder of the inventory. */
  stateDir: string;
  /**
   * `maxDelete` undefined = the default budget (min(10, 25 % of managed), at least 1). `resyncMs`: full
   * re-list and re-read period. `errorRetries`: retryable failures of one key before its phase turns
   * `failed` (it keeps retrying with backoff). `timeoutMs`: `apply` gives up after it.
   */
  reconcile: {
    prune: boolean;
    maxDelete: number | undefined;
    /** `--max-unavailable`: recreates keep at most this many declared instances down. Default 1. */
    maxUnavailable: MaxUnavailable;
    resyncMs: number;
    concurrency: number;
    backoff: { baseMs: number; maxMs: number };
    errorRetries: number;
    timeoutMs: number;
  };
  /**
   * The status server (`run` only). `reconcileToken` protects POST /reconcile when set; `controlToken`
   * enables POST /suspend and /resume (without it they answer 403); `uiToken` protects the dashboard,
   * GET /status and /events (bearer or a login cookie: http/ui-auth.ts).
   */
  http: { host: string; port: number; reconcileToken?: string; controlToken?: string; uiToken?: string; readyWhen: 'all' | 'any' };
  /** The event history (`--events-history`, run only; the default elsewhere): how many events the journal keeps. */
  events: { history: number };
  /** `plan` output format. */
  output: 'text' | 'json';
  /** `export` only (defaults elsewhere): see {@link ExportConfig}. */
  export: ExportConfig;
  log: LogConfig;
  /** Embedded emulator only (no `--url`). */
  emulator: { transitionMs: number };
  /** How long shutdown waits for in-flight work before aborting it. */
  shutdownGraceMs: number;
  /** `run` only: the config file's `notifications` providers (notify/notify-config.ts); [] = none. Holds secrets: never log it. */
  notifications: NotificationConfig[];
  /**
   * The Rancher environments to manage, each isolated (config/environments.ts): the config file's
   * `environments`, or the one named `default` that the flags define (whose slices are the top-level
   * `api`, `manifests`, `git`, `stateDir` and `reconcile`). Holds secrets: never log it.
   */
  environments: EnvironmentConfig[];
  /** `--env`: the environments plan, apply, export and status work on; [] = all of them. */
  selectedEnvironments: string[];
  /** `--state-store`: where records and leases live (config/state-store.ts). Holds a secret: never log it. */
  stateStore: StateStoreConfig;
  /** This replica's id and lease timings (used with a mysql or etcd state store). */
  replica: ReplicaConfig;
}>;

/**
 * What `export` writes and selects. `outputDir` is absolute (default `<cwd>/manifests`); `file` is an
 * absolute path or `-` (stdout), undefined = one file per instance in `outputDir`. `names` and
 * `namePrefix` filter by Rancher name (empty/undefined = no filter); `states` are the Rancher states
 * exported (default running; `--include-stopped` adds stopped). `adopt` records them in the inventory.
 * `outputDirGiven`: `--output-dir` was set (flag, variable or file key), not defaulted; with the config
 * file's environments, export's default is then each environment's first manifests folder instead.
 */
export type ExportConfig = {
  outputDir: string;
  outputDirGiven: boolean;
  file: string | undefined;
  force: boolean;
  names: string[];
  namePrefix: string | undefined;
  states: string[];
  adopt: boolean;
};

/** Values that have no option (yet): fixed by design, in one place. */
export const configDefaults = {
  maxFileBytes: 5 * 1024 * 1024,
  debounceMs: 200,
  pageSize: 1000,
  // per-key retry after a failed pass: 5 ms doubling (client-go), capped at 5 min
  backoff: { baseMs: 5, maxMs: 5 * 60_000 },
  errorRetries: 5,
  shutdownGraceMs: 5000,
} as const;

/** What `loadConfig` reads. Everything is passed in, so tests use plain objects. */
export type LoadConfigInput = Readonly<{
  command: ConfigCommand;
  /** The command's own arguments (after the command name). */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Working directory: relative paths and defaults resolve against it. */
  cwd: string;
  /**
   * Whether the stream the command logs to is a terminal: picks the default log format and, with
   * `NO_COLOR`/`FORCE_COLOR` from `env`, whether pretty logs carry colour (config/color.ts). Default false.
   */
  isTTY?: boolean;
  /** Reads the config file and secret files (UTF-8). Default: `fs.readFileSync`. */
  readFile?: (path: string) => string;
  /** `--replica-id`'s default. Default: `<hostname>-<pid>`. */
  defaultReplicaId?: string;
}>;

const configSpec = optionSpecs.find((spec) => spec.name === 'config') as OptionSpec;

/**
 * Builds the Config. Precedence per option: flag > environment variable > config file (`--config` or
 * `RECONCILER_CONFIG`) > CATTLE_* (URL and keys only, as one set: `collectCattleEnv`) > default. Reads
 * only the config file and the secret files, through `readFile`.
 *
 * @throws ConfigError listing every problem, one line each (unknown or unused options, bad values in
 *   expected/got form naming the flag, env var or file key, bad combinations, unreadable files).
 *   Secret values never appear in the messages.
 * @example
 * const config = loadConfig({ command: 'plan', argv: ['--output', 'json'], env: process.env, cwd: process.cwd() });
 */
export function loadConfig(input: LoadConfigInput): Config {
  const readFile = input.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const { command, cwd } = input;
  const flags = collectFlags(command, input.argv, cwd);
  const env = collectEnv(command, input.env, cwd);
  const issues = [...flags.issues, ...env.issues];

  const { values: fileValues, sections: fileSections } = readConfigFile(command, flags.values.get('config') ?? env.values.get('config'), readFile, issues);

  // CATTLE_* (injected by Rancher) rank below the config file and only stand in as a set: raw-values.ts
  const cattle = collectCattleEnv(command, input.env, cwd, new Set([...flags.values.keys(), ...env.values.keys(), ...fileValues.keys()]));
  const values: Values = new Map();
  const raws = new Map<string, RawValue>();
  for (const spec of commandOptions(command)) {
    if (spec.name === 'config') continue;
    const raw = flags.values.get(spec.name) ?? env.values.get(spec.name) ?? fileValues.get(spec.name) ?? cattle.values.get(spec.name);
    if (!raw) continue;
    const parsed = parseValue(spec, raw);
    if (parsed.ok) {
      values.set(spec.name, parsed.value);
      raws.set(spec.name, raw);
    } else {
      issues.push(parsed.issue);
    }
  }

  const secretKey = secretFrom(values, raws, 'secret-key', 'secret-key-file', readFile, issues);
  const reconcileToken = secretFrom(values, raws, 'reconcile-token', 'reconcile-token-file', readFile, issues);
  const controlToken = fileSecretFrom(values, raws, 'control-token-file', readFile, issues);
  const uiToken = fileSecretFrom(values, raws, 'ui-token-file', readFile, issues);
  const accessKey = values.get('access-key') as string | undefined;
  if (accessKey !== undefined && secretKey === undefined && !raws.has('secret-key') && !raws.has('secret-key-file')) {
    issues.push(`${raws.get('access-key')?.label}: needs a secret key too (--secret-key or --secret-key-file)`);
  }
  const secretRaw = raws.get('secret-key') ?? raws.get('secret-key-file');
  if (accessKey === undefined && secretRaw && !raws.has('access-key')) {
    issues.push(`${secretRaw.label}: needs an access key too (--access-key)`);
  }
  const caFile = values.get('ca-file') as string | undefined;
  if (caFile !== undefined) tryRead(readFile, caFile, raws.get('ca-file')?.label ?? '--ca-file', issues);

  checkExportValues(values, raws, issues);
  const { git, webhooks, subset, target } = slicesFrom({ values, raws, readFile, issues });
  const notifications = notificationsFrom({ section: fileSections.get('notifications'), readFile, issues });
  const built = buildConfig(input, values, { accessKey, secretKey, reconcileToken, controlToken, uiToken });
  const base = { name: defaultEnvironmentName, api: { ...built.api, ...target }, manifests: built.manifests, git, stateDir: built.stateDir, reconcile: built.reconcile };
  const environments = environmentsFrom({
    section: fileSections.get('environments'), allowInline: fileSections.get('allowInlineSecrets')?.raw === true,
    base, raws, env: input.env, readFile, issues,
  });
  const selectedEnvironments = selectedFrom(values, raws, environments, issues);
  const { stateStore, replica } = replicasFrom({ values, raws, readFile, issues, defaultReplicaId: input.defaultReplicaId ?? `${hostname()}-${process.pid}` }, environments);
  if (issues.length > 0) throw new ConfigError(issues);
  return deepFreeze({ ...built, api: base.api, git, webhooks, subset, notifications, environments, selectedEnvironments, stateStore, replica });
}

/** The config file's option values and structured sections (raw-values.ts `collectFile`); none without `--config`. */
function readConfigFile(
  command: ConfigCommand,
  configRaw: RawValue | undefined,
  readFile: (path: string) => string,
  issues: string[],
): Pick<ReturnType<typeof collectFile>, 'values' | 'sections'> {
  const none = { values: new Map<string, RawValue>(), sections: new Map() };
  const configPath = configRaw ? parseValue(configSpec, configRaw) : undefined;
  if (configPath && !configPath.ok) issues.push(configPath.issue);
  if (!configRaw || !configPath?.ok) return none;
  const path = String(configPath.value);
  const text = tryRead(readFile, path, configRaw.label, issues);
  if (text === undefined) return none;
  const file = collectFile(command, path, text);
  issues.push(...file.issues);
  return file;
}

/** `--state-store` and the lease settings; a shared store needs every environment on a Rancher URL. */
function replicasFrom(inputs: Parameters<typeof stateStoreFrom>[0], environments: readonly EnvironmentConfig[]): Pick<Config, 'stateStore' | 'replica'> {
  const stateStore = stateStoreFrom(inputs);
  if (stateStore.kind !== 'file') {
    const where = inputs.raws.get('state-store')?.label ?? '--state-store';
    // replicas must act on one Rancher: the embedded emulator is each process's own
    for (const environment of environments) if (environment.api.url === undefined) inputs.issues.push(`${where}: environment ${environment.name} has no Rancher URL: a shared state store is for replicas of one Rancher (--url)`);
  }
  return { stateStore, replica: replicaFrom(inputs) };
}

/** The slices validated by their own modules (git source, webhooks, subset, Rancher target), their problems added to `issues`. */
function slicesFrom(
  inputs: Readonly<{ values: Values; raws: Map<string, RawValue>; readFile: (path: string) => string; issues: string[] }>,
): { git: GitConfig | undefined; webhooks: WebhookSecrets; subset: Subset; target: ReturnType<typeof rancherTargetFrom> } {
  const { values, raws, issues } = inputs;
  const git = gitConfigFrom(inputs);
  const webhooks = git === undefined ? {} : webhookSecretsFrom(inputs);
  return { git, webhooks, subset: subsetFrom(inputs), target: rancherTargetFrom(values, raws, issues) };
}

function buildConfig(
  input: LoadConfigInput,
  values: Values,
  secrets: { accessKey: string | undefined; secretKey: string | undefined; reconcileToken: string | undefined; controlToken: string | undefined; uiToken: string | undefined },
): Omit<Config, 'git' | 'webhooks' | 'subset' | 'notifications' | 'environments' | 'selectedEnvironments' | 'stateStore' | 'replica'> {
  const get = <T>(name: string, fallback: T): T => (values.get(name) as T | undefined) ?? fallback;
  const concurrency = get('concurrency', 8);
  const logFormat = get<string | undefined>('log-format', undefined);
  const caFile = get<string | undefined>('ca-file', undefined);
  return {
    command: input.command,
    manifests: {
      dir: get('manifests', resolve(input.cwd, 'manifests')),
      overlays: [],
      maxFileBytes: configDefaults.maxFileBytes,
      debounceMs: configDefaults.debounceMs,
      exclude: listOf(values.get('exclude')),
    },
    api: {
      url: get<string | undefined>('url', undefined),
      ...(secrets.accessKey !== undefined && secrets.secretKey !== undefined
        ? { accessKey: secrets.accessKey, secretKey: secrets.secretKey }
        : {}),
      ...(caFile !== undefined ? { caFile } : {}),
      insecureSkipTlsVerify: get('insecure-skip-tls-verify', false),
      timeoutMs: Math.round(get('request-timeout', 30) * 1000),
      qps: get('qps', 20),
      concurrency,
      pageSize: configDefaults.pageSize,
    },
    stateDir: get('state-dir', resolve(input.cwd, '.rancher-reconciler')),
    reconcile: {
      prune: get('prune', false),
      maxDelete: get<number | undefined>('max-delete', undefined),
      maxUnavailable: toMaxUnavailable(get('max-unavailable', '1')),
      resyncMs: Math.round(get('resync', 60) * 1000),
      concurrency,
      backoff: { ...configDefaults.backoff },
      errorRetries: configDefaults.errorRetries,
      timeoutMs: Math.round(get('timeout', 600) * 1000),
    },
    http: httpFrom(values, secrets),
    events: { history: get('events-history', 2000) },
    output: get<'text' | 'json'>('output', 'text'),
    export: exportConfigFrom(input, values),
    log: {
      level: get<LevelWithSilent>('log-level', 'info'),
      pretty: logFormat === undefined ? input.isTTY === true : logFormat === 'pretty',
      color: colorFromEnv(input.env, input.isTTY === true),
    },
    emulator: { transitionMs: get('emulator-transition-ms', 250) },
    shutdownGraceMs: configDefaults.shutdownGraceMs,
  };
}

/** The status server's slice: where it listens, its tokens, when it is ready. */
function httpFrom(values: Values, secrets: Readonly<{ reconcileToken: string | undefined; controlToken: string | undefined; uiToken: string | undefined }>): Config['http'] {
  const listen = (values.get('listen') as ListenAddress | undefined) ?? { host: '127.0.0.1', port: 8081 };
  return {
    host: listen.host,
    port: listen.port,
    ...(secrets.reconcileToken !== undefined ? { reconcileToken: secrets.reconcileToken } : {}),
    ...(secrets.controlToken !== undefined ? { controlToken: secrets.controlToken } : {}),
    ...(secrets.uiToken !== undefined ? { uiToken: secrets.uiToken } : {}),
    readyWhen: (values.get('ready-when') as 'all' | 'any' | undefined) ?? 'all',
  };
}

/** A comma list option's items, trimmed, empty ones dropped. */
function listOf(value: unknown): string[] {
  return typeof value === 'string' ? value.split(',').map((item) => item.trim()).filter((item) => item !== '') : [];
}

/**
 * `export`'s combinations: `--file` or `--output-dir`, not both; every `--state` one export can map.
 * `--file -` (stdout) is put back as `-`: parseValue resolved it as a path.
 */
function checkExportValues(values: Values, raws: ReadonlyMap<string, RawValue>, issues: string[]): void {
  const file = raws.get('file');
  const dir = raws.get('output-dir');
  if (typeof file?.value === 'string' && file.value.trim() === '-') values.set('file', '-');
  if (file !== undefined && dir !== undefined) issues.push(`${file.label} and ${dir.label} cannot both be set: one file for every instance, or one file each in a folder`);
  const bad = listOf(values.get('state')).filter((state) => !exportableStates.includes(state));
  if (bad.length > 0) issues.push(`${raws.get('state')?.label ?? '--state'}: expected Rancher states from ${exportableStates.join(', ')}, got \`${bad.join(',')}\``);
}

function exportConfigFrom(input: LoadConfigInput, values: Values): ExportConfig {
  const given = listOf(values.get('state'));
  const states = new Set(given.length > 0 ? given : defaultExportStates);
  if (values.get('include-stopped') === true) states.add('stopped');
  return {
    outputDir: (values.get('output-dir') as string | undefined) ?? resolve(input.cwd, 'manifests'),
    outputDirGiven: values.has('output-dir'),
    file: values.get('file') as string | undefined,
    force: values.get('force') === true,
    names: listOf(values.get('name')),
    namePrefix: values.get('name-prefix') as string | undefined,
    states: [...states],
    adopt: values.get('adopt') === true,
  };
}

/** `--env`: names of configured environments only, each once; [] = all. */
function selectedFrom(values: Values, raws: ReadonlyMap<string, RawValue>, environments: readonly EnvironmentConfig[], issues: string[]): string[] {
  const names = [...new Set(listOf(values.get('env')))];
  const known = environments.map((environment) => environment.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0 && environments.length > 0) issues.push(`${raws.get('env')?.label ?? '--env'}: expected environments from ${known.join(', ')}, got \`${unknown.join(',')}\``);
  return names;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * The fields of the startup log line (`log.info(describeConfig(config), 'configuration loaded')`).
 * Never contains a secret: credentials and the reconcile token appear only as "set" flags, and the URL
 * is stripped of any userinfo.
 */
export function describeConfig(config: Config): Readonly<Record<string, string | number | boolean | null>> {
  return {
    command: config.command,
    manifests: config.git === undefined ? config.manifests.dir : null,
    exclude: config.manifests.exclude.join(',') || null,
    ...(config.git === undefined ? {} : {
      gitUrl: redactUrl(config.git.url),
      gitRef: config.git.ref ?? null,
      gitPath: config.git.path,
      gitAuth: config.git.auth.kind,
      gitIntervalMs: config.git.intervalMs,
      webhooks: Object.keys(config.webhooks).join(',') || null,
    }),
    url: config.api.url === undefined ? null : redactUrl(config.api.url),
    environment: config.api.environment ?? null,
    emulator: config.api.url === undefined,
    credentials: config.api.accessKey !== undefined,
    caFile: config.api.caFile ?? null,
    insecureSkipTlsVerify: config.api.insecureSkipTlsVerify,
    stateDir: config.stateDir,
    stateStore: config.stateStore.kind === 'file' ? 'file' : config.stateStore.url,
    ...(config.stateStore.kind === 'file' ? {} : { replica: config.replica.id, leaseMs: config.replica.leaseMs }),
    prune: config.reconcile.prune,
    maxDelete: config.reconcile.maxDelete ?? null,
    maxUnavailable: config.reconcile.maxUnavailable.kind === 'count' ? config.reconcile.maxUnavailable.count : `${config.reconcile.maxUnavailable.percent}%`,
    resyncMs: config.reconcile.resyncMs,
    qps: config.api.qps,
    concurrency: config.api.concurrency,
    requestTimeoutMs: config.api.timeoutMs,
    ...(config.command === 'run'
      ? {
          listen: formatHostPort(config.http.host, config.http.port), reconcileTokenSet: config.http.reconcileToken !== undefined, controlTokenSet: config.http.controlToken !== undefined, uiTokenSet: config.http.uiToken !== undefined,
          eventsHistory: config.events.history,
          // names and kinds only: the URLs may carry tokens
          notifications: config.notifications.map((entry) => `${entry.name} (${entry.kind})`).join(', ') || null,
        }
      : {}),
    ...(config.command === 'apply' ? { timeoutMs: config.reconcile.timeoutMs } : {}),
    ...(config.command === 'plan' ? { output: config.output } : {}),
    ...(config.command === 'plan' || config.command === 'apply' ? { only: config.subset.only.join(',') || null, selector: config.subset.selector?.text ?? null } : {}),
    logLevel: config.log.level,
  };
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
