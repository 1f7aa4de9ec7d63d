/**
 * `rancher-reconciler status [--daemon URL] [--env NAME] [-o text|json] [--watch]`: a running daemon's
 * `/status` as a table (status-table.ts), like `flux get` or `argocd app get`; `-o json` prints the
 * document as the daemon sent it.
 *
 * A daemon of several environments (issue 15) gets a section per environment and a last line naming
 * those not ready; the one `default` environment of the flags prints exactly as before environments.
 * `--env NAME` (repeatable or a comma list, else RECONCILER_ENV, as the option table's `--env`) reads
 * only those, from `/status/<name>`; `-o json` then prints `{"environments": [...]}` of them. A name
 * the daemon does not manage is the usage error: `error: --env: ... expected one of a, b`, exit 1.
 *
 * `--watch` redraws on change: it follows `/events/stream` and refetches `/status` shortly after each
 * event (one fetch for a burst), and polls every 2 s instead when the daemon has no stream (404, an
 * older daemon) or the stream fails. On a terminal each change clears the screen and draws the table
 * again; otherwise a new table is printed per change. It ends on SIGINT/SIGTERM (ctx.shutdown), exit 0.
 *
 * Exit 1, with one `error:` line naming the daemon's URL (never credentials), when the first read gets
 * no answer, an HTTP error, or an answer that is not a rancher-reconciler status document.
 */
import { Command, Option } from 'commander';
import { exitCodes, type CliContext } from './context.js';
import { followEvents, pause } from './event-stream.js';
import { environmentNames, readStatus, type StatusRead } from './status-read.js';
import { renderDaemon } from './status-table.js';
import { daemonUrlFrom } from './suspend.js';
import { uiTokenFrom, uiTokenHelp } from './ui-token.js';

type Options = Readonly<{ daemon?: string; uiTokenFile?: string; env: string[]; output: 'text' | 'json'; watch?: boolean }>;

/** What every read of one run of the command asks for. */
type Target = Readonly<{ daemonUrl: string; token: string | undefined; environments: readonly string[] }>;

/** Polling interval of `--watch` when the daemon has no event stream. */
const pollIntervalMs = 2000;
/** How long `--watch` waits after an event for more before it refetches (a revision brings a burst). */
const debounceMs = 150;
/** Clear the screen and go home: the redraw of `--watch` on a terminal. */
const clearScreen = '\x1b[H\x1b[2J';

/** One read of the target. */
function readTarget(target: Target, signal: AbortSignal): Promise<StatusRead> {
  return readStatus({ daemonUrl: target.daemonUrl, signal, environments: target.environments, ...(target.token === undefined ? {} : { token: target.token }) });
}

/** What one read prints: the document as sent (`-o json`) or the table at the current time. */
function frame(read: StatusRead, output: Options['output']): string {
  return output === 'json' ? `${read.text.trimEnd()}\n` : renderDaemon(read, Date.now());
}

/**
 * The `--watch` loop after the first table: refetch on each stream event (debounced) or every 2 s,
 * and print when what a reader sees changed. Off a terminal the change is judged without the AGE
 * column (ages tick every second; a new table per second would be noise). A failed refetch is one
 * `warning:` line, and the next success draws again.
 */
async function watch(ctx: CliContext, target: Target, options: Options, first: StatusRead): Promise<void> {
  const signal = ctx.shutdown;
  const tty = ctx.stdout.isTTY === true;
  const changeKey = (read: StatusRead): string => (options.output === 'json' ? read.text : tty ? frame(read, 'text') : renderDaemon(read, 0));
  let shown = changeKey(first);
  let failing = false;
  let chain = Promise.resolve();
  const refresh = (): void => {
    chain = chain.then(async () => {
      if (signal.aborted) return;
      try {
        const next = await readTarget(target, signal);
        failing = false;
        const key = changeKey(next);
        if (key === shown) return;
        shown = key;
        ctx.stdout.write(`${tty ? clearScreen : '\n'}${frame(next, options.output)}`);
      } catch (e: unknown) {
        if (signal.aborted || failing) return;
        failing = true;
        ctx.stderr.write(`warning: ${(e as Error).message}; still watching\n`);
      }
    });
  };
  let timer: NodeJS.Timeout | undefined;
  const scheduleRefresh = (): void => {
    timer ??= setTimeout(() => ((timer = undefined), refresh()), debounceMs);
  };
  try {
    // one environment asked for: only its events mean its table may have changed
    const [only, ...more] = target.environments;
    const query = only !== undefined && more.length === 0 ? `?environment=${encodeURIComponent(only)}` : '';
    const { daemonUrl, token } = target;
    for await (const _event of followEvents({ daemonUrl, query, signal, onConnected: scheduleRefresh, ...(token === undefined ? {} : { token }) })) scheduleRefresh();
  } catch {
    // no stream (404: an older daemon) or it failed: polling shows the same, only later
    while (!signal.aborted) {
      await pause(pollIntervalMs, signal);
      refresh();
      await chain;
    }
  } finally {
    clearTimeout(timer);
    await chain;
  }
}

async function status(ctx: CliContext, options: Options): Promise<void> {
  const target: Target = {
    daemonUrl: daemonUrlFrom(options.daemon, ctx.env, ctx.cwd),
    token: uiTokenFrom(options.uiTokenFile, ctx),
    environments: environmentNames(options.env, ctx.env['RECONCILER_ENV']),
  };
  const first = await readTarget(target, ctx.shutdown);
  ctx.stdout.write(`${options.watch === true && ctx.stdout.isTTY === true ? clearScreen : ''}${frame(first, options.output)}`);
  if (options.watch === true) await watch(ctx, target, options, first);
  ctx.setExitCode(exitCodes.ok);
}

/** The `status` command. */
export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description("print a running daemon's instances (name, Rancher id, state, phase, reason, last action, age)")
    .option('--daemon <url>', "the daemon's status server (default: the RECONCILER_LISTEN address, else http://127.0.0.1:8081)")
    .option('--ui-token-file <path>', uiTokenHelp)
    .addOption(environmentOption('only these environments of the daemon'))
    .addOption(new Option('-o, --output <format>', 'text (a table) or json (the /status document as sent)').choices(['text', 'json']).default('text'))
    .option('-w, --watch', 'redraw on every change until interrupted')
    .action((options: Options) => status(ctx, options));
}

/**
 * `--env NAME` of `status` and `events`: repeatable or a comma list, as the option table's `--env` is
 * for `plan` and `apply` (an array default: completion offers it again after a first one).
 */
export function environmentOption(description: string): Option {
  return new Option('--env <name>', `${description}, repeatable or a comma list; without it RECONCILER_ENV`)
    .argParser((value: string, previous: string[]) => [...previous, value])
    .default([], 'every environment');
}
