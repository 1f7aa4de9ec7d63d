/**
 * The config file's `environments` section (several Rancher environments from one daemon): a list of
 * entries, each naming its Rancher URL, credentials, manifest folders and reconcile limits. Without the
 * section the flags define one environment named `default` with the state dir itself as its folder, so a
 * single-environment setup keeps its inventory where it always was. Problems are located like manifest
 * problems (`config file envs.yaml:7:5: environments[1].qps: ...`) and all of them are listed at once.
 * Keys come from files or from named environment variables; an inline key needs the file's
 * `allowInlineSecrets: true` (a config file is often committed).
 */
import { join, resolve } from 'node:path';
import type { FileSection, RawValue } from './raw-values.js';
import { findOption, type OptionSpec } from './options.js';
import { rancherTargetFrom } from './rancher-target.js';
import { tryRead, type Values } from './secrets.js';
import { parseValue } from './values.js';
import { entryKeys, manifestsOf, type EnvironmentEntry } from './environment-entry.js';
import { toMaxUnavailable, type EnvironmentConfig } from './environment-config.js';

export type { EnvironmentConfig } from './environment-config.js';

/** The name of the one environment the flags define. */
export const defaultEnvironmentName = 'default';

/** Options the section replaces: set with it (flag, variable or file key), they would be ignored, so they are errors. */
const replacedOptions = ['url', 'environment', 'access-key', 'secret-key', 'secret-key-file', 'ca-file', 'manifests', 'git-path'];

// a name is a folder under the state dir, a URL path segment (/status/<name>) and a metric label value
const namePattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export type EnvironmentsInput = Readonly<{
  section: FileSection | undefined;
  /** The file's `allowInlineSecrets`: true lets entries carry `accessKey` / `secretKey` inline. */
  allowInline: boolean;
  /** The environment the flags define (the defaults of every entry). */
  base: EnvironmentConfig;
  /** Where the top-level options came from: a replaced option set on purpose is an error. */
  raws: ReadonlyMap<string, RawValue>;
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
  issues: string[];
}>;

type Context = Readonly<{ label: string; section: FileSection; input: EnvironmentsInput }>;

/** The environments to manage: the section's entries, or `[base]` named `default` without one. */
export function environmentsFrom(input: EnvironmentsInput): EnvironmentConfig[] {
  const { section, issues } = input;
  if (section === undefined || section.raw === null) return [input.base];
  for (const name of replacedOptions) {
    const raw = input.raws.get(name);
    // CATTLE_* are ambient (Rancher injects them): they fill nothing when the file lists environments
    if (raw !== undefined && !raw.label.startsWith('CATTLE_')) issues.push(`${raw.label}: cannot be used with the config file's \`environments\` (each environment gives its own)`);
  }
  if (!Array.isArray(section.raw) || section.raw.length === 0) {
    issues.push(`${section.at(['environments'])}: expected a list of environments (name, url, manifests, ...), got ${describe(section.raw)}`);
    return [];
  }
  const seen = new Set<string>();
  const result: EnvironmentConfig[] = [];
  section.raw.forEach((raw: unknown, index) => {
    const ctx: Context = { label: `environments[${index}]`, section, input };
    // checked before the entry's other problems, so that a duplicate is reported even next to them
    const name = (raw as EnvironmentEntry | null)?.['name'];
    if (typeof name === 'string' && seen.has(name)) issues.push(`${at(ctx, index, 'name')}: \`${name}\` is the name of an earlier environment too; names must be unique`);
    if (typeof name === 'string') seen.add(name);
    const parsed = parseEntry(raw, index, ctx);
    if (parsed !== undefined) result.push(parsed);
  });
  return result;
}

function at(ctx: Context, index: number, key?: string): string {
  return ctx.section.at(key === undefined ? ['environments', index] : ['environments', index, key]);
}

function parseEntry(raw: unknown, index: number, ctx: Context): EnvironmentConfig | undefined {
  const { issues, base } = ctx.input;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.push(`${at(ctx, index)}: expected a mapping with name, url and manifests, got ${describe(raw)}`);
    return undefined;
  }
  const entry = raw as EnvironmentEntry;
  const before = issues.length;
  for (const key of Object.keys(entry)) {
    if (!entryKeys.includes(key)) issues.push(`${at(ctx, index, key)}: unknown key \`${key}\` (expected ${entryKeys.join(', ')})`);
  }
  const name = nameOf(entry, index, ctx);
  const { values, raws } = optionValues(entry, index, ctx);
  const accessKey = keyOf(entry, index, 'accessKey', ctx);
  const secretKey = keyOf(entry, index, 'secretKey', ctx);
  if ((accessKey === undefined) !== (secretKey === undefined)) issues.push(`${at(ctx, index)}: needs both an access key and a secret key, or neither`);
  const target = rancherTargetFrom(values, raws, issues);
  const layers = manifestsOf(entry['manifests'], { label: at(ctx, index, 'manifests'), baseDir: ctx.section.baseDir, git: base.git !== undefined, issues });
  if (issues.length > before || name === undefined || layers === undefined) return undefined;
  const get = <T>(option: string, fallback: T): T => (values.get(option) as T | undefined) ?? fallback;
  const caFile = get<string | undefined>('ca-file', undefined);
  if (caFile !== undefined) tryRead(ctx.input.readFile, caFile, raws.get('ca-file')?.label ?? 'caFile', issues);
  const { url: _url, urlMappedFrom: _mapped, environment: _env, accessKey: _a, secretKey: _s, caFile: _c, ...apiDefaults } = base.api;
  const concurrency = get('concurrency', base.api.concurrency);
  return {
    name,
    api: {
      ...apiDefaults, ...target,
      url: get<string | undefined>('url', undefined),
      ...(accessKey !== undefined && secretKey !== undefined ? { accessKey, secretKey } : {}),
      ...(caFile === undefined ? {} : { caFile }),
      insecureSkipTlsVerify: get('insecure-skip-tls-verify', base.api.insecureSkipTlsVerify),
      qps: get('qps', base.api.qps), concurrency,
      timeoutMs: Math.round(get('request-timeout', base.api.timeoutMs / 1000) * 1000),
    },
    manifests: base.git === undefined ? { ...base.manifests, dir: layers[0] ?? '', overlays: layers.slice(1) } : base.manifests,
    git: base.git === undefined ? undefined : { ...base.git, path: layers[0] ?? '', overlays: layers.slice(1) },
    stateDir: join(base.stateDir, 'environments', name),
    reconcile: {
      ...base.reconcile, concurrency,
      prune: get('prune', base.reconcile.prune),
      maxDelete: get<number | undefined>('max-delete', base.reconcile.maxDelete),
      maxUnavailable: values.has('max-unavailable') ? toMaxUnavailable(String(values.get('max-unavailable'))) : base.reconcile.maxUnavailable,
      resyncMs: values.has('resync') ? Math.round(Number(values.get('resync')) * 1000) : base.reconcile.resyncMs,
    },
  };
}

