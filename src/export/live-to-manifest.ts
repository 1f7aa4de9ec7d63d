/**
 * One live container as an Instance manifest document: the inverse of the wire mapping
 * (src/rancher/wire.ts `toLiveInstance`) restricted to what a manifest can declare
 * (src/manifest/instance-schema.ts), written so that `diff` finds nothing to do
 * (src/domain/diff-fields.ts compares exactly these fields the same way). Pure.
 *
 * Left out on purpose: what the server manages (id, uuid, state other than stopped, timestamps, host
 * placement, links, actions), our own `rancher-reconciler.*` ownership labels (a manifest may not declare
 * them), the labels Rancher puts on containers itself ({@link rancherAddedLabels}), and values at
 * Rancher's default (networkMode managed, booleans false, no memory or CPU limit): declaring them would
 * change nothing a create sends. A value the manifest format cannot express is left out and named in
 * `omitted`, so that the command can say so. The controller's own fields come from the inventory, for
 * containers it owns (`restartToken`, `stopTimeout`); `onImmutableChange` and `sensitiveEnvironment`
 * are known nowhere and keep their defaults.
 */
import { createOnlyFields, networkModes, type CreateOnlyField, type LiveInstance, type RunState } from '../domain/instance.js';
import { ownershipLabelPrefix } from '../domain/ownership.js';
import { hostIdPattern, manifestApiVersion, manifestKind, restartPolicyNames } from '../manifest/instance-schema.js';

/** An Instance document in manifest form, keys in the order they are written. */
export type ManifestDocument = Readonly<{
  apiVersion: string;
  kind: string;
  metadata: Readonly<{ name: string }>;
  spec: Readonly<Record<string, unknown>>;
}>;

/** A document, or why the container cannot become one. `omitted`: one phrase per value left out. */
export type ManifestResult =
  | Readonly<{ kind: 'document'; document: ManifestDocument; omitted: readonly string[] }>
  | Readonly<{ kind: 'unexportable'; reason: string }>;

/**
 * Labels Rancher sets on containers by itself (seen on every container of a real list,
 * test/fixtures/rancher/libcloud-v1-list_containers.json, and set by its networking and service
 * scheduler). Other `io.rancher.*` labels (`io.rancher.scheduler.affinity:*`,
 * `io.rancher.container.pull_image`, ...) are set by people and exported.
 */
export const rancherAddedLabels: ReadonlySet<string> = new Set([
  'io.rancher.container.uuid',
  'io.rancher.container.name',
  'io.rancher.container.ip',
  'io.rancher.container.mac_address',
  'io.rancher.container.agent_id',
  'io.rancher.container.system',
  'io.rancher.cni.network',
  'io.rancher.cni.wait',
  'io.rancher.project.name',
  'io.rancher.project_service.name',
  'io.rancher.stack.name',
  'io.rancher.stack_service.name',
  'io.rancher.service.deployment.unit',
  'io.rancher.service.launch.config',
  'io.rancher.service.hash',
  // Rancher 1.6 puts the environment's uuid on every container at create (docs/rancher-v1.md#special-labels)
  'io.rancher.environment.uuid',
]);

/** What one field contributes: a value to write, or nothing, or a phrase saying what was left out. */
type FieldOut = Readonly<{ value?: unknown; omitted?: string }>;

const nothing: FieldOut = {};

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Rancher echoes unset lists as null and sometimes a single string (diff-fields reads it as one item). */
function listOut(field: string, have: unknown): FieldOut {
  if (have === null || have === undefined || have === '') return nothing;
  const items = typeof have === 'string' ? [have] : Array.isArray(have) ? have : undefined;
  if (items === undefined || items.some((item) => item === null || typeof item === 'object')) return { omitted: `${field} (not a list of strings)` };
  return items.length === 0 ? nothing : { value: items.map((item) => String(item)) };
}

/** A non-empty string (the manifest requires at least one character), else nothing. */
function textOut(have: unknown): FieldOut {
  return typeof have === 'string' && have !== '' ? { value: have } : nothing;
}

