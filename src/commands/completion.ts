/**
 * `rancher-reconciler completion bash|zsh`: prints a shell completion script for the program, generated
 * from its commander commands and the option table (completion-model.ts), so it always matches the
 * program that printed it. Load it with `source <(rancher-reconciler completion bash)`.
 *
 * Why no library: the maintained ones (`@bomb.sh/tab`, `@pnpm/tabtab`/`tabtab`, `omelette`) complete
 * dynamically, calling the program back on every Tab, which here means starting node and loading the
 * whole program per key press; their commander support does not carry enum choices or file and folder
 * values; and they keep module-level state and write to `process.stdout` themselves, where this codebase
 * injects its streams (CliContext). A static script from the same commander program avoids all three.
 */
import { Argument, Command } from 'commander';
import { bashScript } from './completion-bash.js';
import { completionModel } from './completion-model.js';
import { zshScript } from './completion-zsh.js';
import { exitCodes, type CliContext } from './context.js';

const scripts = { bash: bashScript, zsh: zshScript } as const;

/** The `completion` command; `program` is read when it runs, so the script covers every command added. */
export function completionCommand(ctx: CliContext, program: Command): Command {
  return new Command('completion')
    .description('print a shell completion script: source <(rancher-reconciler completion bash), or zsh')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(Object.keys(scripts)))
    .action((shell: keyof typeof scripts) => {
      ctx.stdout.write(scripts[shell](completionModel(program)));
      ctx.setExitCode(exitCodes.ok);
    });
}
