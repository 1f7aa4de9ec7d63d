/**
 * Rancher v1 JSON shapes and the pure mappings between them and the domain types (docs/rancher-v1.md: #fields, #resources, #collection-envelope, #error-body).
 * Nothing here does I/O; every function tolerates missing or odd fields the way Rancher's own clients do.
 */
import { createOnlyFields, type CreateOnlyField, type InstanceSpec, type LiveInstance, type Transitioning } from '../domain/instance.js';

/** A container resource as it arrives on the wire (only the keys we read are typed). */
export type WireContainer = Readonly<Record<string, unknown> & { id: string }>;

/** A collection envelope (docs/rancher-v1.md#collection-envelope). `pagination.next` is the only link we follow. */
export type WireCollection = Readonly<{
  data: readonly unknown[];
  pagination?: Readonly<{ next?: string | null; limit?: number; partial?: boolean }> | null;
}>;

/** The fields of a Rancher error body we carry (docs/rancher-v1.md#error-body). */
export type WireErrorBody = Readonly<{ code?: string; fieldName?: string; message?: string; detail?: string }>;

const transitioningValues: readonly Transitioning[] = ['yes', 'no', 'error'];

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `value` looks like a container resource (an object with a string `id`). */
export function isWireContainer(value: unknown): value is WireContainer {
  return isRecord(value) && typeof value['id'] === 'string';
}

/** `createdTS` (epoch ms) when present, else the parsed `created` date, else null. */
function createdMs(resource: WireContainer): number | null {
  const ts = resource['createdTS'];
  if (typeof ts === 'number' && Number.isFinite(ts)) return ts;
  const created = resource['created'];
  if (typeof created === 'string') {
    const parsed = Date.parse(created);
    if (!Number.isNaN(parsed)) return parsed;
  }
  return null;
}

/**
 * Maps a container resource to a LiveInstance. `actions` are the names of the resource's `actions` map
 * (also read from `actionLinks`, the X-API-Action-Links variant); `removed` is true when the `removed`
 * date is set; `fields` holds every create-only field exactly as echoed (null when absent or unset).
 */
export function toLiveInstance(resource: WireContainer): LiveInstance {
  const actionMap = isRecord(resource['actions']) ? resource['actions'] : isRecord(resource['actionLinks']) ? resource['actionLinks'] : {};
  const transitioning = resource['transitioning'];
  const fields: Partial<Record<CreateOnlyField, unknown>> = {};
  for (const field of createOnlyFields) fields[field] = resource[field] ?? null;
  return {
    id: resource.id,
    uuid: stringOrNull(resource['uuid']),
    name: stringOrNull(resource['name']),
    description: stringOrNull(resource['description']),
    state: typeof resource['state'] === 'string' ? resource['state'] : 'unknown',
    transitioning: transitioningValues.includes(transitioning as Transitioning) ? (transitioning as Transitioning) : 'no',
    transitioningMessage: stringOrNull(resource['transitioningMessage']),
    actions: new Set(Object.keys(actionMap)),
    hostId: stringOrNull(resource['hostId']),
    externalId: stringOrNull(resource['externalId']),
    removed: resource['removed'] !== null && resource['removed'] !== undefined,
    createdMs: createdMs(resource),
    ...(typeof resource['startCount'] === 'number' ? { startCount: resource['startCount'] } : {}),
    ...(typeof resource['healthState'] === 'string' && resource['healthState'] !== '' ? { healthState: resource['healthState'] } : {}),
    fields,
  };
}

/**
 * The POST /v1/containers body for a spec: every declared field as is (arrays and maps copied),
 * plus `startOnCreate` (Rancher's default is true, so it is always sent explicitly).
 */
export function toCreateBody(spec: InstanceSpec, options: Readonly<{ startOnCreate: boolean }>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (value === undefined) continue;
    body[key] = Array.isArray(value) ? [...value] : isRecord(value) ? { ...value } : value;
  }
  body['startOnCreate'] = options.startOnCreate;
  return body;
}

/** The PUT body: only `name` and `description`, the two updatable fields (docs/rancher-v1.md#updatable-fields). */
export function toUpdateBody(changes: Readonly<{ name?: string; description?: string }>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (changes.name !== undefined) body['name'] = changes.name;
  if (changes.description !== undefined) body['description'] = changes.description;
  return body;
}

/** The instanceStop action input; keys are omitted when not given (no schema defaults, docs/rancher-v1.md#instancestop). */
export function toStopBody(options: Readonly<{ remove?: boolean; timeout?: number }> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (options.remove !== undefined) body['remove'] = options.remove;
  if (options.timeout !== undefined) body['timeout'] = options.timeout;
  return body;
}

/**
 * Reads a collection envelope. Returns undefined when `data` is not an array (the caller reports an
 * invalid response). Items without a string id are skipped.
 */
export function parseCollection(body: unknown): { items: WireContainer[]; next: string | undefined } | undefined {
  if (!isRecord(body) || !Array.isArray(body['data'])) return undefined;
  const pagination = isRecord(body['pagination']) ? body['pagination'] : undefined;
  const next = pagination && typeof pagination['next'] === 'string' && pagination['next'] ? pagination['next'] : undefined;
  return { items: body['data'].filter(isWireContainer), next };
}

/**
 * Extracts `code`, `fieldName`, `message` and `detail` from an error response body (JSON text).
 * Anything that is not a Rancher error object gives `{}`; non-string values are dropped.
 */
export function parseErrorBody(text: string): WireErrorBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // a proxy's HTML or plain-text error page: no Rancher fields to carry
    return {};
  }
  if (!isRecord(body)) return {};
  const out: { code?: string; fieldName?: string; message?: string; detail?: string } = {};
  for (const key of ['code', 'fieldName', 'message', 'detail'] as const) {
    const value = body[key];
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  return out;
}
