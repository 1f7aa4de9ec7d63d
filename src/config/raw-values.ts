/**
 * Collecting raw option values from the environment and the config file (the flags: flag-parser.ts),
 * plus the CATTLE_* variables Rancher injects into service-account containers, before any validation.
 * Each collector returns the values it found plus every problem, so that `loadConfig` can report all
 * problems at once.
 */
import { dirname } from 'node:path';
import { LineCounter, parseDocument, parse as parseYaml, YAMLParseError, isNode } from 'yaml';
import { fileKey, findOption, optionSpecs, type ConfigCommand, type OptionSpec } from './options.js';

/** One value as found, with the label that names it in messages (`--qps`, `RECONCILER_QPS`, `config file a.yaml: qps`). */
export type RawValue = Readonly<{
  value: string | boolean;
  source: 'flag' | 'env' | 'file';
  label: string;
  /** Folder that relative paths are resolved against. */
  baseDir: string;
}>;

/** Values by option name plus problems, from one source. */
export type Collected = { values: Map<string, RawValue>; issues: string[] };

/**
 * A structured section of the config file (a list or mapping that is no option, parsed by its own
 * module, e.g. notify/notify-config.ts), with the label that locates it and the folder its relative
 * paths resolve against.
 */
export type FileSection = Readonly<{
  raw: unknown;
  label: string;
  baseDir: string;
  /** Locates a value of the file by its path (`['environments', 1, 'qps']` -> `config file a.yaml:7:5: environments[1].qps`). */
  at(path: readonly (string | number)[]): string;
}>;

/**
 * The config file's structured keys and the commands that use them (the others ignore them, as for
 * options). `allowInlineSecrets` is a plain boolean read with `environments` (config/environments.ts).
 */
export const fileSections: Readonly<Record<string, readonly ConfigCommand[]>> = {
  notifications: ['run'],
  environments: ['run', 'apply', 'plan', 'export', 'console'],
  allowInlineSecrets: ['run', 'apply', 'plan', 'export', 'console'],
};

/**
 * Reads the environment variable of every option the command uses. Variables of options the command
 * does not use are ignored (a container sets `RECONCILER_LISTEN` for `run`; `plan` in the same container
 * must still work). An unknown `RECONCILER_*` variable is an error: it is almost always a typo.
 * Empty variables count as unset.
 */
export function collectEnv(command: ConfigCommand, env: Readonly<Record<string, string | undefined>>, cwd: string): Collected {
  const values = new Map<string, RawValue>();
  const issues: string[] = [];
  const known = new Set(optionSpecs.map((spec) => spec.env));
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith('RECONCILER_') && !known.has(name)) issues.push(`unknown environment variable ${name}`);
  }
  for (const spec of optionSpecs) {
    const value = env[spec.env];
    if (value === undefined || value === '' || !spec.commands.includes(command)) continue;
    values.set(spec.name, { value, source: 'env', label: spec.env, baseDir: cwd });
  }
  return { values, issues };
}

/**
 * The variables Rancher 1.x injects into a container whose service carries the labels
 * `io.rancher.container.create_agent: "true"` and `io.rancher.container.agent.role: environment`
 * (docs/rancher-v1.md#environment-urls-and-keys), by the option each one stands in for.
 */
export const cattleEnv: Readonly<Record<string, string>> = {
  url: 'CATTLE_URL',
  'access-key': 'CATTLE_ACCESS_KEY',
  'secret-key': 'CATTLE_SECRET_KEY',
};

/** The options a set of CATTLE_* variables would fill; any of them set elsewhere turns all of them off. */
const rancherTarget = ['url', 'access-key', 'secret-key', 'secret-key-file'] as const;

/**
 * Reads the CATTLE_* variables Rancher injects ({@link cattleEnv}) as the lowest source above the
 * defaults: flag > RANCHER_* > config file > CATTLE_* > default. They are ambient (the platform sets
 * them, whoever wrote the configuration did not), so anything set on purpose wins; and they are taken
 * as one set or not at all: only with `CATTLE_URL`, and only when no other source (`explicit`: the
 * option names set by flags, environment or config file) sets the URL or a key, so that the
 * environment's key is never sent to a URL someone else chose. Empty variables count as unset.
 */
