import { Command } from 'commander';
import type { CliContext } from './context.js';

/** `rancher-reconciler run`: placeholder until its issue lands. */
export function runCommand(ctx: CliContext): Command {
  return new Command('run').description('not implemented yet').action(() => {
    ctx.stderr.write('run: not implemented yet\n');
    ctx.setExitCode(1);
  });
}
