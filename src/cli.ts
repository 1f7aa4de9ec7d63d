#!/usr/bin/env node
/**
 * Process entry of `rancher-reconciler`: builds the CliContext (the only place that reads process.env
 * and installs signal handlers), registers the commands and maps failures to exit codes.
 * Usage and config errors print one line per problem and exit 1; a stack trace is never printed.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, coerceError } from './errors.js';
import { exitCodes, type CliContext } from './commands/context.js';
import { emulatorCommand } from './commands/emulator.js';
import { validateCommand } from './commands/validate.js';
import { planCommand } from './commands/plan.js';
import { applyCommand } from './commands/apply.js';
import { runCommand } from './commands/run.js';

function createContext(): CliContext {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`received ${signal} again: exiting now\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    controller.abort(new Error(`received ${signal}`));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    shutdown: controller.signal,
    cwd: process.cwd(),
    onHangup(listener) {
      process.on('SIGHUP', listener);
      return () => process.off('SIGHUP', listener);
    },
    setExitCode(code) {
      process.exitCode = code;
    },
  };
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('rancher-reconciler')
    .description('GitOps controller for Rancher 1.x: keeps containers equal to YAML manifests')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    });
  for (const command of [runCommand(ctx), applyCommand(ctx), planCommand(ctx), validateCommand(ctx), emulatorCommand(ctx)]) {
    program.addCommand(command.exitOverride());
  }
  return program;
}

async function main(): Promise<void> {
  const ctx = createContext();
  try {
    await buildProgram(ctx).parseAsync(process.argv);
  } catch (raw: unknown) {
    const error = coerceError(raw);
    if (error instanceof CommanderError) {
      // commander already printed its message; help and version are not failures
      process.exitCode = error.exitCode === 0 ? exitCodes.ok : exitCodes.error;
    } else if (error instanceof ConfigError) {
      for (const issue of error.issues) process.stderr.write(`error: ${issue}\n`);
      process.exitCode = exitCodes.error;
    } else {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = exitCodes.error;
    }
  }
}

await main();
