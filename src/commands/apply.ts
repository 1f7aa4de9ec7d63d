import { Command } from 'commander';
import type { CliContext } from './context.js';

/** `rancher-reconciler apply`: placeholder until its issue lands. */
export function applyCommand(ctx: CliContext): Command {
  return new Command('apply').description('not implemented yet').action(() => {
    ctx.stderr.write('apply: not implemented yet\n');
    ctx.setExitCode(1);
  });
}
