/**
 * The command-line program: every command registered on one commander program, and the mapping of
 * failures to exit codes. Usage and config errors print one line per problem; a stack trace is never
 * printed. Kept apart from `cli.ts` (the process entry) so tests can run commands in-process.
 */
import { Command, CommanderError } from 'commander';
import { ApiError, ConfigError, GitError, coerceError } from './errors.js';
import { exitCodes, type CliContext } from './commands/context.js';
import { emulatorCommand } from './commands/emulator.js';
import { validateCommand } from './commands/validate.js';
import { planCommand } from './commands/plan.js';
import { applyCommand } from './commands/apply.js';
import { runCommand } from './commands/run.js';
import { exportCommand } from './commands/export.js';
import { consoleCommand } from './commands/console.js';
import { resumeCommand, suspendCommand } from './commands/suspend.js';
import { statusCommand } from './commands/status.js';
import { eventsCommand } from './commands/events.js';
import { completionCommand } from './commands/completion.js';
import { packageVersion } from './version.js';

/**
 * The program with every command. `-V, --version` prints the package.json version; `completion`
 * reads the finished program, so it is added last.
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('rancher-reconciler')
    .description('GitOps controller for Rancher 1.x: keeps containers equal to YAML manifests')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    });
  const commands = [runCommand(ctx), applyCommand(ctx), planCommand(ctx), exportCommand(ctx), validateCommand(ctx), emulatorCommand(ctx), suspendCommand(ctx), resumeCommand(ctx), statusCommand(ctx), eventsCommand(ctx), consoleCommand(ctx)];
  for (const command of [...commands, completionCommand(ctx, program)]) {
    program.addCommand(command.exitOverride().configureOutput({ writeOut: (text) => ctx.stdout.write(text), writeErr: (text) => ctx.stderr.write(text) }));
  }
  return program;
}

/** One line for an error that reached the top: authentication failures say what to check. */
export function describeFailure(error: Error): string {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
    return `${error.message}: authentication failed, check the access and secret keys (and the project in the URL)`;
  }
  if (error instanceof GitError && error.reason === 'auth') return `${error.message}: check --git-username and --git-password-file, or --git-bearer-token-file, or --git-ssh-key-file`;
  if (error instanceof GitError && error.reason === 'host-key') return `${error.message}: the host key is not in --git-known-hosts-file (or it changed)`;
  return error.message;
}

/** Runs the program on `argv` (the user's arguments, without node and script). Sets the exit code. */
export async function runProgram(ctx: CliContext, argv: readonly string[]): Promise<void> {
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' });
  } catch (raw: unknown) {
    const error = coerceError(raw);
    if (error instanceof CommanderError) {
      // commander already printed its message; help and version are not failures
      ctx.setExitCode(error.exitCode === 0 ? exitCodes.ok : exitCodes.error);
    } else if (error instanceof ConfigError) {
      for (const issue of error.issues) ctx.stderr.write(`error: ${issue}\n`);
      ctx.setExitCode(exitCodes.error);
    } else {
      ctx.stderr.write(`error: ${describeFailure(error)}\n`);
      ctx.setExitCode(exitCodes.error);
    }
  }
}
