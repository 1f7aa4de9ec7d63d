import type { TimerHandle } from '../clock.js';
import type { InstanceRecord } from './store.js';
import type { TimerSet } from './timers.js';

/**
 * Values the emulator gives `healthState` (docs/rancher-v1.md#health-state): the schema's enum
 * (`healthy, unhealthy, updating-healthy, updating-unhealthy, initializing`) plus `reinitializing`, which
 * cattle writes on the restart of a healthy container although the captured enum does not list it.
 */
export const healthStates = ['healthy', 'unhealthy', 'updating-healthy', 'updating-unhealthy', 'initializing', 'reinitializing'] as const;

/** One of {@link healthStates}. */
export type HealthState = (typeof healthStates)[number];

/** What a container's health check reports after it starts (fault plan `healthImages`, emulator extension). */
export const plannedHealthStates = ['healthy', 'unhealthy', 'initializing'] as const;

/** One of {@link plannedHealthStates}: `initializing` is a check that never reports. */
export type PlannedHealth = (typeof plannedHealthStates)[number];

/** Dependencies of {@link HealthChecks}. */
export type HealthChecksDeps = Readonly<{
  timers: TimerSet;
  /** How long a check takes to report after the start, ms (the emulator's transition duration). */
  transitionMs: number;
  /** The planned report for this container, or undefined when it has no health check. */
  healthOf: (record: InstanceRecord) => PlannedHealth | undefined;
  /** Called after `healthState` changed, for the event stream and the data file. */
  onChange: (record: InstanceRecord) => void;
}>;

/**
 * Simulated health checks. When a start reaches `running`, a container with a check goes from null to
 * `initializing`, or from `healthy` to `reinitializing` (other values stay), as cattle's
 * `InstanceHealthcheckRegister` does after `instance.start`; one transition duration later the check
 * reports its planned state. A stop (or any new start) cancels a report not yet made and leaves
 * `healthState` as it is: no cattle handler of stop touches it.
 */
export class HealthChecks {
  readonly #deps: HealthChecksDeps;
  readonly #pending = new Map<number, TimerHandle>();

  constructor(deps: HealthChecksDeps) {
    this.#deps = deps;
  }

  /** A start process of `record` reached `running` (call before publishing that change). */
  started(record: InstanceRecord): void {
    const planned = this.#deps.healthOf(record);
    if (planned === undefined) return;
    if (record.healthState === null) record.healthState = 'initializing';
    else if (record.healthState === 'healthy') record.healthState = 'reinitializing';
    this.#schedule(record, planned);
  }

  /** Schedules the report again for a running container still waiting for it (an emulator restart). */
  resume(record: InstanceRecord): void {
    const planned = this.#deps.healthOf(record);
    const waiting = record.healthState === 'initializing' || record.healthState === 'reinitializing';
    if (record.state === 'running' && waiting && planned !== undefined) this.#schedule(record, planned);
  }

  /** The container stops or starts again: a report not yet made is dropped. */
  cancel(record: InstanceRecord): void {
    const handle = this.#pending.get(record.id);
    if (handle !== undefined) this.#deps.timers.cancel(handle);
    this.#pending.delete(record.id);
  }

  #schedule(record: InstanceRecord, planned: PlannedHealth): void {
    this.cancel(record);
    // a check that never reports leaves the container initializing
    if (planned === 'initializing') return;
    const handle = this.#deps.timers.schedule(() => {
      this.#pending.delete(record.id);
      if (record.healthState === planned) return;
      record.healthState = planned;
      this.#deps.onChange(record);
    }, this.#deps.transitionMs);
    this.#pending.set(record.id, handle);
  }
}
