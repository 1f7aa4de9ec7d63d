/**
 * KeyIndex: which manifest keys a live change concerns. The live cache reports Rancher names and ids;
 * a key is concerned when its desired Rancher name, its inventory name or its owned id matches.
 * Updated per key, so a pass or a snapshot costs O(changed keys), not O(all keys).
 */
import type { InstanceKey } from '../domain/instance.js';
import type { LiveChange } from '../domain/ports.js';

export class KeyIndex {
  readonly #namesOf = new Map<InstanceKey, ReadonlySet<string>>();
  readonly #keysOfName = new Map<string, Set<InstanceKey>>();
  readonly #idOf = new Map<InstanceKey, string>();
  readonly #keyOfId = new Map<string, InstanceKey>();

  /** Records the Rancher names and owned id of `key`, replacing what was known. */
  set(key: InstanceKey, names: Iterable<string>, id: string | undefined): void {
    this.delete(key);
    const nameSet = new Set(names);
    this.#namesOf.set(key, nameSet);
    for (const name of nameSet) {
      let keys = this.#keysOfName.get(name);
      if (keys === undefined) {
        keys = new Set();
        this.#keysOfName.set(name, keys);
      }
      keys.add(key);
    }
    if (id !== undefined) {
      this.#idOf.set(key, id);
      this.#keyOfId.set(id, key);
    }
  }

  delete(key: InstanceKey): void {
    for (const name of this.#namesOf.get(key) ?? []) {
      const keys = this.#keysOfName.get(name);
      keys?.delete(key);
      if (keys?.size === 0) this.#keysOfName.delete(name);
    }
    this.#namesOf.delete(key);
    const id = this.#idOf.get(key);
    if (id !== undefined && this.#keyOfId.get(id) === key) this.#keyOfId.delete(id);
    this.#idOf.delete(key);
  }

  /** The keys a live change concerns. */
  keysFor(change: LiveChange): Set<InstanceKey> {
    const keys = new Set<InstanceKey>();
    for (const name of change.names) for (const key of this.#keysOfName.get(name) ?? []) keys.add(key);
    for (const id of change.ids) {
      const key = this.#keyOfId.get(id);
      if (key !== undefined) keys.add(key);
    }
    return keys;
  }
}
