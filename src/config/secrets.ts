/**
 * Reading the files a configuration points at (config file, secret files, CA bundle) with problems
 * collected as issues instead of thrown, so that `loadConfig` can report them all together.
 */
import type { RawValue } from './raw-values.js';
import type { ListenAddress } from './values.js';

/** Parsed option values by option name. */
export type Values = Map<string, string | number | boolean | ListenAddress>;

const sourceRank: Readonly<Record<RawValue['source'], number>> = { flag: 3, env: 2, file: 1 };

/**
 * Resolves a secret that can come inline or from a file. When both are set, the higher source wins
 * (flag > env > config file); both from one source is an error; a file is read with its
 * trailing newline trimmed, and an empty result is an error.
 */
export function secretFrom(
  values: Values,
  raws: Map<string, RawValue>,
  inlineName: string,
  fileName: string,
  readFile: (path: string) => string,
  issues: string[],
): string | undefined {
  let inline = values.get(inlineName) as string | undefined;
  let path = values.get(fileName) as string | undefined;
  const fileRaw = raws.get(fileName);
  const inlineRaw = raws.get(inlineName);
  if (inline !== undefined && path !== undefined && inlineRaw !== undefined && fileRaw !== undefined) {
    // the higher source wins as for every option (flag > env > config file); only one source giving
    // both is a conflict
    const inlineRank = sourceRank[inlineRaw.source];
    const fileRank = sourceRank[fileRaw.source];
    if (inlineRank === fileRank) {
      issues.push(`${inlineRaw.label} and ${fileRaw.label} cannot both be set`);
      return undefined;
    }
    if (inlineRank > fileRank) path = undefined;
    else inline = undefined;
  }
  if (path === undefined || !fileRaw) return inline;
  const text = tryRead(readFile, path, fileRaw.label, issues);
  if (text === undefined) return undefined;
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') {
    issues.push(`${fileRaw.label}: file \`${path}\` is empty`);
    return undefined;
  }
  return secret;
}

/** Reads a file through `readFile`; on failure adds `<label>: cannot read \`<path>\` (<code>)` to `issues` and returns undefined. */
export function tryRead(readFile: (path: string) => string, path: string, label: string, issues: string[]): string | undefined {
  try {
    return readFile(path);
  } catch (e: unknown) {
    // the code (ENOENT, EACCES, EISDIR) says enough; the message could be long and adds nothing
    const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'unreadable';
    issues.push(`${label}: cannot read \`${path}\` (${code})`);
    return undefined;
  }
}

/**
 * A secret that exists only as a file option (`--control-token-file`): the file's content with one
 * trailing newline trimmed, or undefined when the option is not set. Unreadable or empty is an issue.
 */
export function fileSecretFrom(values: Values, raws: Map<string, RawValue>, fileName: string, readFile: (path: string) => string, issues: string[]): string | undefined {
  const path = values.get(fileName) as string | undefined;
  const label = raws.get(fileName)?.label ?? `--${fileName}`;
  if (path === undefined) return undefined;
  const secret = tryRead(readFile, path, label, issues)?.replace(/\r?\n$/, '');
  if (secret === '') issues.push(`${label}: file \`${path}\` is empty`);
  return secret === '' ? undefined : secret;
}
