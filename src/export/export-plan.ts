/**
 * What `export` writes, decided from one list of live containers and the inventory, before anything is
 * written: which containers are selected (filters), which cannot be exported and why, the key of each
 * (the inventory's owner key, else the key our labels name, else one made from the Rancher name), and
 * the manifest document. Every decision is chosen so that `plan` afterwards finds only adoptions, and
 * after `--adopt` nothing at all (README.md, "`export`"). Pure.
 */
import type { InstanceKey, LiveInstance } from '../domain/instance.js';
import { isDying } from '../domain/diff-input.js';
import { createdForKey } from '../domain/ownership.js';
import type { InventoryEntry } from '../domain/plan.js';
import { looksSecret } from '../domain/sensitive.js';
import { pluralWord } from '../plural.js';
import { claimKey, isValidKey, keyFromName, TakenKeys } from './export-keys.js';
import { manifestStateOf } from './exportable-states.js';
import { toManifest, type ManifestDocument } from './live-to-manifest.js';

/** The selection: Rancher names (any of them; empty = all), a name prefix, Rancher states. All must hold. */
export type ExportFilters = Readonly<{ names: readonly string[]; namePrefix?: string | undefined; states: readonly string[] }>;

/** The part of the inventory export reads. */
export type OwnershipView = Readonly<{
  get(key: InstanceKey): InventoryEntry | undefined;
  ownerOf(id: string): InstanceKey | undefined;
  entries(): readonly InventoryEntry[];
}>;

/** Where an exported key comes from: the inventory (owned already), our labels (we created it), the name. */
export type KeySource = 'inventory' | 'labels' | 'name';

export type ExportedInstance = Readonly<{
  key: InstanceKey;
  live: LiveInstance;
  keyFrom: KeySource;
  document: ManifestDocument;
}>;

/** One line for the operator. `error`: nothing may be written. */
export type ExportMessage = Readonly<{ level: 'error' | 'warning' | 'note'; message: string }>;

export type ExportPlan = Readonly<{
  /** Sorted by key. */
  instances: readonly ExportedInstance[];
  /** Selected containers that are not exported. */
  skipped: number;
  messages: readonly ExportMessage[];
}>;

/** `"web" (1i3)`, or `1i3 (no name)`: how messages name a container. */
export function describeContainer(live: LiveInstance): string {
  return live.name === null || live.name === '' ? `${live.id} (no name)` : `${JSON.stringify(live.name)} (${live.id})`;
}

const byNameThenId = (a: LiveInstance, b: LiveInstance): number =>
  (a.name ?? '').localeCompare(b.name ?? '', 'en') || a.id.localeCompare(b.id, 'en', { numeric: true });

/** Whether `entry` records `live`: the same id, and the same uuid when both are known (diff-inputs.ts does the same). */
function records(entry: InventoryEntry, live: LiveInstance): boolean {
  return entry.id === live.id && (entry.uuid === null || live.uuid === null || entry.uuid === live.uuid);
}

function ownerKey(live: LiveInstance, ownership: OwnershipView): InstanceKey | undefined {
  const key = ownership.ownerOf(live.id);
  const entry = key === undefined ? undefined : ownership.get(key);
  return entry !== undefined && records(entry, live) ? key : undefined;
}

/** Why a selected container is never exported, or undefined when it can be. */
function exclusion(live: LiveInstance): string | undefined {
  const labels = live.fields.labels !== null && typeof live.fields.labels === 'object' ? (live.fields.labels as Record<string, unknown>) : {};
  const system = labels['io.rancher.container.system'];
  if (system !== undefined) return `is a Rancher system container (${String(system)})`;
  const service = labels['io.rancher.stack_service.name'] ?? labels['io.rancher.project_service.name'];
  if (service !== undefined) return `belongs to the Rancher service ${String(service)}, which manages it`;
  if (manifestStateOf(live.state) === undefined) return `is ${live.state}, neither running nor stopped`;
  return undefined;
}

function matches(live: LiveInstance, filters: ExportFilters): boolean {
  const name = live.name ?? '';
  return (filters.names.length === 0 || filters.names.includes(name)) && (filters.namePrefix === undefined || name.startsWith(filters.namePrefix)) && filters.states.includes(live.state);
}

