import type { InstanceState } from './state-machine.js';

/** One stored container. Mutable by the lifecycle and route handlers only; rendered on every read. */
export type InstanceRecord = {
  readonly id: number;
  readonly projectId: string;
  readonly uuid: string;
  readonly kind: 'container';
  /** Epoch ms, whole seconds. */
  readonly created: number;
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

  /** Listed records whose name is exactly `name`, ascending id. */
  listedByName(name: string): InstanceRecord[] {
    const set = this.#byName.get(name);
    if (!set) return [];
    return [...set].filter((record) => record.removed === null).sort((a, b) => a.id - b.id);
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
    let set = this.#byName.get(name);
    if (!set) this.#byName.set(name, (set = new Set()));
    set.add(record);
  }

  #unindexName(record: InstanceRecord): void {
    if (record.name === null) return;
    const set = this.#byName.get(record.name);
    set?.delete(record);
    if (set?.size === 0) this.#byName.delete(record.name);
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

/** Every project's containers plus the shared hosts and the id sequence. */
export class EmulatorStore {
  readonly #projects = new Map<string, ProjectStore>();
  readonly hosts: readonly HostRecord[];
  #nextId = 1;

  constructor(deps: { projects: readonly string[]; hosts: readonly HostRecord[] }) {
    for (const project of deps.projects) this.#projects.set(project, new ProjectStore());
    this.hosts = deps.hosts;
  }

  /** The store of a known project, or undefined. */
  project(projectId: string): ProjectStore | undefined {
    return this.#projects.get(projectId);
  }

  /** Allocates the next instance id (global across projects, like the database sequence). */
  nextInstanceId(): number {
    return this.#nextId++;
  }
}
