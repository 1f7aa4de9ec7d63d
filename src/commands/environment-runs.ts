/**
 * How `plan`, `apply` and `export` work on several Rancher environments from one config file
 * (issue 15): each selected environment in file order, one after another (sequential keeps the output
 * readable: a section per environment, not interleaved lines), each with its narrowed Config, its own
 * logger child (`environment` in every log line) and its own exit code; the command ends with the
 * worst. One environment's failure (rejected keys, an unreachable Rancher, an invalid tree) is said in
 * its section and the next one still runs. Without a listed `environments` section none of this
 * applies: the commands run as they always did, on the `default` environment of the flags.
 */
import type { Config, EnvironmentConfig } from '../config.js';
import { listsEnvironments, selectedEnvironments } from '../config/environment-config.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { describeFailure } from '../program.js';
import { exitCodes, type CliContext } from './context.js';

/** The line that opens an environment's section, the same in every command: `== environment dev ==`. */
export function environmentHeader(name: string): string {
  return `== environment ${name} ==\n`;
}

/**
 * The exit code of several runs: 1 (error, blocked, refused) over 2 (changes, `plan` only) over 0.
 * Exit codes other than these count as errors.
 */
export function worstExitCode(codes: readonly number[]): number {
  if (codes.some((code) => code !== exitCodes.ok && code !== exitCodes.changes)) return exitCodes.error;
  return codes.includes(exitCodes.changes) ? exitCodes.changes : exitCodes.ok;
}

/** One environment's run: its narrowed Config, its logger child and a context whose exit code is its own. */
export type EnvironmentRun = Readonly<{ environment: EnvironmentConfig; config: Config; log: Logger; ctx: CliContext }>;

export type EnvironmentRunsOptions = Readonly<{
  /** Where the section header goes: the stream that carries the command's usual output (`none`: nowhere, e.g. `plan -o json`). */
  headerTo: 'stdout' | 'stderr' | 'none';
  /** Called with the message of an error that escaped `run` (the section already says it on stderr). */
  onError?: (environment: EnvironmentConfig, message: string) => void;
}>;

/**
 * Runs `run` once per selected environment, in file order, and sets the worst exit code. Without a
 * listed environments section it is `run` on the config as given, with `ctx` and `log` unchanged (its
 * exit codes and errors exactly as before). With one, an error that escapes an environment's run is
 * written as `error: ...` in its section and ends that environment with exit 1; the others still run,
 * and a last `error:` line names the environments that failed. A shutdown signal stops before the next
 * environment.
 */
export async function forEachEnvironment(ctx: CliContext, config: Config, log: Logger, options: EnvironmentRunsOptions, run: (environment: EnvironmentRun) => Promise<void>): Promise<void> {
  if (!listsEnvironments(config)) {
    const [environment] = config.environments;
    if (environment === undefined) throw new Error('unreachable: a config without an environment');
    return run({ environment, config, log, ctx });
  }
  const failed: string[] = [];
  const codes: number[] = [];
  for (const { environment, config: narrowed } of selectedEnvironments(config)) {
    if (ctx.shutdown.aborted) break;
    if (options.headerTo !== 'none') ctx[options.headerTo].write(environmentHeader(environment.name));
    let code: number = exitCodes.ok;
    const own: CliContext = { ...ctx, setExitCode: (c) => (code = c) };
    try {
      await run({ environment, config: narrowed, log: log.child({ environment: environment.name }), ctx: own });
    } catch (e: unknown) {
      const message = describeFailure(coerceError(e));
      ctx.stderr.write(`error: ${message}\n`);
      options.onError?.(environment, message);
      code = exitCodes.error;
    }
    codes.push(code);
    if (code === exitCodes.error) failed.push(environment.name);
  }
  if (failed.length > 0) ctx.stderr.write(`error: ${failed.length} of ${codes.length} environments failed: ${failed.join(', ')}\n`);
  ctx.setExitCode(worstExitCode(codes));
}
