/**
 * `rancher-reconciler suspend [--reason TEXT]` and `rancher-reconciler resume`: suspend a running daemon
 * during an incident (no Rancher call, no inventory change until resumed; it stays suspended across a
 * restart) and resume it, through its `POST /suspend` and `/resume` (http/suspend-routes.ts).
 *
 * The daemon is found at `--daemon URL`, else at the `RECONCILER_LISTEN` address (a wildcard such as
 * `0.0.0.0` means this host's loopback), else at http://127.0.0.1:8081 (`--listen`'s default). The token
 * is the file of `--control-token-file`, else of `RECONCILER_CONTROL_TOKEN_FILE`: the same file the
 * daemon reads. Exit 0 when the daemon answered 200 (also when it already was so); 1 otherwise, with one
 * `error:` line: no token file, the daemon unreachable, 401 (wrong token), 403 (the daemon has no token).
 */
import { Command } from 'commander';
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { formatHostPort } from '../config.js';
import { findOption } from '../config/options.js';
import { tryRead } from '../config/secrets.js';
import { parseValue, type ListenAddress } from '../config/values.js';
import { ConfigError } from '../errors.js';
import type { SuspensionStatus } from '../domain/status.js';
import { exitCodes, type CliContext } from './context.js';
import { postControl, type ControlAnswer } from './daemon-client.js';

type Options = Readonly<{ daemon?: string; controlTokenFile?: string; reason?: string; by?: string }>;

/** The daemon's base URL: `--daemon`, else `RECONCILER_LISTEN` (wildcards mean loopback), else the `--listen` default. */
export function daemonUrlFrom(given: string | undefined, env: CliContext['env'], cwd: string): string {
  if (given !== undefined) return given.replace(/\/+$/, '');
  const listen = env['RECONCILER_LISTEN'];
  if (listen === undefined || listen.trim() === '') return 'http://127.0.0.1:8081';
  const spec = findOption('listen');
  const parsed = spec === undefined ? undefined : parseValue(spec, { value: listen, source: 'env', label: 'RECONCILER_LISTEN', baseDir: cwd });
  if (parsed === undefined || !parsed.ok) throw new ConfigError([parsed?.ok === false ? parsed.issue : 'RECONCILER_LISTEN: not a HOST:PORT', 'give the daemon with --daemon URL']);
  const { host, port } = parsed.value as ListenAddress;
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${formatHostPort(local, port)}`;
}

/** The control token from the file of `--control-token-file` or `RECONCILER_CONTROL_TOKEN_FILE`. */
function tokenFrom(options: Options, ctx: CliContext): string {
  const fromFlag = options.controlTokenFile !== undefined;
  const path = options.controlTokenFile ?? ctx.env['RECONCILER_CONTROL_TOKEN_FILE'];
  const label = fromFlag ? '--control-token-file' : 'RECONCILER_CONTROL_TOKEN_FILE';
  if (path === undefined || path === '') throw new ConfigError(['the control token is needed: --control-token-file PATH or RECONCILER_CONTROL_TOKEN_FILE (the file the daemon reads)']);
  const issues: string[] = [];
  const token = tryRead((p) => readFileSync(p, 'utf8'), resolve(ctx.cwd, path), label, issues)?.replace(/\r?\n$/, '');
  if (token === '') issues.push(`${label}: file \`${path}\` is empty`);
  if (issues.length > 0 || token === undefined) throw new ConfigError(issues);
  return token;
}

function describe(state: SuspensionStatus): string {
  const extra = [state.reason === null ? undefined : `reason: ${state.reason}`, state.by === null ? undefined : `by ${state.by}`].filter((s) => s !== undefined);
  return `since ${state.since}${extra.length === 0 ? '' : ` (${extra.join(', ')})`}`;
}

/** The one `error:` line of an answer other than 200. */
function failure(answer: ControlAnswer, url: string): string {
  const said = typeof answer.body['error'] === 'string' ? answer.body['error'] : '';
  if (answer.status === 401) return `the daemon at ${url} rejected the control token (401): use the file the daemon reads with --control-token-file`;
  if (answer.status === 403) return `the daemon at ${url} refused (403): ${said}`;
  if (answer.status === 404) return `${url} has no /suspend (404): not the daemon's status server (--listen), or an older version`;
  return `the daemon at ${url} answered ${answer.status}${said === '' ? '' : `: ${said}`}`;
}

/** Prints the outcome of a 200 answer; a state the daemon could not save is a warning. */
function report(ctx: CliContext, action: 'suspend' | 'resume', answer: ControlAnswer): void {
  const state = answer.body['suspended'] as SuspensionStatus | null | undefined;
  const changed = answer.body['changed'] === true;
  if (action === 'suspend' && state) ctx.stdout.write(`${changed ? 'suspended' : 'already suspended'} ${describe(state)}\n`);
  else ctx.stdout.write(changed ? 'resumed: the daemon reconciles again\n' : 'not suspended: nothing changed\n');
  if (answer.body['persisted'] === false) {
    ctx.stderr.write(`warning: the daemon could not save this in its state dir: a restart would ${action === 'suspend' ? 'resume it' : 'suspend it again'}\n`);
  }
}

/** `user@host` for `--by`; a uid without a passwd entry (common in containers) falls back to $USER. */
function whoAmI(ctx: CliContext): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // os.userInfo throws when the uid has no passwd entry (a container run with an arbitrary uid)
    user = ctx.env['USER'] ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}

async function send(ctx: CliContext, action: 'suspend' | 'resume', options: Options): Promise<void> {
  const daemonUrl = daemonUrlFrom(options.daemon, ctx.env, ctx.cwd);
  const token = tokenFrom(options, ctx);
  const by = options.by ?? whoAmI(ctx);
  const body = action === 'suspend' ? { ...(options.reason === undefined ? {} : { reason: options.reason }), by } : undefined;
  const answer = await postControl({ daemonUrl, action, token, ...(body === undefined ? {} : { body }), signal: ctx.shutdown });
  if (answer.status !== 200) {
    ctx.stderr.write(`error: ${failure(answer, daemonUrl)}\n`);
    ctx.setExitCode(exitCodes.error);
    return;
  }
  report(ctx, action, answer);
  ctx.setExitCode(exitCodes.ok);
}

function controlCommand(ctx: CliContext, action: 'suspend' | 'resume', description: string): Command {
  return new Command(action)
    .description(description)
    .option('--daemon <url>', "the daemon's status server (default: the RECONCILER_LISTEN address, else http://127.0.0.1:8081)")
    .option('--control-token-file <path>', "the daemon's control token (default: RECONCILER_CONTROL_TOKEN_FILE)")
    .action((options: Options) => send(ctx, action, options));
}

export function suspendCommand(ctx: CliContext): Command {
  return controlCommand(ctx, 'suspend', 'suspend a running daemon: no Rancher call until resume (survives a restart)')
    .option('--reason <text>', 'why, shown in /status and the log')
    .option('--by <name>', 'who, shown in /status and the log (default: user@host)');
}

export function resumeCommand(ctx: CliContext): Command {
  return controlCommand(ctx, 'resume', 'resume a suspended daemon: it reconciles again at once');
}
