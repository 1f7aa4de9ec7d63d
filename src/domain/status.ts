/**
 * The status vocabulary shared by the controller (which writes it), the status server (`GET /status`),
 * the metrics (`rancher_reconciler_instances{phase}`) and `apply`'s progress output. Pure types and
 * helpers: no I/O, clock or logger (docs/style.md#pure-core).
 */
import type { FieldChange } from './plan.js';

/**
 * Where one instance stands, Flux style:
 * - `in-sync`: live equals desired;
 * - `progressing`: an action was just issued and is being observed;
 * - `waiting`: nothing to do until Rancher finishes a transition (or the instance shows up);
 * - `blocked`: will not act until the manifest or live state changes (immutable field, conflict, invalid manifest);
 * - `failed`: the last passes failed and it is retrying with backoff (see `attempts`, `nextRetryAt`);
 * - `suspended`: nothing is done for it on purpose: `spec.suspend: true`, or the daemon is suspended
 *   (POST /suspend) and it had something to do (the `notices` say what).
 */
export type Phase = 'in-sync' | 'progressing' | 'waiting' | 'blocked' | 'failed' | 'suspended';

/** Every phase, in display order. */
export const phases: readonly Phase[] = ['in-sync', 'progressing', 'waiting', 'blocked', 'failed', 'suspended'];

/** The status of one managed instance (one manifest name). Times are ISO-8601 strings. */
export type InstanceStatus = Readonly<{
  /** The manifest name (the key). */
  name: string;
  /** The Rancher id once known (`1i42`), else null. */
  id: string | null;
  phase: Phase;
  /** A short stable code (`Created`, `ImmutableFieldChanged`, `Transitioning`, `ApiError`). */
  reason: string;
  /** A human sentence; never contains credentials. */
  message: string;
  /** The last action issued for it (`create`, `start`, `update`, ...), or null. */
  lastAction: string | null;
  /** Consecutive failed passes; 0 after a success. */
  attempts: number;
  /** When the next retry is due, or null when none is scheduled. */
  nextRetryAt: string | null;
  /** The manifest revision this status was computed from, or null before the first complete read. */
  revision: string | null;
  /** What an operator must see that needs no action from us: a same-name container we do not own, a restart not confirmed. */
  notices: readonly string[];
  /** The last few one-off facts about it: `moved from web-old`, `removing surplus twin 1i7`, `adopted 1i3`. */
  notes: readonly string[];
  /** Rancher's state of the container as the last pass saw it (`running`, `stopped`, ...), when one was seen. */
  liveState?: string;
  /**
   * The fields that differ, declared (`to`) against live (`from`), for a pending update or a blocked
   * change; secret-looking environment values are already masked (`sensitive`, domain/sensitive.ts).
   */
  changes?: readonly FieldChange[];
  /** When the phase, reason or message last changed (ISO-8601), when the book has a clock. */
  updatedAt?: string;
  /** `run`: its last few events from the event history (observability/event-journal.ts), oldest first. */
  events?: readonly InstanceEventStatus[];
}>;

/** One event of an instance as `/status` shows it (the full event is in `GET /events`). */
export type InstanceEventStatus = Readonly<{ id: number; time: string; kind: string; severity: 'info' | 'warning' | 'error'; reason: string; message: string }>;

/** A manifest problem, located (`file:line:col`). */
export type ManifestIssueStatus = Readonly<{ file: string; line: number; col: number; message: string }>;

/** Why removals were refused for a revision (over the delete budget, or an incomplete tree). */
export type RemovalsRefusedStatus = Readonly<{
  revision: string | null;
  /** Manifest names that would have been removed. */
  names: readonly string[];
  /** How many removals the budget allowed. */
  budget: number;
  message: string;
}>;

/**
 * How the Rancher API answers, as the last calls that matter (lists, reconcile passes) saw it:
 * - `ok`: no failure, or the last call after one succeeded;
 * - `unauthorized`: 401/403, the keys are wrong, revoked or cannot reach the project;
 * - `not-rancher`: the URL answers, but not as a Rancher v1 API (404 on the collection);
 * - `unreachable`: no answer (host not found, connection refused, timeout, TLS);
 * - `server-error`: Rancher answers 5xx.
 */
export type ApiCondition = 'ok' | 'unauthorized' | 'not-rancher' | 'unreachable' | 'server-error';

/** Every API condition, in display order. */
export const apiConditions: readonly ApiCondition[] = ['ok', 'unauthorized', 'not-rancher', 'unreachable', 'server-error'];

/** The `api` part of `/status`: the current API condition. Never contains credentials. */
export type ApiStatus = Readonly<{
  condition: ApiCondition;
  /** A human sentence, e.g. `Rancher rejected the credentials (401)`. */
  message: string;
  /** When this condition began (ISO-8601), or null while no call has failed since the start. */
  since: string | null;
  /** The HTTP status of the failure, when there was an answer. */
  status?: number;
  /** The error code of the failure (`ERR_API_UNAUTHORIZED`, `ERR_API_NETWORK`, ...). */
  code?: string;
}>;

