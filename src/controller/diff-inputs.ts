/**
 * The one place where `diff`'s inputs for a key are gathered: the desired instance, the inventory entry
 * with its live container (cache first; one GET by id to tell "gone" or when the event stream is down),
 * same-name containers and who owns them, a key rename, and the revision's removal and recreate
 * policies. The reconciler and `plan` both call it, so a preview cannot drift from what a pass does.
 */
import type { Logger } from '../logger.js';
import type { Claim, DiffInput, OwnedLive, RecreatePolicy, RemovalPolicy } from '../domain/diff.js';
import type { InstanceKey, LiveInstance } from '../domain/instance.js';
import { createdForKey } from '../domain/ownership.js';
import { replacementName } from '../domain/replace.js';
import { isDying } from '../domain/diff-input.js';
import type { InventoryEntry } from '../domain/plan.js';
import type { InstanceApi, LiveReader } from '../domain/ports.js';
import { formatIssue } from '../manifest/issues.js';
import type { DesiredReader } from '../manifest/store.js';

/** The inventory as `diff` inputs read it (the writable Inventory and plan's read-only one). */
export type InventoryView = Readonly<{
  get(key: InstanceKey): InventoryEntry | undefined;
  ownerOf(id: string): InstanceKey | undefined;
}>;

/** Where the inputs come from. */
export type DiffSources = Readonly<{
  desired: DesiredReader;
  inventory: InventoryView;
  live: LiveReader & { readonly streaming?: boolean };
  api: Pick<InstanceApi, 'get' | 'findByName'>;
  clock: Readonly<{ now(): number }>;
  removalPolicy: (key: InstanceKey) => RemovalPolicy;
  recreatePolicy: (key: InstanceKey) => RecreatePolicy;
  /** Whether the whole daemon is suspended now (controller/suspension.ts); absent = never (`plan`, `apply`). */
  daemonSuspended?: () => boolean;
  /** Whether this replica is a standby now (leader/elector.ts); absent = never (one process, `plan`, `apply`). */
  standby?: () => boolean;
  /**
   * `plan`/`apply` on a subset (subset.ts): whether a key is in it. A container owned by a key outside
   * the subset is never taken over (a key rename moves it only when both keys are in the run). Absent:
   * the whole tree.
   */
  inSubset?: (key: InstanceKey) => boolean;
  log: Logger;
}>;

/** What the reconciler remembers about a key between passes (`plan` starts with none of it). */
export type PassMemory = Readonly<{
  /** The last create's answer was lost: ask Rancher by name first (the cache may not show it yet). */
  createInDoubt: boolean;
  /**
   * Read the owned container with a GET instead of trusting the cache: the polling fallback while the
   * event stream is down, and now and then during a long wait (reconciler.ts decides when).
   */
  readFresh: boolean;
  errorRetriesExhausted: boolean;
}>;

export const noMemory: PassMemory = { createInDoubt: false, readFresh: false, errorRetriesExhausted: false };

/** The inputs, and the live container the pass is about (for status and the actions' context). */
export type GatheredInput = Readonly<{ input: DiffInput; target: LiveInstance | undefined }>;

/**
 * The owned container: from the cache, or (when the cache does not know the id, or the stream is down
 * and the key is being observed) from one GET by id. The same id with another uuid is another container
 * (a rebuilt server reuses ids): ours is gone.
 */
async function ownedLive(sources: DiffSources, entry: InventoryEntry, memory: PassMemory, signal: AbortSignal | undefined): Promise<OwnedLive> {
  const { live, api, log } = sources;
  const cached = live.get(entry.id);
  let found = cached !== undefined && !memory.readFresh ? cached : undefined;
  if (found === undefined) {
    if (!live.ready) return 'unseen';
    const sentAtMs = sources.clock.now();
    found = await api.get(entry.id, signal);
    if (found === undefined) return 'gone';
    live.observe(found, sentAtMs);
  }
  if (entry.uuid !== null && found.uuid !== null && found.uuid !== entry.uuid) {
    log.warn({ key: entry.key, instanceId: entry.id, uuid: found.uuid, ownedUuid: entry.uuid }, 'owned id now names another container');
    return 'gone';
  }
  return found;
}

