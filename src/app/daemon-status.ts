/**
 * The daemon's one face over its environments: `/status` lists every environment's document, `/readyz`
 * is ready when every environment is (or any, with `--ready-when any`) and names those that are not,
 * `/healthz` fails when any environment's loop is wedged, POST /reconcile asks every environment.
 * With the one `default` environment of the flags the reasons are not prefixed (they read as before).
 */
import type { EnvironmentStatusSource, StatusSource } from '../domain/status.js';

export type NamedStatus = Readonly<{ name: string; status: EnvironmentStatusSource }>;

export type DaemonStatusOptions = Readonly<{
  environments: readonly NamedStatus[];
  readyWhen: 'all' | 'any';
  /** Prefix reasons with the environment's name (the config file lists environments). */
  named: boolean;
}>;

export function daemonStatus(options: DaemonStatusOptions): StatusSource {
  const { environments, readyWhen, named } = options;
  const prefixed = (name: string, reason: string): string => (named ? `${name}: ${reason}` : reason);
  const readinessByName = (): { name: string; ready: boolean; reasons: string[] }[] =>
    environments.map(({ name, status }) => ({ name, ...status.readiness() }));
  return {
    status: () => {
      const readiness = readinessByName();
      const notReady = readiness.filter((entry) => !entry.ready).map((entry) => entry.name);
      return {
        ready: readyWhen === 'all' ? notReady.length === 0 : notReady.length < environments.length,
        notReady,
        environments: environments.map(({ name, status }) => ({ name, ...status.status() })),
      };
    },
    health: () => {
      const wedged = environments.map(({ name, status }) => ({ name, ...status.health() })).filter((entry) => !entry.ok);
      if (wedged.length === 0) return { ok: true };
      return { ok: false, reason: wedged.map((entry) => prefixed(entry.name, entry.reason ?? 'unknown')).join('; ') };
    },
    readiness: () => {
      const readiness = readinessByName();
      const notReady = readiness.filter((entry) => !entry.ready);
      const ready = readyWhen === 'all' ? notReady.length === 0 : notReady.length < readiness.length;
      return { ready, reasons: ready ? [] : notReady.flatMap((entry) => entry.reasons.map((reason) => prefixed(entry.name, reason))) };
    },
    requestReconcile: () => {
      for (const { status } of environments) status.requestReconcile();
    },
  };
}
