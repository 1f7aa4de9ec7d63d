/**
 * StaticLiveView: a LiveReader over one full list, for `plan` (which reads live state once and never
 * watches). `observe` keeps what it is given; `onChange` never fires.
 */
import type { LiveInstance } from '../domain/instance.js';
import type { LiveChange, LiveReader } from '../domain/ports.js';

export class StaticLiveView implements LiveReader {
  readonly ready = true;
  readonly #byId = new Map<string, LiveInstance>();
  readonly #byName = new Map<string, LiveInstance[]>();

  constructor(instances: readonly LiveInstance[]) {
    for (const instance of instances) this.observe(instance);
  }

  get(id: string): LiveInstance | undefined {
    return this.#byId.get(id);
  }

  byName(name: string): readonly LiveInstance[] {
    return (this.#byName.get(name) ?? []).filter((i) => !i.removed);
  }

  all(): readonly LiveInstance[] {
    return [...this.#byId.values()].filter((i) => !i.removed);
  }

  onChange(_listener: (change: LiveChange) => void): () => void {
    return () => undefined;
  }

  observe(instance: LiveInstance): void {
    const previous = this.#byId.get(instance.id);
    if (previous?.name != null) {
      const list = this.#byName.get(previous.name)?.filter((i) => i.id !== instance.id);
      if (list !== undefined) this.#byName.set(previous.name, list);
    }
    this.#byId.set(instance.id, instance);
    if (instance.name != null) this.#byName.set(instance.name, [...(this.#byName.get(instance.name) ?? []), instance]);
  }
}