function claimsOf(sources: DiffSources, key: InstanceKey, named: readonly LiveInstance[]): Map<string, Claim> {
  const claims = new Map<string, Claim>();
  for (const live of named) {
    const owner = sources.inventory.ownerOf(live.id);
    const entry = owner === undefined ? undefined : sources.inventory.get(owner);
    if (owner === undefined || owner === key || entry === undefined) continue;
    // an owner outside the subset counts as declared: its container stays where it is, as for a live clash
    const stillDeclared = sources.desired.get(owner) !== undefined || sources.desired.blockedBy(owner) !== undefined;
    const outsideRun = !stillDeclared && sources.inSubset?.(owner) === false;
    claims.set(live.id, { key: owner, entry, declared: stillDeclared || outsideRun, ...(outsideRun ? { outsideRun: true as const } : {}) });
  }
  return claims;
}

/** A declared key without an entry whose Rancher name is this orphan's: it takes the container over. */
function renamedTo(sources: DiffSources, entry: InventoryEntry): InstanceKey | undefined {
  const { desired, inventory } = sources;
  return desired.keys().find((k) => k !== entry.key && inventory.get(k) === undefined && desired.get(k)?.spec.name === entry.name);
}

/** Containers created for `key` (by our labels) that no key owns: what a lost inventory left. */
function createdFor(sources: DiffSources, key: InstanceKey): LiveInstance[] {
  return sources.live.all().filter((l) => createdForKey(l) === key && sources.inventory.ownerOf(l.id) === undefined);
}

/** Live containers named as `key`'s replacement, created for it and owned by no key (domain/replace.ts). */
function replacementsOf(sources: DiffSources, key: InstanceKey, name: string, entry: InventoryEntry | undefined): LiveInstance[] {
  const known = entry?.replacement?.id;
  return sources.live.byName(replacementName(name)).filter((l) => l.id !== known && !isDying(l) && createdForKey(l) === key && sources.inventory.ownerOf(l.id) === undefined);
}

/** Gathers `diff`'s input for `key`. Reads the API only for GET by id and (create in doubt) by name. */
export async function gatherDiffInput(key: InstanceKey, sources: DiffSources, memory: PassMemory, signal?: AbortSignal): Promise<GatheredInput> {
  const { desired: store, inventory, live } = sources;
  const desired = store.get(key);
  const issue = store.blockedBy(key);
  if (desired !== undefined && memory.createInDoubt) {
    const sentAtMs = sources.clock.now();
    // a replace's create may be the one in doubt: its replacement has the temporary name
    const names = desired.onImmutableChange === 'replace' ? [desired.spec.name, replacementName(desired.spec.name)] : [desired.spec.name];
    for (const name of names) {
      for (const found of await sources.api.findByName(name, signal)) live.observe(found, sentAtMs);
    }
  }
  let entry = inventory.get(key);
  let owned = entry === undefined ? undefined : { entry, live: await ownedLive(sources, entry, memory, signal) };
  // another key's pass may have moved this entry away (a rename) while the GET ran: judge what is there now
  if (inventory.get(key) !== entry) {
    entry = inventory.get(key);
    owned = entry === undefined ? undefined : { entry, live: await ownedLive(sources, entry, memory, signal) };
  }
  const named = desired !== undefined ? live.byName(desired.spec.name) : entry === undefined ? createdFor(sources, key) : [];
  const claims = claimsOf(sources, key, named);
  const replacement = entry?.replacement === undefined ? undefined : await ownedLive(sources, { ...entry, ...entry.replacement }, memory, signal);
  const candidates = desired === undefined ? [] : replacementsOf(sources, key, desired.spec.name, entry);
  const movingTo = desired === undefined && issue === undefined && entry !== undefined ? renamedTo(sources, entry) : undefined;
  const input: DiffInput = {
    key,
    desired,
    ...(issue === undefined ? {} : { manifestIssue: formatIssue(issue) }),
    ...(owned === undefined ? {} : { owned }),
    named,
    claims,
    ...(movingTo === undefined ? {} : { movingTo }),
    ...(replacement === undefined ? {} : { replacement }),
    ...(candidates.length === 0 ? {} : { candidates }),
    removal: sources.removalPolicy(key),
    recreate: sources.recreatePolicy(key),
    errorRetriesExhausted: memory.errorRetriesExhausted,
    ...(sources.daemonSuspended?.() === true ? { daemonSuspended: true } : {}),
    ...(sources.standby?.() === true ? { standby: true } : {}),
  };
  const ownedTarget = owned !== undefined && typeof owned.live === 'object' ? owned.live : undefined;
  return { input, target: ownedTarget ?? (named.length === 1 ? named[0] : undefined) };
}
