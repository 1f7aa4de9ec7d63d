/**
 * What the reconciler may do for one key: the inventory record it keeps, the actions it can run and the
 * Plan that `diff` returns. Pure types plus small pure helpers; no I/O.
 */
import { assertNever } from '../errors.js';
import type { InstanceKey, InstanceSpec } from './instance.js';

/**
 * One owned instance in the inventory: manifest key -> the Rancher container we created or adopted.
 * `restartToken` is the last token applied (restarted for, or taken as applied at create/adopt time);
 * `stopTimeout` is kept so a prune after the manifest is gone still stops with the declared timeout.
 */
export type InventoryEntry = Readonly<{
  key: InstanceKey;
  id: string;
  uuid: string | null;
  /** The Rancher name we last set or saw. */
  name: string;
  origin: 'created' | 'adopted';
  restartToken?: string;
  stopTimeout?: number;
  /**
   * Set from the removal of a recreate until the new container matches its desired state again: the key
   * holds one of the `--max-unavailable` slots. Kept on disk, so a restart does not free the slot early.
   */
  recreating?: true;
  /**
   * A restart whose answer was lost: the token is recorded as applied (never restarted twice), and
   * `startCount` (Rancher's, before the restart) tells later whether it landed.
   */
  pendingRestart?: Readonly<{ token: string; startCount?: number }>;
  /**
   * `onImmutableChange: replace` in progress: the new container, created beside `id` under a temporary
   * name. The entry moves over to it once the old container is going (domain/replace.ts).
   */
  replacement?: Readonly<{ id: string; uuid: string | null }>;
  /**
   * The manifest said `prune: false`: the container is never removed by prune, not even once the
   * manifest is gone (that is why it lives here and not only in the manifest). Absent = prunable.
   */
  prune?: false;
  /** ISO timestamps, stamped by the controller (diff has no clock). */
  createdAt: string;
  updatedAt: string;
}>;

/** An inventory entry without its timestamps: what `diff` can decide on its own. */
export type InventoryRecord = Omit<InventoryEntry, 'createdAt' | 'updatedAt'>;

/** The fields of an entry a plan may change in place. */
export type InventoryPatch = Readonly<{
  [K in 'id' | 'uuid' | 'name' | 'restartToken' | 'stopTimeout' | 'recreating' | 'pendingRestart' | 'replacement' | 'prune']?: InventoryEntry[K] | undefined;
}>;

/**
 * A change to the inventory that a plan asks for, independent of any API call. The controller applies it
 * (stamping times) before running the plan's first action:
 * - `adopt`: write (or replace) the key's entry;
 * - `patch`: merge into the existing entry;
 * - `move`: the entry of `from` (an orphan: its manifest is gone) becomes this key's entry (a key rename);
 * - `forget`: delete the key's entry (its instance is gone).
 * A patch value `undefined` clears that field.
 */
export type InventoryEffect =
  | Readonly<{ kind: 'adopt'; record: InventoryRecord }>
  | Readonly<{ kind: 'move'; from: InstanceKey; record: InventoryRecord }>
  | Readonly<{ kind: 'patch'; changes: InventoryPatch }>
  | Readonly<{ kind: 'forget' }>;

/**
 * POST a new container. On success the controller records it (origin `created`) with `record`; a
 * replacement (`replaces`: the id of the container it will replace) is recorded as the entry's
 * `replacement` instead.
 */
export type CreateAction = Readonly<{
  kind: 'create';
  spec: InstanceSpec;
  startOnCreate: boolean;
  replaces?: string;
  /** Stored in the new inventory entry: the restart token counts as applied at creation. */
  record: Readonly<{ restartToken?: string; stopTimeout?: number; recreating?: true; prune?: false }>;
}>;

/** PUT name and/or description. `previous` holds the live values, for plan output. */
export type UpdateAction = Readonly<{
  kind: 'update';
  id: string;
  changes: Readonly<{ name?: string; description?: string }>;
  previous: Readonly<{ name?: string | null; description?: string | null }>;
}>;

export type StartAction = Readonly<{ kind: 'start'; id: string }>;

/** The `stop` action; `timeout` (seconds) is the manifest's stopTimeout when declared. */
export type StopAction = Readonly<{ kind: 'stop'; id: string; timeout?: number }>;

/** The `restart` action for a new restart token; the controller records `token` once the call succeeds. */
export type RestartAction = Readonly<{ kind: 'restart'; id: string; token: string }>;

/**
 * Remove a container. `via: 'stop'` is `stop {remove: true, timeout}` (a running container, where the
 * `remove` action is not offered); `via: 'remove'` is the `remove` action (stopped, error, ...).
 */