/** Errors for `--name` values that select nothing, saying which other filter hid the container. */
function missingNames(candidates: readonly LiveInstance[], selected: readonly LiveInstance[], filters: ExportFilters): ExportMessage[] {
  const messages: ExportMessage[] = [];
  for (const name of filters.names) {
    if (selected.some((live) => live.name === name)) continue;
    const hidden = candidates.filter((live) => live.name === name);
    const reasons: string[] = [];
    const states = [...new Set(hidden.map((live) => live.state))].filter((state) => !filters.states.includes(state));
    if (states.length > 0) reasons.push(`it is ${states.join(', ')}, not ${filters.states.join(', ')}: add --include-stopped or --state ${states.join(',')}`);
    if (hidden.length > 0 && filters.namePrefix !== undefined && !name.startsWith(filters.namePrefix)) reasons.push(`it does not start with --name-prefix ${JSON.stringify(filters.namePrefix)}`);
    messages.push({ level: 'error', message: `no container named ${JSON.stringify(name)} to export${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}` });
  }
  return messages;
}

type Pick = Readonly<{ live: LiveInstance; preferred: InstanceKey | undefined; keyFrom: KeySource }>;

/**
 * The containers to export with the key each would like, or a message for each one left out. A name
 * that several live containers share is exported only for the ones the inventory owns: `diff` refuses
 * to adopt by an ambiguous name.
 */
function pickContainers(candidates: readonly LiveInstance[], selected: readonly LiveInstance[], ownership: OwnershipView): { picks: Pick[]; messages: ExportMessage[] } {
  const picks: Pick[] = [];
  const messages: ExportMessage[] = [];
  const reported = new Set<string>();
  for (const live of selected) {
    const excluded = exclusion(live);
    if (excluded !== undefined) {
      messages.push({ level: 'note', message: `container ${describeContainer(live)} ${excluded}: not exported` });
      continue;
    }
    const owner = ownerKey(live, ownership);
    if (owner !== undefined) {
      picks.push({ live, preferred: owner, keyFrom: 'inventory' });
      if (owner !== live.name) messages.push({ level: 'note', message: `container ${describeContainer(live)} is owned by key ${JSON.stringify(owner)} (inventory): exported under that key` });
      continue;
    }
    const namesakes = candidates.filter((other) => other.name === live.name && live.name !== null);
    if (namesakes.length > 1) {
      if (!reported.has(live.name ?? '')) {
        reported.add(live.name ?? '');
        const ids = namesakes.map((other) => other.id).join(', ');
        const owned = namesakes.filter((other) => ownerKey(other, ownership) !== undefined).map((other) => other.id);
        const which = owned.length === 0 ? 'none is owned, so none is exported' : `only the owned ${owned.join(', ')} can be exported`;
        messages.push({ level: 'warning', message: `${namesakes.length} containers are named ${JSON.stringify(live.name)} (${ids}): ${which} (remove or rename all but one)` });
      }
      continue;
    }
    const labelKey = createdForKey(live);
    picks.push(labelKey !== undefined && isValidKey(labelKey) ? { live, preferred: labelKey, keyFrom: 'labels' } : { live, preferred: undefined, keyFrom: 'name' });
  }
  return { picks, messages };
}

type Keyed = Pick & Readonly<{ key: InstanceKey; notes: readonly ExportMessage[] }>;

/**
 * Keys for the picks: owner keys first (they are unique already), then the keys our labels name, then
 * names that are valid keys as they are, then keys made from other names. Every key the inventory holds
 * for a live container is reserved, so that a new key never points `plan` at a container another key owns.
 */
