/**
 * `rancher-reconciler status [--daemon URL] [-o text|json] [--watch]`: a running daemon's `/status`
 * as a table (status-table.ts), like `flux get` or `argocd app get`; `-o json` prints the document as
 * the daemon sent it.
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
import { ReconcilerError } from '../errors.js';
import { exitCodes, type CliContext } from './context.js';
import { displayUrl, getDaemon } from './daemon-client.js';
import { followEvents, pause } from './event-stream.js';
import { renderStatus } from './status-table.js';
import { daemonUrlFrom } from './suspend.js';
import { uiTokenFrom, uiTokenHelp } from './ui-token.js';

type Options = Readonly<{ daemon?: string; uiTokenFile?: string; output: 'text' | 'json'; watch?: boolean }>;

/** A `/status` answer: the text as sent and the parsed document. */
type StatusRead = Readonly<{ text: string; doc: Readonly<Record<string, unknown>> }>;

/** Polling interval of `--watch` when the daemon has no event stream. */
const pollIntervalMs = 2000;
/** How long `--watch` waits after an event for more before it refetches (a revision brings a burst). */
const debounceMs = 150;
/** Clear the screen and go home: the redraw of `--watch` on a terminal. */
const clearScreen = '\x1b[H\x1b[2J';

/** Whether `doc` looks like a rancher-reconciler status document (and not some other service's JSON). */
function isStatusDocument(doc: unknown): doc is Readonly<Record<string, unknown>> {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const record = doc as Record<string, unknown>;
  return Array.isArray(record['instances']) && record['summary'] !== null && typeof record['summary'] === 'object';
}

/** Reads `/status` once; every failure is an ERR_DAEMON naming the URL. */
export async function readStatus(daemonUrl: string, signal: AbortSignal, token?: string): Promise<StatusRead> {
  const answer = await getDaemon({ daemonUrl, path: '/status', signal, ...(token === undefined ? {} : { token }) });
  const url = displayUrl(daemonUrl);
  if (answer.status === 401) throw new ReconcilerError('ERR_DAEMON', `the daemon at ${url} needs a token for /status (401): --ui-token-file PATH (the file the daemon reads)`);
  if (answer.status !== 200) throw new ReconcilerError('ERR_DAEMON', `${url} answered ${answer.status} for /status: not a rancher-reconciler status server? (--daemon URL, the daemon's --listen)`);
  let doc: unknown;
  try {
    doc = JSON.parse(answer.text);
  } catch {
    // not JSON: some other service answers there; the check below says so
    doc = undefined;
  }
  if (!isStatusDocument(doc)) throw new ReconcilerError('ERR_DAEMON', `${url} is not a rancher-reconciler: its /status is not a status document (--daemon URL, the daemon's --listen)`);
  return { text: answer.text, doc };
}

/** What one read prints: the document as sent (`-o json`) or the table at the current time. */
function frame(read: StatusRead, output: Options['output']): string {
  return output === 'json' ? `${read.text.trimEnd()}\n` : renderStatus(read.doc, Date.now());
}

/**
 * The `--watch` loop after the first table: refetch on each stream event (debounced) or every 2 s,
 * and print when what a reader sees changed. Off a terminal the change is judged without the AGE
 * column (ages tick every second; a new table per second would be noise). A failed refetch is one
 * `warning:` line, and the next success draws again.
 */
async function watch(ctx: CliContext, daemonUrl: string, options: Options, first: StatusRead, token: string | undefined): Promise<void> {
  const signal = ctx.shutdown;
  const tty = ctx.stdout.isTTY === true;
  const changeKey = (read: StatusRead): string => (options.output === 'json' ? read.text : tty ? frame(read, 'text') : renderStatus(read.doc, 0));
  let shown = changeKey(first);
  let failing = false;
  let chain = Promise.resolve();
  const refresh = (): void => {
    chain = chain.then(async () => {
      if (signal.aborted) return;
      try {
        const read = await readStatus(daemonUrl, signal, token);
        failing = false;
        const key = changeKey(read);
        if (key === shown) return;
        shown = key;
        ctx.stdout.write(`${tty ? clearScreen : '\n'}${frame(read, options.output)}`);
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
    for await (const _event of followEvents({ daemonUrl, signal, onConnected: scheduleRefresh, ...(token === undefined ? {} : { token }) })) scheduleRefresh();
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
  const daemonUrl = daemonUrlFrom(options.daemon, ctx.env, ctx.cwd);
  const token = uiTokenFrom(options.uiTokenFile, ctx);
  const first = await readStatus(daemonUrl, ctx.shutdown, token);
  ctx.stdout.write(`${options.watch === true && ctx.stdout.isTTY === true ? clearScreen : ''}${frame(first, options.output)}`);
  if (options.watch === true) await watch(ctx, daemonUrl, options, first, token);
  ctx.setExitCode(exitCodes.ok);
}

/** The `status` command. */
export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description("print a running daemon's instances (name, Rancher id, state, phase, reason, last action, age)")
    .option('--daemon <url>', "the daemon's status server (default: the RECONCILER_LISTEN address, else http://127.0.0.1:8081)")
    .option('--ui-token-file <path>', uiTokenHelp)
    .addOption(new Option('-o, --output <format>', 'text (a table) or json (the /status document as sent)').choices(['text', 'json']).default('text'))
    .option('-w, --watch', 'redraw on every change until interrupted')
    .action((options: Options) => status(ctx, options));
}
