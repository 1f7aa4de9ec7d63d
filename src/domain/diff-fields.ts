/**
 * Field comparison for `diff`: only what the manifest declares is compared, and Rancher's echo is
 * normalised first (null vs absent vs empty, numbers sent back as strings, the `docker:` image prefix,
 * ports without a protocol). Pure.
 */
import { assertNever } from '../errors.js';
import { createOnlyFields, type CreateOnlyField, type InstanceSpec, type LiveInstance } from './instance.js';
import type { FieldChange } from './plan.js';

/** `docker:nginx` and `nginx` name the same image: Rancher requires the prefix, manifests may omit it. */
function normalizeImage(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return value.startsWith('docker:') ? value.slice('docker:'.length) : value;
}

/** Rancher echoes unset arrays as null; a single string is read as a one-element list. */
function toStringList(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.map((v) => String(v));
  return [JSON.stringify(value)];
}

/** `8080:80` and `8080:80/tcp` are the same port: Rancher echoes the protocol. */
function normalizePort(port: string): string {
  return port.includes('/') ? port : `${port}/tcp`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return sameList([...a].sort(), [...b].sort());
}

/** Non-nullable booleans default to false; some echoes carry "true"/"false" strings. */
function toBool(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Unset numbers (memory, cpuShares) mean 0 (no limit / default); strings are parsed. */
function toNumber(value: unknown): number {
  if (value === null || value === undefined || value === '') return 0;
  return Number(value);
}

function toStringOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function toRecord(value: unknown): Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Declared keys of a map only: keys Rancher adds itself (io.rancher.*) are never drift. */
function compareMap(field: 'environment' | 'labels', declared: Readonly<Record<string, string>>, live: unknown): FieldChange[] {
  const liveMap = toRecord(live);
  const changes: FieldChange[] = [];
  for (const [name, want] of Object.entries(declared)) {
    const have = toStringOrNull(liveMap[name]);
    if (have === want) continue;
    // values are carried in clear here; `maskSecrets` (sensitive.ts) hides secret-looking ones for output
    changes.push({ field: `${field}.${name}`, from: have, to: want });
  }
  return changes;
}

function compareField(field: CreateOnlyField, spec: InstanceSpec, live: LiveInstance): FieldChange[] {
  const have = live.fields[field];
  const changed = (to: unknown): FieldChange[] => [{ field, from: have ?? null, to }];
  switch (field) {
    case 'imageUuid':
      return normalizeImage(have) === normalizeImage(spec.imageUuid) ? [] : changed(spec.imageUuid);
    case 'command':
    case 'entryPoint':
    case 'dns':
    case 'dnsSearch': {
      const want = spec[field];
      return want === undefined || sameList(toStringList(have), want) ? [] : changed(want);
    }
    case 'ports':
    case 'expose': {
      const want = spec[field];
      if (want === undefined) return [];
      const norm = field === 'ports' ? normalizePort : (p: string): string => p;
      return sameSet(toStringList(have).map(norm), want.map(norm)) ? [] : changed(want);
    }
    case 'environment':
    case 'labels': {
      const want = spec[field];
      return want === undefined ? [] : compareMap(field, want, have);
    }
    case 'hostname':
    case 'user':
    case 'workingDir': {
      const want = spec[field];
      return want === undefined || toStringOrNull(have) === want ? [] : changed(want);
    }
    case 'networkMode': {
      // Rancher's default is `managed`; an unset echo means the default.
      const want = spec.networkMode;
      return want === undefined || (toStringOrNull(have) ?? 'managed') === want ? [] : changed(want);
    }
    case 'requestedHostId': {
      // Not always echoed; the host it landed on is then the evidence.
      const want = spec.requestedHostId;
      const actual = toStringOrNull(have) ?? live.hostId;
      return want === undefined || actual === want ? [] : changed(want);
    }
    case 'restartPolicy': {
      const want = spec.restartPolicy;
      if (want === undefined) return [];
      const policy = toRecord(have);
      const sameName = toStringOrNull(policy['name']) === want.name;
      const sameCount = want.maximumRetryCount === undefined || toNumber(policy['maximumRetryCount']) === want.maximumRetryCount;
      return sameName && sameCount ? [] : changed(want);
    }
    case 'privileged':
    case 'tty':
    case 'stdinOpen': {
      const want = spec[field];
      return want === undefined || toBool(have) === want ? [] : changed(want);
    }
    case 'memory':
    case 'cpuShares': {
      const want = spec[field];
      return want === undefined || toNumber(have) === want ? [] : changed(want);
    }
    default:
      return assertNever(field, 'create-only field');
  }
}

/** Differences in create-only fields the spec declares, in `createOnlyFields` order. */
export function createOnlyChanges(spec: InstanceSpec, live: LiveInstance): FieldChange[] {
  return createOnlyFields.flatMap((field) => compareField(field, spec, live));
}

/**
 * A create's declared fields as changes from nothing (for `plan` output): description and every declared
 * create-only field, maps one entry each (`environment.TZ`).
 */
export function declaredFields(spec: InstanceSpec): FieldChange[] {
  const changes: FieldChange[] = [];
  if (spec.description !== undefined) changes.push({ field: 'description', from: null, to: spec.description });
  for (const field of createOnlyFields) {
    const value = spec[field];
    if (value === undefined) continue;
    if (field === 'environment' || field === 'labels') {
      for (const [name, to] of Object.entries(value as Readonly<Record<string, string>>)) changes.push({ field: `${field}.${name}`, from: null, to });
    } else {
      changes.push({ field, from: null, to: value });
    }
  }
  return changes;
}

/**
 * The PUT body that brings `live` to `spec` (name always; description only when declared; a declared
 * empty description equals Rancher's null), with the live values it replaces.
 */
export function updatableChanges(
  spec: InstanceSpec,
  live: LiveInstance,
): { changes: { name?: string; description?: string }; previous: { name?: string | null; description?: string | null } } {
  const changes: { name?: string; description?: string } = {};
  const previous: { name?: string | null; description?: string | null } = {};
  if (live.name !== spec.name) {
    changes.name = spec.name;
    previous.name = live.name;
  }
  if (spec.description !== undefined && (live.description ?? '') !== spec.description) {
    changes.description = spec.description;
    previous.description = live.description;
  }
  return { changes, previous };
}
