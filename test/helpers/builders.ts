/**
 * The only place test objects are shaped. A change to a domain type breaks this file, not every test.
 */
import { initialApiStatus, summarizePhases, type DaemonStatus, type StatusDocument } from '../../src/domain/status.js';
import type { CreateOnlyField, DesiredInstance, InstanceSpec, LiveInstance, Transitioning } from '../../src/domain/instance.js';
import type { InventoryEntry } from '../../src/domain/plan.js';
import type { DesiredReader } from '../../src/manifest/store.js';
import type { ReconcilerEvent } from '../../src/observability/event-model.js';
import { containerActionNames, instanceStates, isActionAvailable, transitioningStates, type InstanceState } from '../../src/emulator/state-machine.js';

/**
 * How Rancher shows a container in each state comes from the emulator's state machine, our one model of
 * Rancher, which test/unit/emulator/state-machine.test.ts checks against its own copy of the API's table.
 * The code these builders feed (domain, controller, client) shares nothing with the emulator, so taking
 * the emulator's answer here does not make a test check code against itself; the domain's own
 * transitional-state set (domain/diff-input.ts) is what those tests check, and is deliberately not used.
 */

/** Every instance state of docs/rancher-v1.md#states, in lifecycle order; `restoring` (Rancher <= 1.5 data, never entered) is left out. */
export const liveStates = instanceStates.filter((state): state is LiveState => state !== 'restoring');
export type LiveState = Exclude<InstanceState, 'restoring'>;

/** The `actions` map of a container per state (docs/rancher-v1.md#actions-per-state, user view), names sorted. */
export const actionsByState: Readonly<Record<LiveState, readonly string[]>> = offeredActions();

function offeredActions(): Record<LiveState, readonly string[]> {
  // the loop fills every state of liveStates, so no key is missing
  const table = {} as Record<LiveState, readonly string[]>;
  for (const state of liveStates) table[state] = containerActionNames.filter((action) => isActionAvailable(state, action)).sort();
  return table;
}

export type DesiredOverrides = Partial<Omit<DesiredInstance, 'spec'>> & { spec?: Partial<InstanceSpec> };

/**
 * A valid desired instance `web-1` running `docker:nginx:1.25`; `spec` overrides are merged.
 * @example aDesiredInstance({ state: 'stopped', spec: { description: 'front end' } })
 */
export function aDesiredInstance(overrides: DesiredOverrides = {}): DesiredInstance {
  const { spec, ...rest } = overrides;
  const key = rest.key ?? 'web-1';
  return {
    key,
    state: 'running',
    onImmutableChange: 'block',
    source: { file: 'web.yaml', line: 1, col: 1 },
    ...rest,
    spec: { name: key, imageUuid: 'docker:nginx:1.25', ...spec },
  };
}

/** Rancher's echo of a container created from the default desired instance (unset fields are null). */
function defaultFields(): Record<CreateOnlyField, unknown> {
  return {
    imageUuid: 'docker:nginx:1.25',
    command: null,
    entryPoint: null,
    environment: null,
    labels: { 'io.rancher.container.uuid': 'uuid-1i1', 'io.rancher.container.name': 'web-1' },
    ports: null,
    expose: null,
    dns: null,
    dnsSearch: null,
    hostname: null,
    user: null,
    workingDir: null,
    networkMode: 'managed',
    requestedHostId: null,
    restartPolicy: null,
    privileged: false,
    tty: false,
    stdinOpen: false,
    memory: null,
    cpuShares: null,
  };
}

export type LiveOverrides = Partial<Omit<LiveInstance, 'fields' | 'actions'>> & {
  fields?: Partial<Record<CreateOnlyField, unknown>>;
  actions?: Iterable<string>;
};

/**
 * A live container `1i1` named `web-1`, running and matching `aDesiredInstance()`. `fields` overrides are
 * merged; `actions` replaces the set. For a realistic state use {@link aLiveInstanceIn}.
 * @example aLiveInstance({ description: 'old', fields: { ports: ['8080:80/tcp'] } })
 */
