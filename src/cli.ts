#!/usr/bin/env node
/**
 * Process entry of `rancher-reconciler`: builds the CliContext — the only place that reads
 * process.env and installs signal handlers — and runs the program. A second SIGTERM/SIGINT exits at
 * once; an error that escapes everything is reported on one line and ends the process (never half-alive).
 */
import { coerceError } from './errors.js';
import type { CliContext } from './commands/context.js';
import { runProgram } from './program.js';

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

function die(kind: string, error: unknown): never {
  process.stderr.write(`fatal: ${kind}: ${coerceError(error).message}\n`);
  process.exit(1);
}

process.on('unhandledRejection', (error) => die('unhandled rejection', error));
process.on('uncaughtException', (error) => die('uncaught exception', error));

await runProgram(createContext(), process.argv.slice(2));
