/**
 * The Prometheus metrics of rancher-reconciler (docs/architecture.md#observability) on a private prom-client
 * Registry: nothing touches prom-client's global registry, so two apps in one process (tests, demo mode)
 * each have their own. Callers use the typed helpers and never see label strings.
 */
import { createLeaderMetrics, type LeaderMetrics } from './leader-metrics.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { apiConditions, phases, type ApiCondition, type Phase } from '../domain/status.js';
import { createSourceMetrics, type SourceMetrics } from './source-metrics.js';
import { createNotifyMetrics, type NotifyMetrics } from './notify-metrics.js';

/** The `result` label of reconcile metrics: what one pass ended with. */
export type ReconcileResultLabel = 'in-sync' | 'acted' | 'waiting' | 'blocked' | 'suspended' | 'error';

/** Every reconcile result, pre-created at zero so that `rate()` and absence alerts work from the start. */
export const reconcileResults: readonly ReconcileResultLabel[] = ['in-sync', 'acted', 'waiting', 'blocked', 'suspended', 'error'];

/**
 * One finished Rancher API call, as the client's `onRequest` hook reports it. `route` is the templated
 * path (`/v1/containers/:id`), never the raw URL, to keep label cardinality bounded. `status` is
 * undefined when no response arrived (network error, timeout): the `code` label is then `none`.
 */
export type ApiRequestEvent = Readonly<{ method: string; route: string; status: number | undefined; durationMs: number }>;

/** The metrics of one process. Every helper is cheap and never throws. */
export interface Metrics {
  /** The private registry (default process metrics included). */
  readonly registry: Registry;
  /** The content type of `render()` for the HTTP response. */
  readonly contentType: string;
  /** The exposition text of every metric. */
  render(): Promise<string>;
  /** `rancher_reconciler_api_requests_total` and `..._api_request_duration_seconds`. */
  observeApiRequest(event: ApiRequestEvent): void;
  /** `rancher_reconciler_reconcile_total` and `..._reconcile_duration_seconds`, by result. */
  observeReconcile(event: Readonly<{ result: ReconcileResultLabel; durationMs: number }>): void;
  /** `rancher_reconciler_queue_depth`: keys waiting (not counting those in flight). */
  setQueueDepth(depth: number): void;
  /** `rancher_reconciler_queue_retries_total`: rate-limited requeues after a failed pass. */
  incQueueRetries(count?: number): void;
  /** `rancher_reconciler_instances{phase}`: every phase is set, missing ones to 0. */
  setPhases(counts: Readonly<Partial<Record<Phase, number>>>): void;
  /** `rancher_reconciler_drift_detected_total`: live changed away from desired after it had been in sync. */
  incDriftDetected(count?: number): void;
  /** `rancher_reconciler_removals_refused_total`: removals not done because of the delete budget or an incomplete tree. */
  incRemovalsRefused(count?: number): void;
  /** A surplus twin (a same-name container we created for the key, not the one we own) was removed. */
  incTwinsRemoved(): void;
  /** `rancher_reconciler_revision_converge_seconds`: from a revision first seen to every instance in sync. */
  observeRevisionConverged(durationMs: number): void;
  /** `rancher_reconciler_last_applied_revision_info{revision}`: 1 for the current revision only; null clears it. */
  setLastAppliedRevision(revision: string | null): void;
  /** `rancher_reconciler_manifest_errors`: manifest issues in the current tree. */
  setManifestErrors(count: number): void;
  /** `rancher_reconciler_api_condition{condition}`: 1 for the current API condition, 0 for every other. */
  setApiCondition(condition: ApiCondition): void;
  /** `rancher_reconciler_suspended`: 1 while the whole daemon is suspended (POST /suspend), else 0. */
  setSuspended(suspended: boolean): void;
  /** `rancher_reconciler_events_total{kind,severity}`: events recorded in the history (event-journal.ts). */
  incEvent(kind: string, severity: string, environment?: string): void;
  /** The manifest source's and the webhook receivers' metrics (source-metrics.ts). */
  readonly source: SourceMetrics;
  /** The notification providers' metrics (notify-metrics.ts). */
  readonly notify: NotifyMetrics;
  /** Leader election's metrics (leader-metrics.ts). */
  readonly leader: LeaderMetrics;
}

/**
 * Which metrics a registry holds. `all` (one environment, tests): every metric. With several environments
 * each has an `environment` registry (its metrics labelled with its name: app/daemon-metrics.ts) and the
 * daemon one `process` registry with what belongs to no environment: the process metrics, the
 * daemon's suspension, the webhook receivers and the notifications. Helpers of the metrics a registry
 * does not hold still work; their values are just not exposed.
 */
export type MetricsScope = 'all' | 'environment' | 'process';

/** Options of {@link createMetrics}. */
export type MetricsOptions = Readonly<{
  /** Collect prom-client's default process metrics (CPU, memory, event loop lag, GC). Default true (never in the `environment` scope). */
  defaultMetrics?: boolean;
  /** Default `all`. */
  scope?: MetricsScope;
}>;

/** The registers of the two kinds of metrics in `scope`. */
export type ScopedRegisters = Readonly<{ environment: Registry[]; process: Registry[] }>;

function scopedRegisters(registry: Registry, scope: MetricsScope): ScopedRegisters {
  return { environment: scope === 'process' ? [] : [registry], process: scope === 'environment' ? [] : [registry] };
}

