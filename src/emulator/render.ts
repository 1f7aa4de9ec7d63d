import { formatDate, formatId } from './format.js';
import type { SchemaRegistry } from './schemas.js';
import { isActionAvailable, transitioningStates } from './state-machine.js';
import type { HostRecord, InstanceRecord } from './store.js';
import { capabilitiesOf, collectionPathOf } from './virtual-machine.js';

/** Where generated links point: `apiBase` is `http://HOST:PORT/v1` or `.../v1/projects/<pid>`. */
export type RenderContext = Readonly<{ apiBase: string; projectId: string }>;

/** Link names of a container, in the captured order (docs/rancher-v1.md#links-and-actions-map). */
const containerLinks = [
  'account', 'credentials', 'healthcheckInstanceHostMaps', 'hosts', 'instanceLabels', 'instanceLinks', 'instances',
  'mounts', 'ports', 'serviceEvents', 'serviceExposeMaps', 'services', 'targetInstanceLinks', 'volumes', 'stats',
  'containerStats',
] as const;

/** Host link names (not captured: an emulator choice limited to the obvious relations). */
const hostLinks = ['account', 'instances'] as const;

/** Host actions offered in the `active` state, in schema order filtered by the generic process rules. */
const activeHostActions = new Set(['update', 'dockersocket', 'deactivate']);

/** The `transitioning` value of a container (docs/rancher-v1.md#transitioning). */
export function transitioningOf(record: InstanceRecord): 'yes' | 'no' | 'error' {
  if (transitioningStates.has(record.state)) return 'yes';
  return record.transitioningError ? 'error' : 'no';
}

/**
 * The raw value of a container field as filters compare it: dates as epoch ms, references as formatted
 * ids. Fields the emulator does not simulate are the stored create input or null.
 */
export function instanceFieldValue(record: InstanceRecord, field: string): unknown {
  switch (field) {
    case 'id': return formatId('i', record.id);
    case 'name': return record.name;
    case 'state': return record.state;
    case 'accountId': return record.projectId;
    case 'created': return record.created;
    case 'description': return record.description;
    case 'externalId': return record.externalId;
    case 'firstRunning': return record.firstRunning;
    case 'healthState': return record.healthState;
    case 'hostId': return record.hostId === null ? null : formatId('h', record.hostId);
    case 'kind': return record.kind;
    case 'nativeContainer': return false;
    case 'primaryIpAddress': return record.primaryIpAddress;
    case 'removed': return record.removed;
    case 'startCount': return record.startCount;
    case 'transitioning': return transitioningOf(record);
    case 'transitioningMessage': {
      const transitioning = transitioningOf(record);
      if (transitioning === 'no') return null;
      return record.transitioningMessage ?? (transitioning === 'yes' ? 'In Progress' : null);
    }
    case 'transitioningProgress': return null;
    case 'uuid': return record.uuid;
    case 'version': return '0';
    default: return record.fields[field] ?? null;
  }
}

/** Appends `value` under `key`, plus its `<key>TS` twin for a non-null date (docs/rancher-v1.md#ids-and-dates). */
function putField(out: Record<string, unknown>, key: string, type: string | undefined, value: unknown): void {
  if (type === 'date') {
    out[key] = typeof value === 'number' ? formatDate(value) : null;
    if (typeof value === 'number') out[`${key}TS`] = value;
    return;
  }
  out[key] = value;
}

/**
 * An instance exactly as `GET /v1/containers/{id}` (or `/v1/virtualmachines/{id}`) returns it, typed and
 * linked by its kind: id, type, links, actions, baseType, name, state, then every schema field in
 * code-unit order, nulls included, `*TS` twins after non-null dates.
 */
export function renderInstance(schemas: SchemaRegistry, record: InstanceRecord, ctx: RenderContext): Record<string, unknown> {
  const id = formatId('i', record.id);
  const self = `${ctx.apiBase}/${collectionPathOf(record.kind)}/${id}`;
  const links: Record<string, string> = { self };
  for (const name of containerLinks) links[name] = `${self}/${name.toLowerCase()}`;
  const schema = schemas.require(record.kind);
  const capabilities = capabilitiesOf(record.kind);
  const actions: Record<string, string> = {};
  for (const action of Object.keys(schema.resourceActions)) {
    if (isActionAvailable(record.state, action, capabilities)) actions[action] = `${self}/?action=${action}`.toLowerCase();
  }
  const out: Record<string, unknown> = {
    id, type: record.kind, links, actions, baseType: 'instance', name: record.name, state: record.state,
  };
  for (const field of schemas.renderFields(record.kind)) {
    putField(out, field, schema.resourceFields[field]?.type, instanceFieldValue(record, field));
  }
  return out;
}

/** The raw value of a host field (as filters compare it); hosts are always `active` docker hosts. */
export function hostFieldValue(host: HostRecord, field: string, projectId: string): unknown {
  switch (field) {
    case 'id': return formatId('h', host.id);
    case 'accountId': return projectId;
    case 'agentState': return 'active';
    case 'computeTotal': return 1000000;
    case 'created': return host.created;
    case 'hostname': return host.hostname;
    case 'kind': return 'docker';
    case 'labels': return {};
    case 'state': return 'active';
    case 'transitioning': return 'no';
    case 'uuid': return host.uuid;
    default: return null;
  }
}

/** A host as `GET /v1/hosts/{id}` returns it (always `active`; hosts are not simulated further). */
export function renderHost(schemas: SchemaRegistry, host: HostRecord, ctx: RenderContext): Record<string, unknown> {
  const id = formatId('h', host.id);
  const self = `${ctx.apiBase}/hosts/${id}`;
  const links: Record<string, string> = { self };
  for (const name of hostLinks) links[name] = `${self}/${name.toLowerCase()}`;
  const schema = schemas.require('host');
  const actions: Record<string, string> = {};
  for (const action of Object.keys(schema.resourceActions)) {
    if (activeHostActions.has(action)) actions[action] = `${self}/?action=${action}`.toLowerCase();
  }
  const out: Record<string, unknown> = { id, type: 'host', links, actions, baseType: 'host', name: null, state: 'active' };
  for (const field of schemas.renderFields('host')) {
    putField(out, field, schema.resourceFields[field]?.type, hostFieldValue(host, field, ctx.projectId));
  }
  return out;
}
