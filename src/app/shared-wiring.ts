/**
 * What the daemon has once, whatever the number of environments: the process metrics, the event
 * history (every environment records into it, each event naming its environment), the notifier that
 * follows it, the whole daemon's suspension (`<state dir>/suspended.json`) and a shared state store's
 * connection. Called by app.ts only.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { DaemonSuspension } from '../controller/suspension.js';
import { EventJournal } from '../observability/event-journal.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { Notifier } from '../notify/notifier.js';
import { createStateStore } from '../state/create-store.js';
import type { StateStore } from '../state/state-store.js';
import { Spreader } from '../leader/spread.js';
import type { AppMode } from './wiring.js';

export type SharedParts = Readonly<{
  /** Process-wide metrics: the process itself, the suspension, webhooks, notifications (`scope: 'process'`). */
  metrics: Metrics;
  journal: EventJournal;
  /** Run mode: the daemon's suspension (POST /suspend), loaded at start. */
  suspension: DaemonSuspension | undefined;
  /** Run mode with a `notifications` section: tells the providers about the journal's events. */
  notifier: Notifier | undefined;
  /** Called on resume: every environment looks at each key again. Set by the environments as they are built. */
  onResume: Set<() => void>;
  /**
   * A shared state store (`--state-store mysql://` or `etcd://`): every environment's records and lease,
   * one connection for all; undefined with the file store (each environment's inventory file).
   */
  store: StateStore | undefined;
  /** `run` with a shared store: spreads this process's environments over the replicas (leader/spread.ts). */
  spreader: Spreader | undefined;
  clock: Clock;
}>;

/** `eventMetrics`: where `events_total` of an environment is counted (each environment's own metrics). */
export function wireShared(
  config: Config,
  mode: AppMode,
  deps: Readonly<{ log: Logger; clock: Clock; eventMetrics: (environment: string | undefined) => Pick<Metrics, 'incEvent'> | undefined }>,
): SharedParts {
  const { log, clock } = deps;
  const metrics = createMetrics({ scope: 'process' });
  const journal = new EventJournal({
    capacity: config.events.history, clock, log: log.child({ component: 'events' }),
    metrics: { incEvent: (kind, severity, environment) => deps.eventMetrics(environment)?.incEvent(kind, severity) },
  });
  const onResume = new Set<() => void>();
  // a resume looks at every key again: what was held while suspended is pending
  const suspension = mode === 'run'
    ? new DaemonSuspension({ stateDir: config.stateDir, clock, log: log.child({ component: 'suspension' }), metrics, onResume: () => onResume.forEach((resume) => resume()) })
    : undefined;
  const notifier = mode === 'run' && config.notifications.length > 0 ? new Notifier({ providers: config.notifications, clock, log, metrics: metrics.notify }) : undefined;
  const store = config.stateStore.kind === 'file' ? undefined : createStateStore(config.stateStore, { log });
  const { id: replica, leaseMs, retryPeriodMs } = config.replica;
  const spreader = store !== undefined && mode === 'run' ? new Spreader({ store, replica, clock, log: log.child({ component: 'leader' }), leaseMs, retryPeriodMs }) : undefined;
  return { metrics, journal, suspension, notifier, onResume, store, spreader, clock };
}
