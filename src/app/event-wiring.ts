/**
 * The event history's wiring (issue 14): the EventJournal, fed by the EventRecorder from the controller's
 * events, and the `/status` view of each instance's last events. Called by wiring.ts only.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ControllerEvents } from '../controller/events.js';
import type { StatusDocument } from '../domain/status.js';
import type { EventCommit } from '../observability/event-model.js';
import { EventJournal } from '../observability/event-journal.js';
import { EventRecorder } from '../observability/event-recorder.js';
import type { Metrics } from '../observability/metrics.js';
import type { ManifestSource } from '../source/source.js';

/** How many events of each instance `/status` shows. */
export const statusEventsPerInstance = 5;

export type EventWiringDeps = Readonly<{
  clock: Clock;
  log: Logger;
  metrics: Metrics;
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

/** Builds the journal (`--events-history` events) and connects the recorder to the controller's events. */
export function wireEvents(config: Config, deps: EventWiringDeps): EventJournal {
  const { clock, log, metrics, events } = deps;
  const journal = new EventJournal({ capacity: config.events.history, clock, log: log.child({ component: 'events' }), metrics });
  new EventRecorder({
    events, journal, clock,
    revision: () => deps.revision() ?? null,
    commitOf: (revision) => commitOf(deps.source(), revision),
  }).start();
  return journal;
}

/** `doc` with each instance's last events (one pass over the ring for all instances). */
export function withInstanceEvents<T extends Pick<StatusDocument, 'instances'>>(doc: T, journal: EventJournal): T {
  const recent = journal.recentByKey(statusEventsPerInstance);
  return { ...doc, instances: doc.instances.map((instance) => ({ ...instance, events: recent.get(instance.name) ?? [] })) };
}