export function collectCattleEnv(
  command: ConfigCommand,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  explicit: ReadonlySet<string>,
): Collected {
  const values = new Map<string, RawValue>();
  const url = env[cattleEnv['url'] ?? ''];
  if (url === undefined || url === '' || rancherTarget.some((name) => explicit.has(name))) return { values, issues: [] };
  for (const [name, variable] of Object.entries(cattleEnv)) {
    const value = env[variable];
    if (value === undefined || value === '' || !findOption(name)?.commands.includes(command)) continue;
    values.set(name, { value, source: 'env', label: variable, baseDir: cwd });
  }
  return { values, issues: [] };
}

/**
 * Parses a config file (YAML, so JSON too): a mapping of camelCase option names. Unknown keys are
 * errors; keys of options this command does not use are ignored, so one file can serve every command.
 * Relative paths in the file are resolved against the file's folder. The structured keys of
 * {@link fileSections} (`notifications`) are handed back whole in `sections`, for their own parsers.
 */
export function collectFile(command: ConfigCommand, path: string, text: string): Collected & { sections: Map<string, FileSection> } {
  const values = new Map<string, RawValue>();
  const sections = new Map<string, FileSection>();
  const issues: string[] = [];
  const prefix = `config file ${path}`;
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (e: unknown) {
    const where = e instanceof YAMLParseError && e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    // yaml's first message line names the problem; the position is already in `where`
    const reason = e instanceof YAMLParseError ? (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '') : 'unparseable';
    return { values, sections, issues: [`${prefix}${where}: expected YAML or JSON, got a syntax error: ${reason}`] };
  }
  if (doc === null || doc === undefined) return { values, sections, issues };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    return { values, sections, issues: [`${prefix}: expected a mapping of option names, got ${Array.isArray(doc) ? 'a list' : `\`${String(doc)}\``}`] };
  }
  const at = locator(prefix, text);
  const byKey = new Map<string, OptionSpec>(optionSpecs.filter((spec) => spec.name !== 'config').map((spec) => [fileKey(spec.name), spec]));
  for (const [key, raw] of Object.entries(doc as Record<string, unknown>)) {
    const spec = byKey.get(key);
    const label = `${prefix}: ${key}`;
    const sectionCommands = fileSections[key];
    if (sectionCommands !== undefined) {
      if (sectionCommands.includes(command)) sections.set(key, { raw, label, baseDir: dirname(path), at });
      continue;
    }
    if (!spec) {
      issues.push(`${prefix}: unknown key \`${key}\``);
      continue;
    }
    if (!spec.commands.includes(command) || raw === null) continue;
    const value = fileValue(spec, raw);
    if (value === undefined) {
      issues.push(`${label}: expected ${spec.kind === 'boolean' ? 'true or false' : 'a string or number'}, got ${describeRaw(raw)}`);
      continue;
    }
    values.set(spec.name, { value, source: 'file', label, baseDir: dirname(path) });
  }
  return { values, sections, issues };
}

/**
 * `at` of the file's sections: the position comes from a second, positional parse, done only when a
 * section asks (a valid file parses the same both ways).
 */
function locator(prefix: string, text: string): FileSection['at'] {
  let parsed: { doc: ReturnType<typeof parseDocument>; lines: LineCounter } | undefined;
  return (path) => {
    if (parsed === undefined) {
      const lines = new LineCounter();
      parsed = { doc: parseDocument(text, { lineCounter: lines }), lines };
    }
    // a missing key is located at the mapping that lacks it
    let offset: number | undefined;
    for (let depth = path.length; offset === undefined && depth >= 0; depth -= 1) {
      const node: unknown = depth === 0 ? parsed.doc.contents : parsed.doc.getIn(path.slice(0, depth), true);
      offset = isNode(node) ? node.range?.[0] : undefined;
    }
    const where = offset === undefined ? '' : `:${parsed.lines.linePos(offset).line}:${parsed.lines.linePos(offset).col}`;
    const name = path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
    return `${prefix}${where}${name === '' ? '' : `: ${name}`}`;
  };
}

function fileValue(spec: OptionSpec, raw: unknown): string | boolean | undefined {
  if (spec.kind === 'boolean') return typeof raw === 'boolean' ? raw : undefined;
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return undefined;
}

function describeRaw(raw: unknown): string {
  if (Array.isArray(raw)) return 'a list';
  if (typeof raw === 'object') return 'a mapping';
  return `\`${String(raw)}\``;
}
