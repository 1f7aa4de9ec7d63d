/**
 * The v1 instance state machine as a pure transition table (docs/rancher-v1.md#states). No clock, no I/O:
 * the lifecycle module walks the `steps` this returns, one transition duration per step.
 */

/** Every v1 instance state (docs/rancher-v1.md#states; `restoring` kept for Rancher <= 1.5 data, never entered here). */
export const instanceStates = [
  'requested', 'creating', 'starting', 'running', 'restarting', 'updating-running', 'stopping', 'stopped',
  'updating-stopped', 'migrating', 'erroring', 'error', 'removing', 'removed', 'purging', 'purged', 'restoring',
] as const;

/** One v1 instance state. */
export type InstanceState = (typeof instanceStates)[number];

/** States in which `transitioning` is `yes` (docs/rancher-v1.md#transitioning). */
export const transitioningStates: ReadonlySet<InstanceState> = new Set<InstanceState>([
  'creating', 'starting', 'stopping', 'restarting', 'removing', 'purging', 'updating-running', 'updating-stopped',
  'migrating', 'erroring', 'restoring',
]);

/** Start states of each process-backed action (docs/rancher-v1.md#process-start-states, Rancher 1.6 definitions). */
const processStartStates: Readonly<Record<string, readonly InstanceState[]>> = {
  create: ['requested'],
  start: ['stopped', 'creating'],
  stop: ['creating', 'running', 'starting', 'restarting', 'updating-running', 'updating-stopped'],
  restart: ['running'],
  remove: ['requested', 'creating', 'updating-running', 'updating-stopped', 'stopped', 'erroring', 'error'],
  purge: ['removed'],
  update: ['stopped', 'running'],
  migrate: ['running'],
  error: ['creating', 'stopped'],
  // never offered: restore is hidden in 1.6; allocate/deallocate and the health processes key on other fields
  restore: [],
  allocate: [],
  deallocate: [],
  updatehealthy: [],
  updateunhealthy: [],
  updatereinitializing: [],
};

/** Availability of the container actions that have no process (docs/rancher-v1.md#actions-per-state). */
const nonProcessStates: Readonly<Record<string, readonly InstanceState[] | 'always' | 'never'>> = {
  logs: ['running', 'stopped', 'stopping'],
  execute: ['running'],
  proxy: ['running'],
  setlabels: 'always',
  // and the `console` capability (requiredCapability), which only virtual machines have
  console: ['running'],
};

/** Capabilities an action needs besides its states (cattle's `attributes.capability` on the action). */
const requiredCapability: Readonly<Record<string, string>> = { console: 'console' };

/**
 * Whether `action` appears in the `actions` map of an instance in `state` with `capabilities` (none for
 * a container; `console` for a virtual machine). Unknown action names are never available (the caller
 * tells InvalidAction from ActionNotAvailable with the schema).
 */
export function isActionAvailable(state: InstanceState, action: string, capabilities: readonly string[] = []): boolean {
  const needed = requiredCapability[action];
  if (needed !== undefined && !capabilities.includes(needed)) return false;
  const starts = processStartStates[action];
  if (starts) return starts.includes(state);
  const rule = nonProcessStates[action];
  if (rule === undefined || rule === 'never') return false;
  return rule === 'always' || rule.includes(state);
}

/** Options that shape a sequence: the create's `startOnCreate`, the stop's `remove`, the start's failure. */
export type TransitionOptions = Readonly<{
  startOnCreate?: boolean;
  remove?: boolean;
  /** The start step fails (fault injection: an image whose start fails). */
  startFails?: boolean;
  /** The start is the one chained from create (a failure then ends in `error`, else in `stopped`). */
  fromCreate?: boolean;
  /** The instance's capabilities (virtual machines: `console`); default none. */
  capabilities?: readonly string[];
}>;

/** A timed sequence: each `steps` state lasts one transition duration, then the instance rests in `final`. */
export type Transition = Readonly<{
  steps: readonly InstanceState[];
  final: InstanceState;
  /** The sequence ends with a failed start: `transitioning` becomes `error`. */
  failed: boolean;
  /**
   * The `transitioningMessage` a failed sequence ends with, when the failure has its own text (a port
   * conflict); absent: the compute failure `Failing [compute.instance.activate]`.
   */
  message?: string;
}>;

