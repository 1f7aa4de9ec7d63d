/**
 * The event history's wiring (issue 14): one environment's EventRecorder, recording the controller's
 * events into the daemon's one EventJournal (shared-wiring.ts) with the environment's name, and the
 * `/status` view of each instance's last events. Called by wiring.ts only.
 */
import type { Clock } from '../clock.js';
import type { ControllerEvents } from '../controller/events.js';
import type { StatusDocument } from '../domain/status.js';
import type { EventCommit } from '../observability/event-model.js';
import type { EventJournal } from '../observability/event-journal.js';
import { EventRecorder } from '../observability/event-recorder.js';
import type { ManifestSource } from '../source/source.js';

/** How many events of each instance `/status` shows. */
export const statusEventsPerInstance = 5;

export type EventWiringDeps = Readonly<{
  clock: Clock;
  journal: EventJournal;
  environment: string;
  events: ControllerEvents;
  /** The revision the controller applies now. */
  revision: () => string | undefined;
  /** The manifest source, once built (its `/status` block names the git commit). */
  source: () => ManifestSource | undefined;
}>;

/** The commit `source` applies, when it applies `revision` and is a git source. */
function commitOf(source: ManifestSource | undefined, revision: string): EventCommit | undefined {
  const status = source?.status();
  if (status?.kind !== 'git' || status.revision !== revision || status.commit === null) return undefined;
  return { sha: status.commit, ...(status.subject === null ? {} : { subject: status.subject }), ...(status.author === null ? {} : { author: status.author }) };
}

/** Connects a recorder of the environment's controller events to the journal. */
export function recordEvents(deps: EventWiringDeps): void {
  const { clock, journal, events, environment } = deps;
  new EventRecorder({
    events, journal, clock, environment,
    revision: () => deps.revision() ?? null,
    commitOf: (revision) => commitOf(deps.source(), revision),
  }).start();
}

/** `doc` with each instance's last events in `environment` (one pass over the ring for all instances). */
export function withInstanceEvents<T extends Pick<StatusDocument, 'instances'>>(doc: T, journal: EventJournal, environment: string): T {
  const recent = journal.recentByKey(statusEventsPerInstance, environment);
  return { ...doc, instances: doc.instances.map((instance) => ({ ...instance, events: recent.get(instance.name) ?? [] })) };
}
