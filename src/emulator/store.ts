import { collationKey } from './collation.js';
import { formatId } from './format.js';
import type { HealthState } from './health.js';
import type { InstanceState } from './state-machine.js';
import type { InstanceKind } from './virtual-machine.js';

/** One stored container. Mutable by the lifecycle and route handlers only; rendered on every read. */
export type InstanceRecord = {
  readonly id: number;
  readonly projectId: string;
  readonly uuid: string;
  /** `virtualMachine` instances share the table, ids and lifecycle (virtual-machine.ts). */
  readonly kind: InstanceKind;
  /** Epoch ms, whole seconds. */
  readonly created: number;
  /**
   * Creation sequence number (1, 2, ...; emulator-wide, survives restarts with a data file). Emulator
   * bookkeeping for checkers: the API keeps rendering `createIndex` as Rancher does for a standalone
   * container (null; cattle sets it for service members only).
   */
  readonly createIndex: number;
  name: string | null;
  description: string | null;
  state: InstanceState;
  /** Stored `transitioning` override: `error` after a failed process, else computed from the state. */
  transitioningError: boolean;
  /** Stored message: the failure text, or null (the default "In Progress" is computed). */
  transitioningMessage: string | null;
  hostId: number | null;
  externalId: string | null;
  primaryIpAddress: string | null;
  firstRunning: number | null;
  removed: number | null;
  startCount: number;
  /**
   * `healthState` (docs/rancher-v1.md#health-state): null without a health check; set by the emulator's
   * health checks (fault plan `healthImages`).
   */
  healthState: HealthState | null;
  /** Create-time inputs, validated, with schema defaults applied (imageUuid, environment, labels, ...). */
  readonly fields: Record<string, unknown>;
};

/** A simulated host (ids `1h1..1hN`, shared by every project: an emulator simplification). */
export type HostRecord = Readonly<{ id: number; uuid: string; created: number; hostname: string }>;

/**
 * Containers of one project: an id-ordered map, the id-ordered list of listed (non-removed) records and a
 * name index, so a page or a name lookup never walks the whole store.
 */
export class ProjectStore {
  readonly #byId = new Map<number, InstanceRecord>();
  /** Records without `removed`, ascending id (ids only ever grow, so appends keep it sorted). */
  readonly #listed: InstanceRecord[] = [];
  readonly #byName = new Map<string, Set<InstanceRecord>>();

  /** Adds a new record (its id must be greater than every id already stored). */
  add(record: InstanceRecord): void {
    this.#byId.set(record.id, record);
    if (record.removed === null) this.#listed.push(record);
    this.#indexName(record, record.name);
  }

  /** The record with this id, removed or not, or undefined. */
  get(id: number): InstanceRecord | undefined {
    return this.#byId.get(id);
  }

  /** Listed (non-removed) records, ascending id. Callers must not mutate the array. */
  listed(): readonly InstanceRecord[] {
    return this.#listed;
  }

  /** Listed records whose name equals `name` under the database collation (collation.ts), ascending id. */
  listedByName(name: string): InstanceRecord[] {
    const set = this.#byName.get(collationKey(name));
    if (!set) return [];
    return [...set].filter((record) => record.removed === null).sort((a, b) => a.id - b.id);
  }

  /** Every stored record, removed and purged included, ascending id. */
  all(): IterableIterator<InstanceRecord> {
    return this.#byId.values();
  }

  /** Number of stored records, removed included. */
  get size(): number {
    return this.#byId.size;
  }

  /** Renames a record, keeping the name index right. */
  rename(record: InstanceRecord, name: string | null): void {
    this.#unindexName(record);
    record.name = name;
    this.#indexName(record, name);
  }

  /** Marks a record removed at `atMs`: it leaves the list views but stays readable by id. */
  markRemoved(record: InstanceRecord, atMs: number): void {
    if (record.removed !== null) return;
    record.removed = atMs;
    const index = lowerBound(this.#listed, record.id);
    if (this.#listed[index] === record) this.#listed.splice(index, 1);
  }

  #indexName(record: InstanceRecord, name: string | null): void {
    if (name === null) return;
    const key = collationKey(name);
    let set = this.#byName.get(key);
    if (!set) this.#byName.set(key, (set = new Set()));
    set.add(record);
  }

  #unindexName(record: InstanceRecord): void {
    if (record.name === null) return;
    const key = collationKey(record.name);
    const set = this.#byName.get(key);
    set?.delete(record);
    if (set?.size === 0) this.#byName.delete(key);
  }
}