/** Result of asking the table: a sequence, a non-process action, or why the action is refused. */
export type TransitionResult =
  | Readonly<{ kind: 'process'; transition: Transition }>
  | Readonly<{ kind: 'non-process' }>
  | Readonly<{ kind: 'not-available' }>
  | Readonly<{ kind: 'invalid-action' }>;

/** Action names a container schema declares (docs/rancher-v1.md#declared-actions). */
export const containerActionNames: readonly string[] = [
  ...Object.keys(processStartStates), ...Object.keys(nonProcessStates),
];

/** The state sequence of a start, including a failure (docs/rancher-v1.md#lifecycle, start failure). */
function startSequence(options: TransitionOptions): Transition {
  if (!options.startFails) return { steps: ['starting'], final: 'running', failed: false };
  if (options.fromCreate) return { steps: ['starting', 'stopping', 'erroring'], final: 'error', failed: true };
  return { steps: ['starting', 'stopping'], final: 'stopped', failed: true };
}

/** The sequence a process runs from `state` (which must be a valid start state). */
function sequenceFor(action: string, state: InstanceState, options: TransitionOptions): Transition {
  const ok = (steps: InstanceState[], final: InstanceState): Transition => ({ steps, final, failed: false });
  switch (action) {
    case 'create': {
      if (options.startOnCreate === false) return ok(['creating'], 'stopped');
      const start = startSequence({ ...options, fromCreate: true });
      return { ...start, steps: ['creating', ...start.steps] };
    }
    case 'start':
      return startSequence(options);
    case 'stop':
      // stop {remove:true} chains remove straight from stopping: `stopped` is never visible (docs/rancher-v1.md#lifecycle)
      return options.remove ? ok(['stopping', 'removing'], 'removed') : ok(['stopping'], 'stopped');
    case 'restart': {
      const start = startSequence(options);
      return { ...start, steps: ['restarting', 'stopping', ...start.steps] };
    }
    case 'remove':
      return ok(['removing'], 'removed');
    case 'purge':
      return ok(['purging'], 'purged');
    case 'update':
      return state === 'running' ? ok(['updating-running'], 'running') : ok(['updating-stopped'], 'stopped');
    case 'migrate':
      return ok(['migrating'], 'running');
    case 'error':
      return ok(['erroring'], 'error');
    default:
      return ok([], state);
  }
}

/**
 * Looks up what `action` does to a container in `state`. Pure: same input, same output.
 * - unknown action name: `invalid-action` (422 InvalidAction)
 * - known but not in the current `actions` map: `not-available` (422 ActionNotAvailable)
 * - logs/execute/proxy/setlabels: `non-process` (answered at once, no state change)
 * - otherwise the timed sequence.
 */
export function transitionFor(state: InstanceState, action: string, options: TransitionOptions = {}): TransitionResult {
  if (!containerActionNames.includes(action)) return { kind: 'invalid-action' };
  if (!isActionAvailable(state, action, options.capabilities)) return { kind: 'not-available' };
  if (Object.hasOwn(nonProcessStates, action)) return { kind: 'non-process' };
  return { kind: 'process', transition: sequenceFor(action, state, options) };
}

/**
 * What `DELETE /v1/containers/{id}` does (docs/rancher-v1.md#delete): `remove` where the remove process can start,
 * otherwise `stop` with `remove:true` where stop can start (a running container), `already-removed`
 * for removed/purging/purged (answered with the body unchanged), else `refused` (405, as the generic
 * delete path does when no process can start).
 */
export function deleteFor(state: InstanceState): 'remove' | 'stop-remove' | 'already-removed' | 'refused' {
  if (isActionAvailable(state, 'remove')) return 'remove';
  if (isActionAvailable(state, 'stop')) return 'stop-remove';
  if (state === 'removed' || state === 'purging' || state === 'purged') return 'already-removed';
  return 'refused';
}
