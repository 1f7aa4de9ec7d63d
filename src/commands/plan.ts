import { Command } from 'commander';
import type { CliContext } from './context.js';

/** `rancher-reconciler plan`: placeholder until its issue lands. */
export function planCommand(ctx: CliContext): Command {
  return new Command('plan').description('not implemented yet').action(() => {
    ctx.stderr.write('plan: not implemented yet\n');
    ctx.setExitCode(1);
  });
}
