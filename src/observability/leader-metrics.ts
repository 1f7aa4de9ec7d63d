/**
 * The metrics of leader election (leader/elector.ts), per environment: whether this replica leads it,
 * and how often that changed. Registered by createMetrics in the environment's registry, so each carries
 * `environment="<name>"` when the daemon has several.
 */
import { Counter, Gauge } from 'prom-client';
import type { ScopedRegisters } from './metrics.js';

export interface LeaderMetrics {
  /** `rancher_reconciler_leader`: 1 while this replica leads the environment (and may act), 0 on a standby. */
  setLeader(leading: boolean): void;
  /** `rancher_reconciler_lease_transitions_total`: this replica became leader or stopped leading. */
  incTransitions(): void;
}

const prefix = 'rancher_reconciler_';

export function createLeaderMetrics(scoped: ScopedRegisters): LeaderMetrics {
  const registers = scoped.environment;
  const leader = new Gauge({ name: `${prefix}leader`, help: 'Whether this replica leads the environment and acts (1) or is a standby (0); 1 without replicas (the file state store)', registers });
  const transitions = new Counter({ name: `${prefix}lease_transitions_total`, help: 'Times this replica became leader of the environment or stopped leading it', registers });
  leader.set(1);
  return {
    setLeader: (leading) => leader.set(leading ? 1 : 0),
    incTransitions: () => transitions.inc(),
  };
}
