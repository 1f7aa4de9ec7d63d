/**
 * The UI token of `status` and `events`: the file of `--ui-token-file`, else of
 * `RECONCILER_UI_TOKEN_FILE` (the file the daemon reads), sent as `Authorization: Bearer`. Optional:
 * without either, the commands send no token (an open status server needs none).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { tryRead } from '../config/secrets.js';
import { ConfigError } from '../errors.js';
import type { CliContext } from './context.js';

/**
 * The token, or undefined when neither the flag nor the variable is set.
 *
 * @throws ConfigError naming the flag or variable when the file cannot be read or is empty.
 */
export function uiTokenFrom(flagPath: string | undefined, ctx: Pick<CliContext, 'env' | 'cwd'>): string | undefined {
  const fromFlag = flagPath !== undefined;
  const path = flagPath ?? ctx.env['RECONCILER_UI_TOKEN_FILE'];
  if (path === undefined || path === '') return undefined;
  const label = fromFlag ? '--ui-token-file' : 'RECONCILER_UI_TOKEN_FILE';
  const issues: string[] = [];
  const token = tryRead((p) => readFileSync(p, 'utf8'), resolve(ctx.cwd, path), label, issues)?.replace(/\r?\n$/, '');
  if (token === '') issues.push(`${label}: file \`${path}\` is empty`);
  if (issues.length > 0 || token === undefined) throw new ConfigError(issues);
  return token;
}

/** The option's help text, shared by both commands. */
export const uiTokenHelp = "the daemon's UI token, for a daemon run with --ui-token-file (default: RECONCILER_UI_TOKEN_FILE)";
