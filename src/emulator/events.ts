import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import { formatId } from './format.js';
import type { RenderContext } from './render.js';
import type { InstanceRecord } from './store.js';
import type { TimerSet } from './timers.js';

/** Dependencies of {@link EventHub}. */
export type EventHubDeps = Readonly<{
  clock: Clock;
  timers: TimerSet;
  /** At most one resource.change per resource per window (real Rancher: 1000 ms). */
  coalesceMs: number;
  pingIntervalMs: number;
  /** Renders a container exactly as GET by id would for a subscriber's context. */
  render: (record: InstanceRecord, ctx: RenderContext) => Record<string, unknown>;
  log: Logger;
}>;

type Subscriber = {
  readonly ws: WebSocket;
  readonly ctx: RenderContext;
  readonly resourceChange: boolean;
  ping: TimerHandle | undefined;
};

/**
 * The `/v1/subscribe` event stream (docs/rancher-v1.md#event-stream): a ping at once and every `pingIntervalMs`, and coalesced
 * `resource.change` snapshots rendered at publish time. Changes of a removed resource that is no longer
 * in state `removed` (purging, purged) are not published, as in cattle. While paused (a stalled stream or
 * a partition: emulator extensions) nothing is sent, pings included; changes made meanwhile are held and
 * published at once on resume, one snapshot per container.
 */
export class EventHub {
  readonly #deps: EventHubDeps;
  readonly #subscribers = new Set<Subscriber>();
  readonly #pending = new Map<number, InstanceRecord>();
  readonly #lastPublished = new Map<number, number>();
  /** Changes whose publish time came while paused (still in #pending, so new changes coalesce into them). */
  readonly #held = new Map<number, InstanceRecord>();
  #paused = false;

  constructor(deps: EventHubDeps) {
    this.#deps = deps;
  }

  /** Attaches an upgraded websocket; `eventNames` are the query values (qualifiers after `;` ignored). */
  add(ws: WebSocket, ctx: RenderContext, eventNames: readonly string[]): void {
    const subscriber: Subscriber = {
      ws, ctx, resourceChange: eventNames.some((name) => name.split(';')[0] === 'resource.change'), ping: undefined,
    };
    this.#subscribers.add(subscriber);
    ws.on('close', () => {
      this.#subscribers.delete(subscriber);
      if (subscriber.ping) this.#deps.timers.cancel(subscriber.ping);
    });
    ws.on('error', (error: Error) => this.#deps.log.debug({ err: error }, 'subscriber socket failed'));
    this.#ping(subscriber);
  }

  /** Number of attached subscribers. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** Marks a container changed; its snapshot is published when its coalescing window allows. */
  markDirty(record: InstanceRecord): void {
    if (this.#pending.has(record.id)) return;
    this.#pending.set(record.id, record);
    const last = this.#lastPublished.get(record.id);
    const delay = last === undefined ? 0 : Math.max(0, last + this.#deps.coalesceMs - this.#deps.clock.now());
    this.#deps.timers.schedule(() => this.#publish(record), delay);
  }

  /** Pauses or resumes sending; resuming publishes the held changes at once. */
  setPaused(paused: boolean): void {
    if (paused === this.#paused) return;
    this.#paused = paused;
    if (paused) return;
    const held = [...this.#held.values()];
    this.#held.clear();
    for (const record of held) this.#publish(record);
  }

  /** Cuts every subscription (a websocket cut, or shutdown). */
  closeAll(): void {
    for (const subscriber of this.#subscribers) {
      if (subscriber.ping) this.#deps.timers.cancel(subscriber.ping);
      subscriber.ws.terminate();
    }
    this.#subscribers.clear();
  }

  #ping(subscriber: Subscriber): void {
    // a paused stream skips the ping but keeps its cadence: no timer runs faster than the interval
    if (!this.#paused) this.#send(subscriber, {
      id: randomUUID(), name: 'ping', resourceId: null, resourceType: null, time: this.#deps.clock.now(),
      data: { options: {}, resources: [] },
    });
    subscriber.ping = this.#deps.timers.schedule(() => this.#ping(subscriber), this.#deps.pingIntervalMs);
  }

  #publish(record: InstanceRecord): void {
    if (this.#paused) {
      this.#held.set(record.id, record);
      return;
    }
    this.#pending.delete(record.id);
    const now = this.#deps.clock.now();
    this.#lastPublished.set(record.id, now);
    if (record.removed !== null && record.state !== 'removed') return;
    for (const subscriber of this.#subscribers) {
      if (!subscriber.resourceChange || subscriber.ctx.projectId !== record.projectId) continue;
      this.#send(subscriber, {
        id: randomUUID(), name: 'resource.change', resourceId: formatId('i', record.id), resourceType: record.kind,
        time: now, data: { resource: this.#deps.render(record, subscriber.ctx) },
      });
    }
  }

  #send(subscriber: Subscriber, event: Record<string, unknown>): void {
    if (subscriber.ws.readyState !== subscriber.ws.OPEN) return;
    subscriber.ws.send(JSON.stringify(event));
  }
}
