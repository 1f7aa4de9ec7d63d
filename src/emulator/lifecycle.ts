import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import { toSeconds } from './format.js';
import type { HealthChecks } from './health.js';
import type { HostPlacement } from './placement.js';
import type { InstanceState, Transition } from './state-machine.js';
import { transitionFor } from './state-machine.js';
import type { EmulatorStore, InstanceRecord } from './store.js';
import type { TimerSet } from './timers.js';

/** Message of a failed start (CAT-T `test_container_compute_fail`). */
export const startFailureMessage = 'Failing [compute.instance.activate]';

/** Dependencies of {@link InstanceLifecycle}. */
export type LifecycleDeps = Readonly<{
  clock: Clock;
  timers: TimerSet;
  store: EmulatorStore;
  transitionMs: number;
  purgeDelayMs: number;
  /** Whether starting this container fails (fault injection), read when a start step ends. */
  startFails: (record: InstanceRecord) => boolean;
  /** Picks the host of each start and tells a port conflict (docs/rancher-v1.md#host-ports). */
  placement: HostPlacement;
  /** Simulated health checks, told when a start reaches running and when the container stops. */
  health: HealthChecks;
  /** Called after every state or field change, for the event stream. */
  onChange: (record: InstanceRecord) => void;
  log: Logger;
}>;

/** A sequence in flight: the transition and the index of the step the container is in. */
export type InFlight = Readonly<{ transition: Transition; index: number }>;

type Running = Readonly<{ handle: TimerHandle; inFlight: InFlight | undefined }>;

/** States that end a running container's health check (a start that follows begins a new one). */
const healthEndingStates: ReadonlySet<InstanceState> = new Set<InstanceState>(['starting', 'restarting', 'stopping', 'removing', 'erroring']);

/**
 * Walks containers through the timed sequences of the state machine: each transitioning state lasts
 * `transitionMs` on the injected clock. A new action replaces the sequence in flight. Entering `starting`
 * places the container ({@link HostPlacement}: its host, requestedHostId, else round-robin among hosts
 * where its published ports are free); a start that cannot run there fails when the step ends, as a
 * failed compute does, with the port message. A start that succeeds gives it a docker id and an IP
 * address; a sequence that went through `starting` and ends in `running` counts one start (`startCount`,
 * 0 at create, as in cattle) and starts its health check; reaching `removed` hides it from lists and
 * schedules the automatic purge.
 */
export class InstanceLifecycle {
  readonly #deps: LifecycleDeps;
  readonly #running = new Map<number, Running>();
  /** Why the start in progress will fail (decided when it entered `starting`), by instance id. */
  readonly #startFailures = new Map<number, string>();

  constructor(deps: LifecycleDeps) {
    this.#deps = deps;
  }

  /** Starts `transition` on `record` now: the first step is visible at once (the action's response). */
  run(record: InstanceRecord, transition: Transition): void {
    this.#cancel(record);
    record.transitioningError = false;
    record.transitioningMessage = null;
    this.#advance(record, transition, 0);
  }

  /**
   * Continues a sequence saved by an earlier emulator (a restart): the container re-enters step `index`
   * for a whole transition duration, then goes on as if never interrupted.
   */
  resume(record: InstanceRecord, inFlight: InFlight): void {
    this.#cancel(record);
    this.#advance(record, inFlight.transition, inFlight.index);
  }

  /** Schedules the automatic purge of a `removed` container again (a restart): a full purge delay from now. */
  resumePurge(record: InstanceRecord): void {
    this.#cancel(record);
    if (record.state === 'removed') this.#schedulePurge(record);
  }

  /** The sequence `record` is in, or undefined when it rests (or only waits for its purge). */
  inFlight(id: number): InFlight | undefined {
    return this.#running.get(id)?.inFlight;
  }

  /** Applies the state at `index` of the sequence (or the final state) and schedules the next one. */
  #advance(record: InstanceRecord, transition: Transition, index: number): void {
    const step = transition.steps[index];
    if (step === undefined) {
      this.#running.delete(record.id);
      this.#finish(record, transition);
      return;
    }
    this.#enter(record, step);
    this.#deps.onChange(record);
    const handle = this.#deps.timers.schedule(() => {
      const failureMessage = step === 'starting' && !transition.failed ? this.#startFailure(record) : undefined;
      if (failureMessage === undefined) return this.#advance(record, transition, index + 1);
      // the start fails when it would complete: switch to the failure sequence from here
      const failure = transitionFor('stopped', 'start', { startFails: true, fromCreate: transition.steps[0] === 'creating' });
      if (failure.kind === 'process') this.#advance(record, { ...failure.transition, message: failureMessage }, 1);
    }, this.#deps.transitionMs);
    this.#running.set(record.id, { handle, inFlight: { transition, index } });
  }

  #enter(record: InstanceRecord, state: InstanceState): void {
    record.state = state;
    if (healthEndingStates.has(state)) this.#deps.health.cancel(record);
    if (state !== 'starting') return;
    const placement = this.#deps.placement.place(record);
    record.hostId ??= placement.hostId;
    if (placement.failureMessage === undefined) this.#startFailures.delete(record.id);
    else this.#startFailures.set(record.id, placement.failureMessage);
  }

  /** The message of a start failing now: a port conflict found when it began, else the fault plan's compute failure. */
  #startFailure(record: InstanceRecord): string | undefined {
    const conflict = this.#startFailures.get(record.id);
    this.#startFailures.delete(record.id);
    return conflict ?? (this.#deps.startFails(record) ? startFailureMessage : undefined);
  }

  #finish(record: InstanceRecord, transition: Transition): void {
    const now = toSeconds(this.#deps.clock.now());
    record.state = transition.final;
    if (transition.failed) {
      record.transitioningError = true;
      record.transitioningMessage = transition.message ?? startFailureMessage;
    }
    if (transition.final === 'running') {
      record.externalId ??= randomBytes(32).toString('hex');
      record.primaryIpAddress ??= `10.42.${(record.id >> 8) & 255}.${record.id & 255}`;
      record.firstRunning ??= now;
      // update and migrate end in running too, but only a start process counts (cattle InstanceStart)
      if (transition.steps.includes('starting')) {
        record.startCount += 1;
        this.#deps.health.started(record);
      }
    }
    if (transition.final === 'removed') {
      this.#deps.store.project(record.projectId)?.markRemoved(record, now);
      this.#schedulePurge(record);
    }
    this.#deps.log.debug({ instanceId: record.id, state: record.state }, 'instance settled');
    this.#deps.onChange(record);
  }

  #schedulePurge(record: InstanceRecord): void {
    const handle = this.#deps.timers.schedule(() => {
      this.#running.delete(record.id);
      if (record.state !== 'removed') return;
      const purge = transitionFor('removed', 'purge');
      if (purge.kind === 'process') this.run(record, purge.transition);
    }, this.#deps.purgeDelayMs);
    this.#running.set(record.id, { handle, inFlight: undefined });
  }

  #cancel(record: InstanceRecord): void {
    const running = this.#running.get(record.id);
    if (running) this.#deps.timers.cancel(running.handle);
    this.#running.delete(record.id);
    this.#startFailures.delete(record.id);
  }
}