/** The API status before any call has failed. */
export const initialApiStatus: ApiStatus = { condition: 'ok', message: 'no Rancher API call has failed', since: null };

/** Instance counts per phase plus the total. */
export type PhaseSummary = Readonly<Record<Phase, number> & { total: number }>;

/**
 * The whole `GET /status` document (docs/architecture.md#observability): the manifest revision, whether that
 * tree parsed completely, whether the process is ready, one entry per managed instance, and the problems
 * an operator must see (manifest issues, refused removals).
 */
export type StatusDocument = Readonly<{
  /** The manifest revision being applied (git commit or tree hash), or null before the first read. */
  revision: string | null;
  /** True when every manifest file parsed and validated; removals are frozen otherwise. */
  complete: boolean;
  /** First full list and first complete parse done (same as `/readyz`). */
  ready: boolean;
  summary: PhaseSummary;
  instances: readonly InstanceStatus[];
  manifestIssues: readonly ManifestIssueStatus[];
  /** The latest refusal to remove, or null when removals are allowed. */
  removalsRefused: RemovalsRefusedStatus | null;
  /** How the Rancher API answers (the reason `/readyz` gives when it cannot be reached or refuses us). */
  api: ApiStatus;
  /** Where the manifests come from and which commit is applied (absent for `apply`'s own table). */
  source?: SourceStatus;
  /** `run`: null, or since when and why the whole daemon is suspended (POST /suspend). */
  suspended?: SuspensionStatus | null;
  /**
   * With a shared state store (replicas): this replica's role (`leader` or `standby`), who leads and the
   * lease's epoch (leader/elector.ts). Absent with the file store (one process, always acting).
   */
  leadership?: Readonly<{ role: 'leader' | 'standby'; replica: string; leader: string | null; epoch: number | null; since: string; error: string | null }>;
}>;

/**
 * The whole daemon is suspended (POST /suspend): no Rancher call and no inventory change until POST
 * /resume. `reason` and `by` are what the request said (null when it said nothing). Times are ISO-8601.
 */
export type SuspensionStatus = Readonly<{ since: string; reason: string | null; by: string | null }>;

/** The last failure of the manifest source; `reason` is a GitFailureReason for the git source. */
export type SourceError = Readonly<{ reason: string; message: string; since: string }>;

/**
 * The `source` part of `/status`. Times are ISO-8601. For the folder source `url` is the folder and the
 * git fields are null. `url` never carries credentials.
 */
export type SourceStatus = Readonly<{
  kind: 'git' | 'folder';
  url: string;
  /** The ref as configured (`main`, `v1.2`, a commit) or, with none configured, the remote's default branch. */
  ref: string | null;
  /** The revision applied (`main@sha1:<40 hex>`, `sha1:<40 hex>`, or the folder source's forms). */
  revision: string | null;
  commit: string | null;
  commitTime: string | null;
  author: string | null;
  subject: string | null;
  /** The last successful poll (ls-remote, and fetch when the commit moved). */
  fetchedAt: string | null;
  /** When the current revision's tree was handed to the controller. */
  appliedAt: string | null;
  /** When the current revision converged (every instance in sync), null until then. */
  convergedAt: string | null;
  /** False while fetching fails: the last good commit stays the desired state. */
  ready: boolean;
  lastError: SourceError | null;
}>;

/** One environment's part of `GET /status`, and the whole answer of `GET /status/<name>`. */
export type EnvironmentStatus = StatusDocument & Readonly<{ name: string }>;

/**
 * The whole `GET /status` document: whether the daemon is ready (as `/readyz` says: every environment,
 * or any with `--ready-when any`), the environments that are not, and each environment's document.
 */
export type DaemonStatus = Readonly<{
  ready: boolean;
  /** Names of the environments that are not ready. */
  notReady: readonly string[];
  environments: readonly EnvironmentStatus[];
}>;

/**
 * What the status server reads; implemented by the daemon (app/daemon-status.ts, or a plain object in
 * tests). Every method is synchronous and cheap: it is called on each HTTP request.
 */
export interface StatusSource {
  /** The current status document of every environment. */
  status(): DaemonStatus;
  /** Liveness: false when the loop is wedged (work queued but no progress); `reason` says why. */
  health(): { ok: boolean; reason?: string };
  /** Readiness: ready after the first full list and the first complete parse; `reasons` lists what is missing. */
  readiness(): { ready: boolean; reasons: string[] };
  /** Asks for a full re-read of manifests and live state as soon as possible (POST /reconcile). Never throws. */
  requestReconcile(): void;
}

/** One environment's side of {@link StatusSource}: its document, liveness, readiness and re-read. */
export type EnvironmentStatusSource = Omit<StatusSource, 'status'> & Readonly<{ status(): StatusDocument }>;

/** Counts instances per phase (every phase present, zero when absent). */
export function summarizePhases(instances: readonly Pick<InstanceStatus, 'phase'>[]): PhaseSummary {
  const counts: Record<Phase, number> = { 'in-sync': 0, progressing: 0, waiting: 0, blocked: 0, failed: 0, suspended: 0 };
  for (const instance of instances) counts[instance.phase] += 1;
  return { ...counts, total: instances.length };
}