const prefix = 'rancher_reconciler_';
const fastBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const convergeBuckets = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** Every metric of this process, registered on `registry` (names and help as the README table lists them). */
function defineMetrics(scoped: ScopedRegisters) {
  const registers = scoped.environment;
  const apiRequests = new Counter({
    name: `${prefix}api_requests_total`, help: 'Rancher API calls by method, route and HTTP status (none = no response)',
    labelNames: ['method', 'route', 'code'] as const, registers,
  });
  const apiDuration = new Histogram({
    name: `${prefix}api_request_duration_seconds`, help: 'Rancher API call latency',
    labelNames: ['method', 'route'] as const, buckets: fastBuckets, registers,
  });
  const reconciles = new Counter({
    name: `${prefix}reconcile_total`, help: 'Reconcile passes by result', labelNames: ['result'] as const, registers,
  });
  const reconcileDuration = new Histogram({
    name: `${prefix}reconcile_duration_seconds`, help: 'Duration of one reconcile pass by result',
    labelNames: ['result'] as const, buckets: fastBuckets, registers,
  });
  const queueDepth = new Gauge({ name: `${prefix}queue_depth`, help: 'Keys waiting in the work queue', registers });
  const queueRetries = new Counter({ name: `${prefix}queue_retries_total`, help: 'Keys requeued with backoff after a failed pass', registers });
  const instances = new Gauge({ name: `${prefix}instances`, help: 'Managed instances by phase', labelNames: ['phase'] as const, registers });
  const drift = new Counter({ name: `${prefix}drift_detected_total`, help: 'Instances found changed away from their manifest after being in sync', registers });
  const twinsRemoved = new Counter({ name: `${prefix}twins_removed_total`, help: 'Surplus same-name containers created by us (a late-committed create) that were removed', registers });
  const removalsRefused = new Counter({
    name: `${prefix}removals_refused_total`, help: 'Removals not done because of the delete budget or an incomplete manifest tree', registers,
  });
  const converge = new Histogram({
    name: `${prefix}revision_converge_seconds`, help: 'Time from a manifest revision first seen to every instance in sync',
    buckets: convergeBuckets, registers,
  });
  const revisionInfo = new Gauge({
    name: `${prefix}last_applied_revision_info`, help: 'The manifest revision last applied completely (value 1)',
    labelNames: ['revision'] as const, registers,
  });
  const manifestErrors = new Gauge({ name: `${prefix}manifest_errors`, help: 'Manifest issues in the current tree', registers });
  const apiCondition = new Gauge({
    name: `${prefix}api_condition`, help: 'How the Rancher API answers: 1 for the current condition, 0 for the others',
    labelNames: ['condition'] as const, registers,
  });
  const suspended = new Gauge({ name: `${prefix}suspended`, help: 'Whether the whole daemon is suspended (POST /suspend): 1 suspended, 0 reconciling', registers: scoped.process });
  const events = new Counter({ name: `${prefix}events_total`, help: 'Events recorded in the event history by kind and severity', labelNames: ['kind', 'severity'] as const, registers });

  return { apiRequests, apiDuration, reconciles, reconcileDuration, queueDepth, queueRetries, instances, drift, twinsRemoved, removalsRefused, converge, revisionInfo, manifestErrors, apiCondition, suspended, events };
}

/**
 * Creates the metrics on a new private Registry.
 *
 * @example
 * const metrics = createMetrics();
 * metrics.observeApiRequest({ method: 'GET', route: '/v1/containers', status: 200, durationMs: 12 });
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const scope = options.scope ?? 'all';
  if ((options.defaultMetrics ?? true) && scope !== 'environment') collectDefaultMetrics({ register: registry });
  const scoped = scopedRegisters(registry, scope);
  const { apiRequests, apiDuration, reconciles, reconcileDuration, queueDepth, queueRetries, instances, drift, twinsRemoved, removalsRefused, converge, revisionInfo, manifestErrors, apiCondition, suspended, events } = defineMetrics(scoped);

  for (const result of reconcileResults) reconciles.labels(result).inc(0);
  for (const phase of phases) instances.labels(phase).set(0);
  const setApiCondition = (current: ApiCondition): void => {
    for (const condition of apiConditions) apiCondition.labels(condition).set(condition === current ? 1 : 0);
  };
  setApiCondition('ok');

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    observeApiRequest({ method, route, status, durationMs }) {
      const verb = method.toUpperCase();
      apiRequests.labels(verb, route, status === undefined ? 'none' : String(status)).inc();
      apiDuration.labels(verb, route).observe(seconds(durationMs));
    },
    observeReconcile({ result, durationMs }) {
      reconciles.labels(result).inc();
      reconcileDuration.labels(result).observe(seconds(durationMs));
    },
    setQueueDepth: (depth) => queueDepth.set(depth),
    incQueueRetries: (count = 1) => queueRetries.inc(nonNegative(count)),
    setPhases(counts) {
      for (const phase of phases) instances.labels(phase).set(counts[phase] ?? 0);
    },
    incDriftDetected: (count = 1) => drift.inc(nonNegative(count)),
    incRemovalsRefused: (count = 1) => removalsRefused.inc(nonNegative(count)),
    incTwinsRemoved: () => twinsRemoved.inc(),
    observeRevisionConverged: (durationMs) => converge.observe(seconds(durationMs)),
    setLastAppliedRevision(revision) {
      revisionInfo.reset();
      if (revision !== null) revisionInfo.labels(revision).set(1);
    },
    setManifestErrors: (count) => manifestErrors.set(count),
    setApiCondition,
    setSuspended: (on) => suspended.set(on ? 1 : 0),
    incEvent: (kind, severity) => events.labels(kind, severity).inc(),
    source: createSourceMetrics(scoped),
    notify: createNotifyMetrics(scoped.process),
    leader: createLeaderMetrics(scoped),
  };
}

function seconds(durationMs: number): number {
  return Math.max(0, durationMs) / 1000;
}

// prom-client throws when a counter is decreased; a caller bug must not take the process down
function nonNegative(count: number): number {
  return Number.isFinite(count) && count > 0 ? count : 0;
}
