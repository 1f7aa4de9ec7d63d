import { WebSocket } from 'ws';

type Seen = { name: string | null; state: string; removed: boolean };

/**
 * Follows an emulator's `/v1/subscribe` stream and keeps, at every event, the number of `names` that
 * have no running container: the truth of "how many declared instances are down", from the server side.
 * `maxDown` is the worst seen. Close it when done.
 */
export class AvailabilityWatch {
  readonly #ws: WebSocket;
  readonly #names: ReadonlySet<string>;
  readonly #containers = new Map<string, Seen>();
  maxDown = 0;
  events = 0;

  private constructor(ws: WebSocket, names: readonly string[]) {
    this.#ws = ws;
    this.#names = new Set(names);
    ws.on('message', (data) => this.#onMessage(String(data)));
  }

  /**
   * Connects to `${apiUrl}/subscribe?eventNames=resource.change`, then seeds the state from one full
   * list (events that arrive meanwhile are newer and win).
   */
  static async open(apiUrl: string, names: readonly string[]): Promise<AvailabilityWatch> {
    const ws = new WebSocket(`${apiUrl.replace(/^http/, 'ws')}/subscribe?eventNames=resource.change`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const watch = new AvailabilityWatch(ws, names);
    const listed = (await (await fetch(`${apiUrl}/containers?limit=3000`)).json()) as { data: { id: string; name: string | null; state: string; removed: unknown }[] };
    for (const c of listed.data) {
      if (!watch.#containers.has(c.id)) watch.#containers.set(c.id, { name: c.name, state: c.state, removed: c.removed !== null && c.removed !== undefined });
    }
    return watch;
  }

  /** Declared names with no running, non-removed container right now. */
  down(): number {
    const running = new Set([...this.#containers.values()].filter((c) => c.state === 'running' && !c.removed).map((c) => c.name));
    return [...this.#names].filter((n) => !running.has(n)).length;
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
  }
}