export function aLiveInstance(overrides: LiveOverrides = {}): LiveInstance {
  const { fields, actions, ...rest } = overrides;
  return {
    id: '1i1',
    uuid: 'uuid-1i1',
    name: 'web-1',
    description: null,
    state: 'running',
    transitioning: 'no',
    transitioningMessage: null,
    hostId: '1h1',
    externalId: 'docker-1i1',
    removed: false,
    createdMs: Date.UTC(2026, 10, 27, 11, 0, 0),
    ...rest,
    actions: new Set(actions ?? actionsByState.running),
    fields: { ...defaultFields(), ...fields },
  };
}

/**
 * A live container in `state` as Rancher shows it: the state's `actions`, `transitioning` ('yes' with
 * "In Progress" for transitioning states) and `removed` for removed/purging/purged.
 * @example aLiveInstanceIn('stopped', { id: '1i2' })
 */
export function aLiveInstanceIn(state: LiveState, overrides: LiveOverrides = {}): LiveInstance {
  const transitioning: Transitioning = transitioningStates.has(state) ? 'yes' : 'no';
  return aLiveInstance({
    state,
    transitioning,
    transitioningMessage: transitioning === 'yes' ? 'In Progress' : null,
    removed: state === 'removed' || state === 'purging' || state === 'purged',
    actions: actionsByState[state],
    ...overrides,
  });
}

/**
 * An inventory entry owning `1i1` for key `web-1` (origin created, no restart token).
 * @example anInventoryEntry({ restartToken: 'a', origin: 'adopted' })
 */
export function anInventoryEntry(overrides: Partial<InventoryEntry> = {}): InventoryEntry {
  return {
    key: 'web-1',
    id: '1i1',
    uuid: 'uuid-1i1',
    name: 'web-1',
    origin: 'created',
    createdAt: '2026-11-27T11:00:00.000Z',
    updatedAt: '2026-11-27T11:00:00.000Z',
    ...overrides,
  };
}

/** A DesiredReader over a fixed list of desired instances (nothing blocked), for controller tests. */
export function aDesiredReader(instances: readonly DesiredInstance[], options: Readonly<{ complete?: boolean; revision?: string }> = {}): DesiredReader {
  const byKey = new Map(instances.map((d) => [d.key, d]));
  return {
    get: (key) => byKey.get(key),
    keys: () => [...byKey.keys()],
    blockedBy: () => undefined,
    revision: options.revision ?? 'r1',
    complete: options.complete ?? true,
    loaded: true,
  };
}

/** The status document served before anything is known: no revision, not complete, not ready, no instances. */
export function anEmptyStatusDocument(): StatusDocument {
  return { revision: null, complete: false, ready: false, summary: summarizePhases([]), instances: [], manifestIssues: [], removalsRefused: null, api: initialApiStatus };
}

/** `doc` as the daemon's `GET /status` shows it: the one environment `name` (default `default`). */
export function aDaemonStatus(doc: StatusDocument = anEmptyStatusDocument(), name = 'default'): DaemonStatus {
  return { ready: doc.ready, notReady: doc.ready ? [] : [name], environments: [{ name, ...doc }] };
}

/**
 * A recorded event: `action-failed` (error) of `web-1` in revision `r1`, id 1, at the ManualClock's
 * default start. For code that reads events (notifications, renderers); the EventJournal makes real ones.
 * @example aReconcilerEvent({ kind: 'drift-detected', severity: 'warning', id: 2 })
 */
export function aReconcilerEvent(overrides: Partial<ReconcilerEvent> = {}): ReconcilerEvent {
  return {
    id: 1,
    time: '2026-11-27T12:00:00.000Z',
    kind: 'action-failed',
    severity: 'error',
    key: 'web-1',
    instanceId: '1i42',
    revision: 'r1',
    reason: 'ActionFailed',
    message: 'start instance "web-1" failed: 500 Internal Server Error',
    action: 'start',
    ...overrides,
  };
}
