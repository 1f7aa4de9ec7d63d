/**
 * What sets a `virtualMachine` instance apart from a container (docs/rancher-v1.md#virtual-machines): its
 * collection (`/v1/virtualmachines`), its schema and display type, and the `console` capability. Both
 * kinds share the instance table, the id prefix `1i`, the state machine and the lifecycle.
 */
import type { CollectionQuery } from './filters.js';

/** The instance kinds the emulator stores. */
export type InstanceKind = 'container' | 'virtualMachine';

/** What a collection path segment lists: the schema it validates and renders with, and the kind it keeps. */
export type InstanceCollection = Readonly<{
  segment: 'containers' | 'virtualmachines' | 'instances';
  typeId: 'container' | 'virtualMachine' | 'instance';
  /** The kind criterion of the list; undefined for `/v1/instances`, which lists every kind. */
  kind: InstanceKind | undefined;
}>;

const collections: readonly InstanceCollection[] = [
  { segment: 'containers', typeId: 'container', kind: 'container' },
  { segment: 'virtualmachines', typeId: 'virtualMachine', kind: 'virtualMachine' },
  { segment: 'instances', typeId: 'instance', kind: undefined },
];

/** The collection a first path segment names, or undefined. */
export function instanceCollectionOf(segment: string | undefined): InstanceCollection | undefined {
  return collections.find((collection) => collection.segment === segment);
}

/** The lower-case collection path of a kind: an instance's links point at its own kind's collection. */
export function collectionPathOf(kind: InstanceKind): 'containers' | 'virtualmachines' {
  return kind === 'virtualMachine' ? 'virtualmachines' : 'containers';
}

/**
 * Capabilities of an instance of `kind`: cattle's VirtualMachinePreCreate gives virtual machines
 * `console`, and nothing gives containers any, so a container never offers `console`.
 */
export function capabilitiesOf(kind: InstanceKind): readonly string[] {
  return kind === 'virtualMachine' ? ['console'] : [];
}

/**
 * `query` with the kind criterion cattle adds for a subtype collection (AbstractJooqResourceManager
 * `getClass` puts `kind = <type>` into the criteria when the schema is not the table's own). Used for
 * the lookup only: the envelope's `filters` show what the client asked, as the criterion is internal.
 */
export function withKindCriterion(query: CollectionQuery, kind: InstanceKind | undefined): CollectionQuery {
  if (kind === undefined) return query;
  const conditions = new Map(query.conditions);
  conditions.set('kind', [...(query.conditions.get('kind') ?? []), { modifier: 'eq', value: kind }]);
  return { ...query, conditions };
}
