import { WebSocket } from 'ws';

type Seen = { name: string | null; state: string; removed: boolean };

/** Options of {@link AvailabilityWatch.open}. */
export type WatchOptions = Readonly<{
  /** The container names that serve a declared name (default: the name itself); a replace adds `<name>-next`. */
  servedBy?: (name: string) => readonly string[];
  /** Container names counted by `maxExtra`: e.g. replacements, `/-next$/`. */
  extra?: RegExp;
}>;

/**
 * Follows an emulator's `/v1/subscribe` stream and keeps, at every event, the number of `names` that
 * have no running container: the truth of "how many declared instances are down", from the server side.
 * `maxDown` is the worst seen; `maxExtra` the most live (not removed) containers matching `extra` at once.
 * Close it when done.
 */
export class AvailabilityWatch {
  readonly #ws: WebSocket;
  readonly #names: ReadonlySet<string>;
  readonly #containers = new Map<string, Seen>();
  readonly #options: WatchOptions;
  maxDown = 0;
  maxExtra = 0;
  events = 0;

  private constructor(ws: WebSocket, names: readonly string[], options: WatchOptions) {
    this.#ws = ws;
    this.#names = new Set(names);
    this.#options = options;
    ws.on('message', (data) => this.#onMessage(String(data)));
  }

  /**
   * Connects to `${apiUrl}/subscribe?eventNames=resource.change`, then seeds the state from one full
   * list (events that arrive meanwhile are newer and win).
   */
  static async open(apiUrl: string, names: readonly string[], options: WatchOptions = {}): Promise<AvailabilityWatch> {
    const ws = new WebSocket(`${apiUrl.replace(/^http/, 'ws')}/subscribe?eventNames=resource.change`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const watch = new AvailabilityWatch(ws, names, options);
    const listed = (await (await fetch(`${apiUrl}/containers?limit=3000`)).json()) as { data: { id: string; name: string | null; state: string; removed: unknown }[] };
    for (const c of listed.data) {
      if (!watch.#containers.has(c.id)) watch.#containers.set(c.id, { name: c.name, state: c.state, removed: c.removed !== null && c.removed !== undefined });
    }
    return watch;
  }

  /** Declared names with no running, non-removed container right now. */
  down(): number {
    const running = new Set([...this.#containers.values()].filter((c) => c.state === 'running' && !c.removed).map((c) => c.name));
    const servedBy = this.#options.servedBy ?? ((name: string) => [name]);
    return [...this.#names].filter((n) => !servedBy(n).some((s) => running.has(s))).length;
  }

  /** Live (not removed) containers whose name matches `extra`, right now. */
  extra(): number {
    const pattern = this.#options.extra;
    if (pattern === undefined) return 0;
    return [...this.#containers.values()].filter((c) => !c.removed && !['removed', 'purging', 'purged'].includes(c.state) && pattern.test(c.name ?? '')).length;
  }

  close(): void {
    this.#ws.close();
  }

  #onMessage(text: string): void {
    const event = JSON.parse(text) as { name?: string; data?: { resource?: { id?: string; name?: string | null; state?: string; removed?: unknown } } };
    const resource = event.data?.resource;
    if (event.name !== 'resource.change' || resource?.id === undefined) return;
    this.events += 1;
    this.#containers.set(resource.id, { name: resource.name ?? null, state: resource.state ?? 'unknown', removed: resource.removed !== null && resource.removed !== undefined });
    this.maxDown = Math.max(this.maxDown, this.down());
    this.maxExtra = Math.max(this.maxExtra, this.extra());
  }
}