function assignKeys(picks: readonly Pick[], candidates: readonly LiveInstance[], ownership: OwnershipView): Keyed[] {
  const taken = new TakenKeys();
  for (const entry of ownership.entries()) if (candidates.some((live) => records(entry, live))) taken.add(entry.key);
  const keyed: Keyed[] = [];
  const rounds: ((p: Pick) => boolean)[] = [
    (p) => p.keyFrom === 'inventory',
    (p) => p.keyFrom === 'labels',
    (p) => p.keyFrom === 'name' && isValidKey(p.live.name ?? ''),
    (p) => p.keyFrom === 'name' && !isValidKey(p.live.name ?? ''),
  ];
  for (const round of rounds) {
    for (const pick of picks.filter(round)) {
      if (pick.keyFrom === 'inventory') {
        keyed.push({ ...pick, key: pick.preferred ?? pick.live.id, notes: [] });
        continue;
      }
      const fromName = keyFromName(pick.live.name ?? '') ?? `container-${pick.live.id}`;
      const labelKey = pick.keyFrom === 'labels' && pick.preferred !== undefined && !taken.has(pick.preferred) ? pick.preferred : undefined;
      const key = claimKey(labelKey ?? fromName, taken);
      keyed.push({ ...pick, keyFrom: labelKey === undefined ? 'name' : 'labels', key, notes: keyNotes(pick.live, key, labelKey, fromName) });
    }
  }
  return keyed;
}

function keyNotes(live: LiveInstance, key: InstanceKey, labelKey: InstanceKey | undefined, fromName: InstanceKey): ExportMessage[] {
  const container = `container ${describeContainer(live)}`;
  if (key === live.name) return [];
  if (labelKey !== undefined) return [{ level: 'note', message: `${container} was created by rancher-reconciler for key ${JSON.stringify(key)}: exported under that key` }];
  if (key !== fromName) return [{ level: 'note', message: `${container} exported as ${JSON.stringify(key)}: ${JSON.stringify(fromName)} is taken (spec.name keeps the Rancher name)` }];
  return [{ level: 'note', message: `${container} exported as ${JSON.stringify(key)}: its name is not a valid metadata.name (spec.name keeps the Rancher name)` }];
}

/** The document of one keyed pick, with the warnings it needs; undefined when it cannot be written. */
function documentOf(pick: Keyed, ownership: OwnershipView): { instance?: ExportedInstance; messages: ExportMessage[] } {
  const { live, key } = pick;
  const container = `container ${describeContainer(live)}`;
  const entry = pick.keyFrom === 'inventory' ? ownership.get(key) : undefined;
  const result = toManifest(live, key, manifestStateOf(live.state) ?? 'running', { restartToken: entry?.restartToken, stopTimeout: entry?.stopTimeout });
  if (result.kind === 'unexportable') return { messages: [{ level: 'warning', message: `${container} is not exported: ${result.reason}` }] };
  const messages: ExportMessage[] = [...pick.notes];
  if (result.omitted.length > 0) messages.push({ level: 'warning', message: `${container}: left out ${result.omitted.join('; ')}: the manifest format cannot declare it` });
  const environment = result.document.spec['environment'] as Readonly<Record<string, string>> | undefined;
  const secret = Object.keys(environment ?? {}).filter(looksSecret);
  if (secret.length > 0) messages.push({ level: 'warning', message: `${container}: environment ${secret.join(', ')} ${pluralWord(secret.length, 'looks', 'look')} secret; the values are written to the manifest in clear` });
  return { instance: { key, live, keyFrom: pick.keyFrom, document: result.document }, messages };
}

/**
 * Decides the export of `live` (one full list) under `filters`. Dying containers (removing, removed,
 * purged) are never exported. A `--name` that selects nothing is an `error` message.
 */
export function planExport(live: readonly LiveInstance[], ownership: OwnershipView, filters: ExportFilters): ExportPlan {
  const candidates = live.filter((l) => !isDying(l)).sort(byNameThenId);
  const selected = candidates.filter((l) => matches(l, filters));
  const picked = pickContainers(candidates, selected, ownership);
  const messages = [...missingNames(candidates, selected, filters), ...picked.messages];
  const instances: ExportedInstance[] = [];
  for (const pick of assignKeys(picked.picks, candidates, ownership)) {
    const { instance, messages: more } = documentOf(pick, ownership);
    if (instance !== undefined) instances.push(instance);
    messages.push(...more);
  }
  instances.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { instances, skipped: selected.length - instances.length, messages };
}