export type RemoveAction = Readonly<{
  kind: 'remove';
  id: string;
  via: 'stop' | 'remove';
  timeout?: number;
  /**
   * prune: the manifest is gone; recreate: a create-only field changed; twin: a surplus container we
   * created; replace: the old container, once its replacement runs; replacement: a replacement that no
   * longer matches the manifest (or whose manifest is gone).
   */
  purpose: 'prune' | 'recreate' | 'twin' | 'replace' | 'replacement';
}>;

export type Action = CreateAction | UpdateAction | StartAction | StopAction | RestartAction | RemoveAction;
export type ActionKind = Action['kind'];

/**
 * One difference, for plan output and status. `field` is a spec field, a map entry (`environment.FOO`),
 * or the pseudo-fields `state` and `restartToken`. Sensitive values (environment) are never carried:
 * `from`/`to` are then the string `'(sensitive)'` and `sensitive` is true.
 */
export type FieldChange = Readonly<{ field: string; from: unknown; to: unknown; sensitive?: true }>;

export type WaitReason = 'transitioning' | 'not-yet-visible' | 'action-not-offered' | 'recreate-paced' | 'replacing';

export type BlockedReason =
  | 'manifest-invalid'
  | 'immutable-field-changed'
  | 'duplicate-name'
  | 'live-in-error'
  | 'removal-frozen'
  | 'over-delete-budget'
  | 'replace-failed';

/** Why an in-sync plan has nothing to do beyond the ordinary. */
export type InSyncNote =
  | 'unmanaged'
  | 'orphan-kept'
  | 'gone'
  | 'moving'
  /** The manifest is gone but its entry says `prune: false`: kept, never a removal. */
  | 'protected'
  /** `spec.suspend: true`: nothing is done for the key (domain/suspension.ts). */
  | 'suspended'
  /** The whole daemon is suspended (POST /suspend) and the key had something to do: held. */
  | 'daemon-suspended'
  /** This replica does not lead the environment (leader/elector.ts) and the key had something to do: held. */
  | 'standby';

/**
 * The outcome of `diff` for one key. Every kind may carry an `inventory` effect, applied by the
 * controller first (adopting is safe even when the plan then waits or is blocked).
 * - `in-sync`: nothing to do (`note` says why when the key has no manifest);
 * - `wait`: look again later; never act mid-transition or with an action Rancher does not offer;
 * - `act`: the full ordered action list (for output); the reconciler runs only the first per pass;
 * - `blocked`: terminal until the manifest or the live state changes.
 * `notices` are things an operator must see that need no action from us (a same-name container we do
 * not own, a restart that may not have landed).
 */
export type Plan = (
  | Readonly<{ kind: 'in-sync'; note?: InSyncNote }>
  | Readonly<{ kind: 'wait'; reason: WaitReason; message: string }>
  | Readonly<{
      kind: 'act';
      actions: readonly [Action, ...Action[]];
      changes: readonly FieldChange[];
    }>
  | Readonly<{
      kind: 'blocked';
      reason: BlockedReason;
      message: string;
      changes?: readonly FieldChange[];
    }>
) &
  Readonly<{ inventory?: InventoryEffect; notices?: readonly string[] }>;

export type PlanKind = Plan['kind'];

/** Renders a value for plan text: strings quoted, everything else as JSON. */
function show(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  return JSON.stringify(value);
}

/** One line per change, e.g. `description: 'a' -> 'b'`; sensitive values print as `(sensitive)`. */
export function describeChanges(changes: readonly FieldChange[]): string[] {
  return changes.map((c) => (c.sensitive ? `${c.field}: (sensitive changed)` : `${c.field}: ${show(c.from)} -> ${show(c.to)}`));
}

const removePurposeText: Readonly<Record<RemoveAction['purpose'], string>> = {
  prune: '',
  recreate: 'recreate: ',
  twin: 'surplus twin: ',
  replace: '',
  replacement: 'outdated replacement: ',
};

/** A short human description of one action, e.g. `stop 1i5 (timeout 10s)`. */
export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'create':
      return `create ${show(action.spec.name)} (${action.startOnCreate ? 'started' : 'stopped'}${action.replaces === undefined ? '' : `, to replace ${action.replaces}`})`;
    case 'update':
      return `update ${action.id} (${Object.keys(action.changes).join(', ')})`;
    case 'start':
      return `start ${action.id}`;
    case 'stop':
      return `stop ${action.id}${action.timeout === undefined ? '' : ` (timeout ${action.timeout}s)`}`;
    case 'restart':
      return `restart ${action.id} (token ${show(action.token)})`;
    case 'remove': {
      const how = action.via === 'stop' ? 'stop+remove' : 'remove';
      const why = removePurposeText[action.purpose];
      return `${why}${how} ${action.id}${action.timeout === undefined ? '' : ` (timeout ${action.timeout}s)`}`;
    }
    default:
      return assertNever(action, 'action');
  }
}
