/**
 * Drift: the live side moved away behind our back. A key found in sync is remembered with the desired
 * instance it was in sync with; an action needed later for that very desired instance is drift. A pass
 * that decided on another desired instance (the manifest changed, even while a pass ran) is not.
 */
import type { DesiredInstance, InstanceKey } from '../domain/instance.js';

export class DriftTracker {
  readonly #synced = new Map<InstanceKey, DesiredInstance | undefined>();

  /** The key was found in sync with `desired`. */
  inSync(key: InstanceKey, desired: DesiredInstance | undefined): void {
    this.#synced.set(key, desired);
  }

  /** The key's manifest changed, or the key is gone: nothing it was in sync with counts any more. */
  forget(key: InstanceKey): void {
    this.#synced.delete(key);
  }

  /** A pass acted for `desired`: true (once) when the key was in sync with that very desired instance. */
  acted(key: InstanceKey, desired: DesiredInstance | undefined): boolean {
    if (!this.#synced.has(key)) return false;
    const drifted = this.#synced.get(key) === desired;
    this.#synced.delete(key);
    return drifted;
  }
}
