/**
 * What `diff` reads for one key, and the small state predicates it shares with its helpers. Pure types
 * and functions; the controller assembles a DiffInput once per pass (controller/diff-inputs.ts) for both
 * the reconciler and `plan`.
 */
import type { DesiredInstance, InstanceKey, LiveInstance } from './instance.js';
import type { InventoryEntry } from './plan.js';

/**
 * The owned instance as the controller found it: the live instance (removed ones included), `'gone'`
 * when it is confirmed absent (404 on GET by id, a removed resource, or another container now holding
 * the id), or `'unseen'` when the cache does not know the id yet and absence is not confirmed (diff then
 * waits, never creates a twin).
 */
export type OwnedLive = LiveInstance | 'gone' | 'unseen';

/**
 * Whether the controller may remove orphans in this revision (see prune-budget.ts `removalPolicyFor`):
 * `disabled` without --prune, `frozen-incomplete` while a manifest is invalid, `over-budget` when the
 * revision wants more removals than the delete budget, `next-revision` for a key that became an orphan
 * after this revision's decision (decided with the next snapshot).
 */
export type RemovalPolicy = 'disabled' | 'allowed' | 'frozen-incomplete' | 'over-budget' | 'next-revision';

/** Who owns a same-name container: another key, and whether a manifest still declares that key. */
export type Claim = Readonly<{
  key: InstanceKey;
  declared: boolean;
  entry: InventoryEntry;
  /** The owner's manifest is gone but it is outside this run's --only/--selector: counted as declared. */
  outsideRun?: true;
}>;

/**
 * Whether a recreate may take a `--max-unavailable` slot now: `allowed`, or `paced` with who holds the
 * slots. A key that already holds a slot (its entry is `recreating`) always goes on.
 */
export type RecreatePolicy = Readonly<{ kind: 'allowed' }> | Readonly<{ kind: 'paced'; holders: readonly InstanceKey[]; limit: number }>;

/** Everything `diff` looks at for one key. */
export type DiffInput = Readonly<{
  key: InstanceKey;
  /** undefined: no manifest declares the key (an orphan when owned). */
  desired: DesiredInstance | undefined;
  /** Set when the file that declared the key fails to parse/validate: the key is left exactly as it is. */
  manifestIssue?: string;
  owned?: Readonly<{ entry: InventoryEntry; live: OwnedLive }>;
  /**
   * Live instances named `desired.spec.name` (removed ones are ignored); for an orphan, the containers
   * created for this key (by our labels) that nobody owns. Used to adopt, recover and detect twins.
   */
  named: readonly LiveInstance[];
  /** Ids among `named` that other keys own: never adopted, never shared by a twin; moved on a rename. */
  claims?: ReadonlyMap<string, Claim>;
  /** For an orphan: a declared key that takes its container over (a key rename); nothing is removed. */
  movingTo?: InstanceKey;
  /** The live view of the entry's `replacement` (onImmutableChange: replace), when it has one. */
  replacement?: OwnedLive;
  /**
   * Live containers with the key's replacement name (domain/replace.ts), created for this key and owned
   * by no key: a replacement whose create answer or inventory entry was lost.
   */
  candidates?: readonly LiveInstance[];
  /** Default `disabled`. */
  removal?: RemovalPolicy;
  /** Default `allowed`. */
  recreate?: RecreatePolicy;
  /** The live instance is in error and the controller's start-retry budget for it is spent. Default false. */
  errorRetriesExhausted?: boolean;
  /**
   * The whole daemon is suspended (POST /suspend): a plan that would call Rancher or change the
   * inventory is held (domain/suspension.ts). Default false; `plan` never sets it.
   */
  daemonSuspended?: boolean;
  /**
   * This replica is a standby: another leads the environment (leader/elector.ts). A plan with work is
   * held like a suspended daemon's, and records nothing at all (the leader owns the records). Default false.
   */
  standby?: boolean;
}>;

const goneStates: ReadonlySet<string> = new Set(['removed', 'purging', 'purged']);
/** Transitioning states (docs/rancher-v1.md, "States"), plus `requested` (create has not run yet) and `restoring` (<= 1.5). */
const transitionalStates: ReadonlySet<string> = new Set([
  'requested',
  'creating',
  'starting',
  'stopping',
  'restarting',
  'removing',
  'purging',
  'updating-running',
  'updating-stopped',
  'migrating',
  'erroring',
  'restoring',
]);

/** Removed, purging or purged: the instance is as good as gone. */
export function isGone(live: LiveInstance): boolean {
  return live.removed || goneStates.has(live.state);
}

/** Gone, or on its way out. */
export function isDying(live: LiveInstance): boolean {
  return isGone(live) || live.state === 'removing';
}

/** Rancher is still working on it: never act. */
export function isTransitional(live: LiveInstance): boolean {
  return live.transitioning === 'yes' || transitionalStates.has(live.state);
}