function nameOf(entry: EnvironmentEntry, index: number, ctx: Context): string | undefined {
  const name = entry['name'];
  if (name === undefined) {
    ctx.input.issues.push(`${at(ctx, index, 'name')}: is required (it names the environment in /status, metrics, logs and its state folder)`);
    return undefined;
  }
  if (typeof name !== 'string' || !namePattern.test(name)) {
    ctx.input.issues.push(`${at(ctx, index, 'name')}: expected lower-case letters, digits and \`-\` (at most 63, starting and ending with a letter or digit), got ${describe(name)}`);
    return undefined;
  }
  return name;
}

/** The entry keys that are options of the table, parsed by the table's own rules (the same messages as a flag). */
const optionKeys: Readonly<Record<string, string>> = {
  url: 'url', environment: 'environment', caFile: 'ca-file', insecureSkipTlsVerify: 'insecure-skip-tls-verify', qps: 'qps', concurrency: 'concurrency',
  requestTimeout: 'request-timeout', prune: 'prune', maxDelete: 'max-delete', maxUnavailable: 'max-unavailable', resync: 'resync',
};

function optionValues(entry: EnvironmentEntry, index: number, ctx: Context): { values: Values; raws: Map<string, RawValue> } {
  const values: Values = new Map();
  const raws = new Map<string, RawValue>();
  for (const [key, option] of Object.entries(optionKeys)) {
    const value = entry[key];
    if (value === undefined || value === null) continue;
    const spec = findOption(option) as OptionSpec;
    const label = at(ctx, index, key);
    const text = spec.kind === 'boolean' ? (typeof value === 'boolean' ? value : undefined) : typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
    if (text === undefined) {
      ctx.input.issues.push(`${label}: expected ${spec.kind === 'boolean' ? 'true or false' : 'a string or number'}, got ${describe(value)}`);
      continue;
    }
    const raw: RawValue = { value: text, source: 'file', label, baseDir: ctx.section.baseDir };
    const parsed = parseValue(spec, raw);
    if (!parsed.ok) ctx.input.issues.push(parsed.issue);
    else {
      values.set(option, parsed.value);
      raws.set(option, raw);
    }
  }
  return { values, raws };
}

/** `accessKey` / `secretKey` from `<key>File` (trailing newline trimmed), `<key>Env` (a variable's name) or, when allowed, inline. */
function keyOf(entry: EnvironmentEntry, index: number, key: 'accessKey' | 'secretKey', ctx: Context): string | undefined {
  const { issues, env, readFile, allowInline } = ctx.input;
  const given = [key, `${key}File`, `${key}Env`].filter((k) => entry[k] !== undefined && entry[k] !== null);
  if (given.length > 1) issues.push(`${at(ctx, index, given[1])}: give one of ${given.join(', ')}`);
  const [which] = given;
  if (which === undefined || given.length > 1) return undefined;
  const value = entry[which];
  const label = at(ctx, index, which);
  if (typeof value !== 'string' || value.trim() === '') {
    issues.push(`${label}: expected a ${which === key ? 'key' : which.endsWith('File') ? 'file path' : 'variable name'}, got ${typeof value === 'string' ? 'an empty string' : describe(value)}`);
    return undefined;
  }
  if (which === key) {
    if (!allowInline) issues.push(`${label}: keys are not taken inline from a config file (it is often committed); use ${key}File or ${key}Env, or set \`allowInlineSecrets: true\` in the file`);
    return allowInline ? value : undefined;
  }
  if (which.endsWith('Env')) {
    const fromEnv = env[value];
    if (fromEnv === undefined || fromEnv === '') issues.push(`${label}: environment variable \`${value}\` is not set`);
    return fromEnv === '' ? undefined : fromEnv;
  }
  const text = tryRead(readFile, resolve(ctx.section.baseDir, value), label, issues)?.replace(/\r?\n$/, '');
  if (text === '') issues.push(`${label}: file \`${value}\` is empty`);
  return text === '' ? undefined : text;
}

function describe(raw: unknown): string {
  if (raw === undefined) return 'nothing';
  if (Array.isArray(raw)) return 'a list';
  if (raw !== null && typeof raw === 'object') return 'a mapping';
  return `\`${String(raw)}\``;
}
