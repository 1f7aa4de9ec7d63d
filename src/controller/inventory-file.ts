/**
 * The inventory file's format: `{ version: 1, entries: { <key>: InventoryEntry } }`, pretty-printed and
 * sorted by key. Parsing validates every entry (`isEntry`, which the shared state stores use for their
 * records too); a torn, non-JSON or wrongly shaped file is ERR_INVENTORY_CORRUPT.
 */
import { readFile } from 'node:fs/promises';
import { ReconcilerError } from '../errors.js';
import type { InstanceKey } from '../domain/instance.js';
import type { InventoryEntry } from '../domain/plan.js';
import { isErrno } from './atomic-file.js';
import { InventorySerializer } from './inventory-serializer.js';

export const inventoryFileName = 'inventory.json';

/** The file format. `version` changes only with an incompatible change. */
export type InventoryFile = Readonly<{ version: 1; entries: Readonly<Record<InstanceKey, InventoryEntry>> }>;

function corrupt(file: string, why: string, cause?: unknown): ReconcilerError {
  return new ReconcilerError('ERR_INVENTORY_CORRUPT', `inventory ${file} is corrupt: ${why}`, { cause });
}

function isPendingRestart(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const p = value as Record<string, unknown>;
  return typeof p['token'] === 'string' && (p['startCount'] === undefined || typeof p['startCount'] === 'number');
}

function isReplacement(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  return typeof r['id'] === 'string' && (r['uuid'] === null || typeof r['uuid'] === 'string');
}

/** Whether `value` is a well-formed inventory entry stored under `key` (shared with the state store backends). */
export function isEntry(key: string, value: unknown): value is InventoryEntry {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return (
    e['key'] === key &&
    typeof e['id'] === 'string' &&
    (e['uuid'] === null || typeof e['uuid'] === 'string') &&
    typeof e['name'] === 'string' &&
    (e['origin'] === 'created' || e['origin'] === 'adopted') &&
    (e['restartToken'] === undefined || typeof e['restartToken'] === 'string') &&
    (e['stopTimeout'] === undefined || typeof e['stopTimeout'] === 'number') &&
    (e['recreating'] === undefined || e['recreating'] === true) &&
    (e['prune'] === undefined || e['prune'] === false) &&
    (e['pendingRestart'] === undefined || isPendingRestart(e['pendingRestart'])) &&
    (e['replacement'] === undefined || isReplacement(e['replacement'])) &&
    typeof e['createdAt'] === 'string' &&
    typeof e['updatedAt'] === 'string'
  );
}

/** Parses and validates inventory JSON. Throws ERR_INVENTORY_CORRUPT (torn, not JSON, wrong shape or version). */
export function parseInventory(text: string, file: string): Map<InstanceKey, InventoryEntry> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e: unknown) {
    throw corrupt(file, 'not valid JSON', e);
  }
  if (parsed === null || typeof parsed !== 'object') throw corrupt(file, 'not an object');
  const doc = parsed as Record<string, unknown>;
  if (doc['version'] !== 1) throw corrupt(file, `unsupported version ${JSON.stringify(doc['version'])}`);
  const entries = doc['entries'];
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) throw corrupt(file, 'entries is not an object');
  const result = new Map<InstanceKey, InventoryEntry>();
  for (const [key, value] of Object.entries(entries)) {
    if (!isEntry(key, value)) throw corrupt(file, `entry "${key}" has the wrong shape`);
    result.set(key, value);
  }
  return result;
}

/**
 * Serialises entries sorted by key (stable diffs), pretty-printed, with a trailing newline: the file
 * format, written by the one InventorySerializer (this is it without a cache between calls).
 */
export function serializeInventory(entries: Iterable<InventoryEntry>): string {
  return new InventorySerializer().serialize(new Map([...entries].map((entry) => [entry.key, entry])));
}

/** Reads an inventory file: `undefined` when missing; throws ERR_INVENTORY_CORRUPT or ERR_INVENTORY_IO. */
export async function readInventoryFile(path: string): Promise<Map<InstanceKey, InventoryEntry> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e: unknown) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw new ReconcilerError('ERR_INVENTORY_IO', `read inventory ${path} failed`, { cause: e, retryable: true });
  }
  return parseInventory(text, path);
}
