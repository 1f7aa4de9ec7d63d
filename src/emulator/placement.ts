import { allocationFailureMessage, bindFailureMessage, firstConflict, publishedPorts, type PublishedPort } from './ports.js';
import type { InstanceState } from './state-machine.js';
import type { EmulatorStore, InstanceRecord } from './store.js';

/** Where a start goes: the host (null: none), and the failure the start ends with, if it cannot run there. */
export type Placement = Readonly<{ hostId: number | null; failureMessage: string | undefined }>;

/** States whose container holds its host ports (cattle `AllocatorDaoImpl.getUsedPortsForHostExcludingInstance`). */
const holdingStates: ReadonlySet<InstanceState> = new Set<InstanceState>(['starting', 'restarting', 'running']);

/**
 * The emulator's scheduler (docs/rancher-v1.md#host-ports): decides the host of each start. A container
 * that already has a host (a later start, a restart) or asks for one (`requestedHostId`) starts there:
 * cattle skips its port constraint for a requested host, so a port taken there fails the start on the
 * host itself, with Docker's bind error. Otherwise the hosts are tried round-robin, skipping those where
 * a `starting`, `restarting` or `running` container publishes one of the same host ports; when none is
 * left the start fails with cattle's allocation message. Without hosts (`--hosts 0`) nothing is checked.
 */
export class HostPlacement {
  readonly #store: EmulatorStore;
  #nextHost = 0;

  constructor(deps: { store: EmulatorStore }) {
    this.#store = deps.store;
  }

  /** Places `record` for a start that is beginning now (it is not yet counted as holding its ports). */
  place(record: InstanceRecord): Placement {
    const hosts = this.#store.hosts;
    if (hosts.length === 0) return { hostId: null, failureMessage: undefined };
    const wanted = publishedPorts(record.fields['ports']);
    const fixed = record.hostId ?? hosts.find((host) => `1h${host.id}` === record.fields['requestedHostId'])?.id;
    if (fixed !== undefined) {
      const taken = this.#taken(fixed, wanted, record);
      return { hostId: fixed, failureMessage: taken === undefined ? undefined : bindFailureMessage(taken) };
    }
    for (let offset = 0; offset < hosts.length; offset += 1) {
      const host = hosts[(this.#nextHost + offset) % hosts.length]!;
      if (this.#taken(host.id, wanted, record) !== undefined) continue;
      this.#nextHost += offset + 1;
      return { hostId: host.id, failureMessage: undefined };
    }
    return { hostId: null, failureMessage: allocationFailureMessage(wanted) };
  }

  /** The first of `wanted` another container holds on `hostId`, or undefined. */
  #taken(hostId: number, wanted: readonly PublishedPort[], self: InstanceRecord): PublishedPort | undefined {
    if (wanted.length === 0) return undefined;
    for (const other of this.#store.listedRecords()) {
      if (other === self || other.hostId !== hostId || !holdingStates.has(other.state)) continue;
      const conflict = firstConflict(wanted, publishedPorts(other.fields['ports']));
      if (conflict !== undefined) return conflict;
    }
    return undefined;
  }
}