/** A map of strings, keys sorted; `skip` drops keys the manifest must not declare. */
function mapOut(field: 'environment' | 'labels', have: unknown, skip: (key: string) => boolean = () => false): FieldOut {
  if (!isRecord(have)) return nothing;
  const entries: [string, string][] = [];
  const omitted: string[] = [];
  for (const [key, value] of Object.entries(have)) {
    if (skip(key)) continue;
    if (key === '' || value === null || typeof value === 'object' || value === undefined) omitted.push(`${field}.${key === '' ? '""' : key}`);
    else entries.push([key, String(value)]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { ...(entries.length > 0 ? { value: Object.fromEntries(entries) } : {}), ...(omitted.length > 0 ? { omitted: `${omitted.join(', ')} (null or not a string)` } : {}) };
}

const isLabelToDrop = (key: string): boolean => key.startsWith(ownershipLabelPrefix) || rancherAddedLabels.has(key);

/** An integer above zero; 0 and null are Rancher's "no limit" (diff-fields reads them alike). */
function positiveIntegerOut(field: string, have: unknown): FieldOut {
  if (have === null || have === undefined || have === '') return nothing;
  const n = Number(have);
  if (!Number.isSafeInteger(n) || n < 0) return { omitted: `${field} ${JSON.stringify(have)} (not an integer >= 0)` };
  return n === 0 ? nothing : { value: n };
}

function restartPolicyOut(have: unknown): FieldOut {
  if (!isRecord(have) || have['name'] === null || have['name'] === undefined) return nothing;
  const name = String(have['name']);
  if (!(restartPolicyNames as readonly string[]).includes(name)) return { omitted: `restartPolicy ${JSON.stringify(name)} (a manifest takes ${restartPolicyNames.join(', ')})` };
  const count = have['maximumRetryCount'];
  const retries = count === null || count === undefined || count === '' ? undefined : Number(count);
  if (retries !== undefined && (!Number.isSafeInteger(retries) || retries < 0)) return { value: { name }, omitted: `restartPolicy.maximumRetryCount ${JSON.stringify(count)}` };
  // 0 retries is what Rancher shows for a policy without a count; only on-failure gives it a meaning
  return { value: retries === undefined || (retries === 0 && name !== 'on-failure') ? { name } : { name, maximumRetryCount: retries } };
}

/** Per create-only field, how its live value is written; `satisfies` keeps the table complete. */
const fieldOut = {
  imageUuid: () => nothing, // required: handled by toManifest, which refuses a container without one
  command: (have) => listOut('command', have),
  entryPoint: (have) => listOut('entryPoint', have),
  environment: (have) => mapOut('environment', have),
  labels: (have) => mapOut('labels', have, isLabelToDrop),
  ports: (have) => listOut('ports', have),
  expose: (have) => listOut('expose', have),
  dns: (have) => listOut('dns', have),
  dnsSearch: (have) => listOut('dnsSearch', have),
  hostname: textOut,
  user: textOut,
  workingDir: textOut,
  networkMode: (have) => {
    if (have === null || have === undefined || have === 'managed') return nothing; // managed: Rancher's default
    return (networkModes as readonly unknown[]).includes(have) ? { value: have } : { omitted: `networkMode ${JSON.stringify(have)}` };
  },
  // only what was requested: where Rancher placed it (hostId) is the server's choice, not a declaration
  requestedHostId: (have) => (typeof have === 'string' && hostIdPattern.test(have) ? { value: have } : have === null || have === undefined ? nothing : { omitted: `requestedHostId ${JSON.stringify(have)}` }),
  restartPolicy: restartPolicyOut,
  privileged: (have) => (have === true || have === 'true' ? { value: true } : nothing),
  tty: (have) => (have === true || have === 'true' ? { value: true } : nothing),
  stdinOpen: (have) => (have === true || have === 'true' ? { value: true } : nothing),
  memory: (have) => positiveIntegerOut('memory', have),
  cpuShares: (have) => positiveIntegerOut('cpuShares', have),
} satisfies Readonly<Record<CreateOnlyField, (have: unknown) => FieldOut>>;

/** `docker:nginx` as Rancher requires it; a bare image name (older clients) gets the prefix diff ignores. */
function imageOf(live: LiveInstance): string | undefined {
  const image = live.fields.imageUuid;
  if (typeof image !== 'string' || image.trim() === '' || /\s/.test(image)) return undefined;
  return image.startsWith('docker:') ? (image === 'docker:' ? undefined : image) : `docker:${image}`;
}

/** The controller's own settings of an owned container, kept in the inventory (Rancher knows nothing of them). */
export type ControlFields = Readonly<{ restartToken?: string | undefined; stopTimeout?: number | undefined }>;

/**
 * The manifest of `live` under `key`, in state `state`, with the inventory's `control` fields of an
 * owned container (the restart token taken as applied, so none is asked for; the stop timeout).
 * `spec.name` is written only when it differs from the key (the manifest's default). A container
 * without a usable `imageUuid` or a name is `unexportable` (a manifest requires both).
 */
export function toManifest(live: LiveInstance, key: string, state: RunState, control: ControlFields = {}): ManifestResult {
  const image = imageOf(live);
  if (image === undefined) return { kind: 'unexportable', reason: `its imageUuid ${JSON.stringify(live.fields.imageUuid ?? null)} is not docker:<image>` };
  if (live.name === null || live.name === '') return { kind: 'unexportable', reason: 'it has no name (a manifest names its container: name it in Rancher first)' };
  const spec: Record<string, unknown> = {};
  const omitted: string[] = [];
  if (live.name !== key) spec['name'] = live.name;
  if (live.description !== null && live.description !== '') spec['description'] = live.description;
  spec['imageUuid'] = image;
  for (const field of createOnlyFields) {
    const out: FieldOut = fieldOut[field](live.fields[field] ?? null);
    if (out.value !== undefined) spec[field] = out.value;
    if (out.omitted !== undefined) omitted.push(out.omitted);
  }
  if (state === 'stopped') spec['state'] = 'stopped';
  if (control.restartToken !== undefined && control.restartToken !== '') spec['restartToken'] = control.restartToken;
  if (control.stopTimeout !== undefined && Number.isSafeInteger(control.stopTimeout) && control.stopTimeout >= 0 && control.stopTimeout <= 3600) spec['stopTimeout'] = control.stopTimeout;
  return { kind: 'document', document: { apiVersion: manifestApiVersion, kind: manifestKind, metadata: { name: key }, spec }, omitted };
}
