/**
 * Manifest keys (`metadata.name`) for exported containers: a Rancher name that is a valid key is used
 * as it is; any other name is turned into one (`My App` -> `My-App`), and a key that is taken gets a
 * numbered suffix (`web-2`). Keys are compared without case, because each becomes a file name
 * (`<key>.yaml`) and two files that differ only in case are one file on macOS and Windows. Pure.
 */
import { metadataNamePattern } from '../manifest/instance-schema.js';

const maxKeyLength = 255;

/** Keys taken so far, compared without case. */
export class TakenKeys {
  readonly #taken = new Set<string>();

  has(key: string): boolean {
    return this.#taken.has(key.toLowerCase());
  }

  add(key: string): void {
    this.#taken.add(key.toLowerCase());
  }
}

/** True when `key` may be a `metadata.name` (src/manifest/instance-schema.ts `metadataNamePattern`). */
export function isValidKey(key: string): boolean {
  return metadataNamePattern.test(key);
}

/**
 * A valid key made from a Rancher name: characters a key may not hold become `-` (runs of them one
 * `-`), leading characters other than a letter or digit and trailing `-` are dropped, and it is cut to
 * 255 characters. Undefined when nothing is left (a name of punctuation only).
 */
export function keyFromName(name: string): string | undefined {
  if (isValidKey(name)) return name;
  const key = name
    .replace(/[^a-zA-Z0-9_.-]+/g, '-')
    .replace(/^[^a-zA-Z0-9]+/, '')
    .slice(0, maxKeyLength)
    .replace(/-+$/, '');
  return isValidKey(key) ? key : undefined;
}

/** `base` when it is free, else `base-2`, `base-3`, ... (shortened to stay within 255 characters). Marks the result taken. */
export function claimKey(base: string, taken: TakenKeys): string {
  let key = base;
  for (let n = 2; taken.has(key); n += 1) {
    const suffix = `-${n}`;
    key = `${base.slice(0, maxKeyLength - suffix.length)}${suffix}`;
  }
  taken.add(key);
  return key;
}
