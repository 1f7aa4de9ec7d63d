/**
 * The two seams between the controller and Rancher. `src/rancher/` implements them (RancherInstanceApi,
 * LiveCache); the controller depends only on these interfaces. Every method that talks to Rancher goes
 * through the process-wide rate limiter inside the implementation.
 */
import type { InstanceSpec, LiveInstance } from './instance.js';

export type StopOptions = Readonly<{ remove?: boolean; timeout?: number }>;

export type CreateOptions = Readonly<{
  startOnCreate: boolean;
  attemptLabel?: string;
  /**
   * Called when an attempt failed in a way that may have created a container anyway (its answer was
   * lost), even when a later attempt succeeds: the lost one may still be committed late (a twin).
   */
  onAttemptInDoubt?: () => void;
}>;

/** Rancher container operations. Methods throw `ApiError` (src/errors.ts); not-found is a value. */
export interface InstanceApi {
  /** Every non-removed container of the environment, all pages. */
  list(signal?: AbortSignal): Promise<LiveInstance[]>;
  /** One container by id, removed ones included; `undefined` on 404. */
  get(id: string, signal?: AbortSignal): Promise<LiveInstance | undefined>;
  /** Non-removed containers whose Rancher name equals `name` (usually 0 or 1; more is a conflict). */
  findByName(name: string, signal?: AbortSignal): Promise<LiveInstance[]>;
  /**
   * POST /v1/containers. Never blindly retried: when the response is lost, the name is looked up before
   * creating again. `attemptLabel`, when given, is set to a fresh id on each POST, so the twins a
   * late-committed POST leaves can be told apart.
   */
  create(spec: InstanceSpec, options: CreateOptions, signal?: AbortSignal): Promise<LiveInstance>;
  /** PUT /v1/containers/{id} with name and/or description. */
  update(id: string, changes: Readonly<{ name?: string; description?: string }>, signal?: AbortSignal): Promise<LiveInstance>;
  start(id: string, signal?: AbortSignal): Promise<LiveInstance>;
  stop(id: string, options?: StopOptions, signal?: AbortSignal): Promise<LiveInstance>;
  /**
   * `startCountBefore`: Rancher's startCount before the call, which tells a landed restart from a lost one.
   * `beforeSend`: runs once the call holds its rate-limiter slot, right before it is sent (the restart's
   * write-ahead); when it rejects, nothing is sent and its error is thrown as it is.
   */
  restart(id: string, options?: Readonly<{ startCountBefore?: number; beforeSend?: () => Promise<void> }>, signal?: AbortSignal): Promise<LiveInstance>;
  /** The `remove` action (from stopped, error, ...). */
  remove(id: string, signal?: AbortSignal): Promise<LiveInstance>;
}

/** Why the live view changed: the names (old and new) and ids of the containers involved. */
export type LiveChange = Readonly<{ names: ReadonlySet<string>; ids: ReadonlySet<string> }>;

/** An always-current, in-memory view of the environment's containers (the informer). */
export interface LiveReader {
  /** True once the first full list has completed. */
  readonly ready: boolean;
  /** By id; includes containers seen as removed until they are purged or dropped by a re-list. */
  get(id: string): LiveInstance | undefined;
  /** Non-removed containers with this Rancher name. */
  byName(name: string): readonly LiveInstance[];
  /** Every non-removed container. */
  all(): readonly LiveInstance[];
  /** Registers a change listener; returns a function that removes it. */
  onChange(listener: (change: LiveChange) => void): () => void;
  /**
   * Records a resource returned by one of our calls, so the next pass sees it without waiting for an
   * event. `sentAtMs` is when that request was sent: the answer shows the resource as it was then at the
   * earliest, so an event about a later state (stamped after it) is never overwritten by a slow answer.
   */
  observe(instance: LiveInstance, sentAtMs?: number): void;
}
