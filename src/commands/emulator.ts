import { Command } from 'commander';
import type { CliContext } from './context.js';

/** `rancher-reconciler emulator`: placeholder until its issue lands. */
export function emulatorCommand(ctx: CliContext): Command {
  return new Command('emulator').description('not implemented yet').action(() => {
    ctx.stderr.write('emulator: not implemented yet\n');
    ctx.setExitCode(1);
  });
}
