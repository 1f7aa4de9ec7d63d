/**
 * The shared vocabulary of the controller: what a manifest declares (Desired) and what Rancher reports
 * (Live). `domain/` imports nothing from rancher/, manifest/, controller/, pino, got or the clock.
 */

/** A manifest's `metadata.name`: the identity of a managed instance, unique across the manifest tree. */
export type InstanceKey = string;

export type RunState = 'running' | 'stopped';

/**
 * What a create-only change does: `block` (nothing), `recreate` (remove, then create: downtime) or
 * `replace` (create the new container beside the old one, then remove the old one and take its name).
 */
export type ImmutableChangePolicy = 'block' | 'recreate' | 'replace';

/** Values of the container schema's `networkMode` enum (docs/rancher-v1.md#create-only-fields). */
export const networkModes = ['none', 'bridge', 'host', 'managed', 'container'] as const;
export type NetworkMode = (typeof networkModes)[number];

/** Rancher's `restartPolicy` object. */
export type RestartPolicy = Readonly<{ name: string; maximumRetryCount?: number }>;

/** Fields that can be changed in place with PUT /v1/containers/{id}. */
export const updatableFields = ['name', 'description'] as const;
export type UpdatableField = (typeof updatableFields)[number];

/** Fields set only at creation; a difference is `blocked` unless `onImmutableChange` is `recreate` or `replace`. */
export const createOnlyFields = [
  'imageUuid',
  'command',
  'entryPoint',
  'environment',
  'labels',
  'ports',
  'expose',
  'dns',
  'dnsSearch',
  'hostname',
  'user',
  'workingDir',
  'networkMode',
  'requestedHostId',
  'restartPolicy',
  'privileged',
  'tty',
  'stdinOpen',
  'memory',
  'cpuShares',
] as const;
export type CreateOnlyField = (typeof createOnlyFields)[number];

/**
 * The container fields a manifest manages, in canonical form. Only the fields a manifest declares are
 * present (absent = not managed, never compared). `name` is always present: it defaults to the key.
 */
export type InstanceSpec = Readonly<{
  name: string;
  description?: string;
  imageUuid: string;
  command?: readonly string[];
  entryPoint?: readonly string[];
  environment?: Readonly<Record<string, string>>;
  labels?: Readonly<Record<string, string>>;
  ports?: readonly string[];
  expose?: readonly string[];
  dns?: readonly string[];
  dnsSearch?: readonly string[];
  hostname?: string;
  user?: string;
  workingDir?: string;
  networkMode?: NetworkMode;
  requestedHostId?: string;
  restartPolicy?: RestartPolicy;
  privileged?: boolean;
  tty?: boolean;
  stdinOpen?: boolean;
  memory?: number;
  cpuShares?: number;
}>;

/** Where a desired instance was declared, for messages: `file:line:col`. `file` is relative to the tree root. */
export type SourceLocation = Readonly<{ file: string; line: number; col: number }>;

/** One validated manifest document. */
export type DesiredInstance = Readonly<{
  key: InstanceKey;
  spec: InstanceSpec;
  /** Desired run state; default `running`. */
  state: RunState;
  /** Each new value asks for exactly one restart. */
  restartToken?: string;
  /** Seconds, sent as instanceStop.timeout on stop and remove. */
  stopTimeout?: number;
  /** Default `block`. */
  onImmutableChange: ImmutableChangePolicy;
  /** Environment names whose values `plan`, status and logs never show (besides secret-looking names). */
  sensitiveEnvironment?: readonly string[];
  /** `spec.suspend: true`: no action at all for this key, reported as phase `suspended`. Absent = false. */
  suspend?: true;
  /**
   * `spec.prune: false`: never removed by prune, even once the manifest is gone (recorded in the
   * inventory entry, which outlives the manifest). Absent = true.
   */
  prune?: false;
  source: SourceLocation;
}>;

export type Transitioning = 'yes' | 'no' | 'error';

/**
 * A Rancher container as the controller sees it, mapped from the wire JSON by `src/rancher/`.
 * `fields` holds the create-only fields exactly as Rancher echoes them (null when unset).
 */
export type LiveInstance = Readonly<{
  id: string;
  uuid: string | null;
  name: string | null;
  description: string | null;
  /** Raw Rancher state: running, stopped, starting, stopping, removed, error, ... */
  state: string;
  transitioning: Transitioning;
  transitioningMessage: string | null;
  /** Names from the resource's `actions` map ('start', 'stop', 'restart', 'remove', ...). */
  actions: ReadonlySet<string>;
  hostId: string | null;
  externalId: string | null;
  /** The `removed` date is set (state removed/purging/purged). */
  removed: boolean;
  /** The `created` timestamp in ms, when Rancher sent one. */
  createdMs: number | null;
  /**
   * Rancher's `startCount`: how many times the container reached running (cattle default 0). Tells a
   * restart that landed from one that never arrived; absent when Rancher did not send it.
   */
  startCount?: number;
  /**
   * Rancher's `healthState` (healthy, unhealthy, initializing, updating-healthy, ...) when the container
   * has a health check; absent when Rancher sent none (no health check).
   */
  healthState?: string;
  fields: Readonly<Partial<Record<CreateOnlyField, unknown>>>;
}>;
