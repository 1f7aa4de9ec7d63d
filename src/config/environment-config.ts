/**
 * One managed Rancher environment's slice of the configuration, and the whole-process Config narrowed to
 * it: everything built for one environment (client, limiter, live cache, queue, inventory, budgets)
 * reads the same `Config` shape as before there were several, with that environment's values in it.
 */
import type { Config } from '../config.js';
import type { MaxUnavailable } from '../controller/recreate-gate.js';

/**
 * `name`: `default` for the one environment of the flags, else the config file's. `stateDir`: the
 * environment's own folder (the state dir itself for `default` from flags, `<state dir>/environments/<name>`
 * for a listed one). The other slices mean what they mean in {@link Config}.
 */
export type EnvironmentConfig = Readonly<{
  name: string;
  api: Config['api'];
  manifests: Config['manifests'];
  git: Config['git'];
  stateDir: string;
  reconcile: Config['reconcile'];
}>;

/** `config` as one environment sees it: its Rancher target, manifests, state folder and reconcile limits. */
export function environmentConfig(config: Config, environment: EnvironmentConfig): Config {
  const { api, manifests, git, stateDir, reconcile } = environment;
  return { ...config, api, manifests, git, stateDir, reconcile, environments: [environment] };
}

/** `3` -> a count, `25%` -> a percentage (the text was validated by parseValue). */
export function toMaxUnavailable(text: string): MaxUnavailable {
  return text.endsWith('%') ? { kind: 'percent', percent: Number(text.slice(0, -1)) } : { kind: 'count', count: Number(text) };
}

/**
 * True when the config file lists the environments (a section per environment in the commands' output,
 * an `environment` in every log line); false for the one `default` environment of the flags.
 */
export function listsEnvironments(config: Config): boolean {
  return config.environments.length !== 1 || config.environments[0]?.stateDir !== config.stateDir;
}

/** The environments a command works on (`--env`, else all), each with its narrowed Config, in file order. */
export function selectedEnvironments(config: Config): { environment: EnvironmentConfig; config: Config }[] {
  const chosen = config.selectedEnvironments;
  return config.environments
    .filter((environment) => chosen.length === 0 || chosen.includes(environment.name))
    .map((environment) => ({ environment, config: environmentConfig(config, environment) }));
}
