import { Command } from 'commander';
import type { CliContext } from './context.js';

/** `rancher-reconciler validate`: placeholder until its issue lands. */
export function validateCommand(ctx: CliContext): Command {
  return new Command('validate').description('not implemented yet').action(() => {
    ctx.stderr.write('validate: not implemented yet\n');
    ctx.setExitCode(1);
  });
}
