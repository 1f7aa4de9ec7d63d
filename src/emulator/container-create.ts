/**
 * The records a `POST /v1/containers` makes: `count` copies of one validated body, with the special
 * labels cattle applies at create (docs/rancher-v1.md#create-with-count, #special-labels). Pure apart
 * from the id sequences it draws from the store.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { toSeconds } from './format.js';
import type { EmulatorStore, InstanceRecord } from './store.js';

/** Label whose non-blank value becomes the container's name (cattle `InstancePreCreate.setName`). */
export const displayNameLabel = 'io.rancher.container.display_name';

/** Label cattle sets on every container to its environment's uuid, whatever the request said. */
export const environmentUuidLabel = 'io.rancher.environment.uuid';

/** Dependencies of {@link createRecords}. */
export type CreateDeps = Readonly<{
  store: EmulatorStore;
  clock: Clock;
  /** The uuid of a project by id (undefined for an unknown one: then the label is left as sent). */
  projectUuid: (projectId: string) => string | undefined;
}>;

/**
 * How many containers a body asks for: `count` when it is a number above 1, else one. Cattle's
 * InstanceManager creates `count` instances from the same properties only for `count > 1`; 0, 1,
 * negative or absent all make one.
 */
export function createCount(fields: Readonly<Record<string, unknown>>): number {
  const count = fields['count'];
  return typeof count === 'number' && Number.isInteger(count) && count > 1 ? count : 1;
}

/**
 * The name and labels after cattle's create-time rules: a non-blank display-name label replaces the
 * name (its first `/` dropped, as a docker name has one), and the environment label is overwritten
 * with the project uuid.
 */
export function applySpecialLabels(
  name: unknown, labels: unknown, projectUuid: string | undefined,
): { name: string | null; labels: Record<string, unknown> | undefined } {
  const map = labels !== null && typeof labels === 'object' && !Array.isArray(labels) ? { ...(labels as Record<string, unknown>) } : undefined;
  const display = map?.[displayNameLabel];
  const named = typeof display === 'string' && display.trim() !== '' ? display.replace('/', '') : name;
  if (projectUuid === undefined) return { name: typeof named === 'string' ? named : null, labels: map };
  return { name: typeof named === 'string' ? named : null, labels: { ...map, [environmentUuidLabel]: projectUuid } };
}

/** `createCount(fields)` new records of `kind` in state `requested` for `projectId`, each with fresh ids and uuid. */
export function createRecords(
  deps: CreateDeps, projectId: string, kind: InstanceRecord['kind'], fields: Readonly<Record<string, unknown>>,
): InstanceRecord[] {
  const { name, description = null, count: _count, instanceLinks: _links, labels, ...rest } = fields;
  const special = applySpecialLabels(name, labels, deps.projectUuid(projectId));
  const records: InstanceRecord[] = [];
  for (let index = 0; index < createCount(fields); index += 1) {
    records.push({
      id: deps.store.nextInstanceId(),
      projectId,
      uuid: randomUUID(),
      kind,
      created: toSeconds(deps.clock.now()),
      createIndex: deps.store.nextCreateIndex(),
      name: special.name,
      description: description as string | null,
      state: 'requested',
      transitioningError: false,
      transitioningMessage: null,
      hostId: null,
      externalId: null,
      primaryIpAddress: null,
      firstRunning: null,
      removed: null,
      startCount: 0,
      healthState: null,
      fields: special.labels === undefined ? { ...rest } : { ...rest, labels: special.labels },
    });
  }
  return records;
}