/** Index of the first record whose id is >= `id` in an ascending list. */
export function lowerBound(records: readonly InstanceRecord[], id: number): number {
  let low = 0;
  let high = records.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (records[mid]!.id < id) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The sequences of a store: the next instance id and the next createIndex. */
export type StoreSequences = Readonly<{ nextId: number; nextCreateIndex: number }>;

/** Every project's containers plus the shared hosts, the id sequence and the createIndex sequence. */
export class EmulatorStore {
  readonly #projects = new Map<string, ProjectStore>();
  readonly hosts: readonly HostRecord[];
  #nextId: number;
  #nextCreateIndex: number;

  /** `sequences` continue an earlier store (a restart); default both 1. */
  constructor(deps: { projects: readonly string[]; hosts: readonly HostRecord[]; sequences?: StoreSequences }) {
    for (const project of deps.projects) this.#projects.set(project, new ProjectStore());
    this.hosts = deps.hosts;
    this.#nextId = deps.sequences?.nextId ?? 1;
    this.#nextCreateIndex = deps.sequences?.nextCreateIndex ?? 1;
  }

  /** The store of a known project, or undefined. */
  project(projectId: string): ProjectStore | undefined {
    return this.#projects.get(projectId);
  }

  /**
   * Puts back a record of an earlier store (records in ascending id). A project that is not configured
   * any more keeps its records (unreachable through the API, still saved).
   */
  restore(record: InstanceRecord): void {
    let project = this.#projects.get(record.projectId);
    if (!project) this.#projects.set(record.projectId, (project = new ProjectStore()));
    project.add(record);
  }

  /** Every record of every project, removed and purged included, ascending id. */
  records(): InstanceRecord[] {
    return [...this.#projects.values()].flatMap((project) => [...project.all()]).sort((a, b) => a.id - b.id);
  }

  /** Listed (non-removed) records of every project, project by project (hosts are shared by all projects). */
  *listedRecords(): IterableIterator<InstanceRecord> {
    for (const project of this.#projects.values()) yield* project.listed();
  }

  /** The current sequences (what the next create would get). */
  sequences(): StoreSequences {
    return { nextId: this.#nextId, nextCreateIndex: this.#nextCreateIndex };
  }

  /** Allocates the next instance id (global across projects, like the database sequence). */
  nextInstanceId(): number {
    return this.#nextId++;
  }

  /** Allocates the next createIndex (emulator-wide). */
  nextCreateIndex(): number {
    return this.#nextCreateIndex++;
  }
}

/** A container as `GET /_emulator/containers` shows it: the stored record, unrendered (emulator extension). */
export type RawContainer = Readonly<{
  id: string;
  projectId: string;
  uuid: string;
  name: string | null;
  description: string | null;
  state: string;
  /** Create-time labels (`{}` when none were given); replaced by `setlabels`. */
  labels: Readonly<Record<string, unknown>>;
  startCount: number;
  createIndex: number;
  /** Epoch ms. */
  created: number;
  firstRunning: number | null;
  removed: number | null;
  hostId: string | null;
  externalId: string | null;
  transitioningError: boolean;
  transitioningMessage: string | null;
  /** Every validated create input (imageUuid, environment, labels, ...). */
  fields: Readonly<Record<string, unknown>>;
}>;

/** The raw view of one record (a copy: callers may keep it). */
export function rawContainer(record: InstanceRecord): RawContainer {
  const labels = record.fields['labels'];
  return structuredClone({
    id: formatId('i', record.id), projectId: record.projectId, uuid: record.uuid, name: record.name, description: record.description,
    state: record.state, labels: labels !== null && typeof labels === 'object' ? labels as Record<string, unknown> : {},
    startCount: record.startCount, createIndex: record.createIndex, created: record.created, firstRunning: record.firstRunning,
    removed: record.removed, hostId: record.hostId === null ? null : formatId('h', record.hostId), externalId: record.externalId,
    transitioningError: record.transitioningError, transitioningMessage: record.transitioningMessage, fields: record.fields,
  });
}
