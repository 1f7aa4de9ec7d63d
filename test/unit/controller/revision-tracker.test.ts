import { describe, expect, it } from '@jest/globals';
import { ControllerEvents } from '../../../src/controller/events.js';
import { RevisionTracker } from '../../../src/controller/revision-tracker.js';
import { summarizePhases, type Phase } from '../../../src/domain/status.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const summary = (...phases: Phase[]) => summarizePhases(phases.map((phase) => ({ phase })));

function tracker() {
  const clock = new ManualClock();
  const events = new ControllerEvents({ log: captureLogger().log });
  const metrics = createMetrics({ defaultMetrics: false });
  const converged: { revision: string; durationMs: number }[] = [];
  events.on('revision:converged', (e) => converged.push(e));
  return { clock, metrics, converged, revisions: new RevisionTracker({ clock, log: captureLogger().log, events, metrics }) };
}

describe('RevisionTracker', () => {
  it('reports a revision once, with the time from first seen to every instance in sync', async () => {
    const { clock, metrics, converged, revisions } = tracker();
    revisions.see('r1');
    clock.advance(1500);
    revisions.see('r1'); // the same revision again does not restart its clock
    revisions.settled(summary('in-sync', 'progressing'), true);
    clock.advance(500);
    revisions.settled(summary('in-sync', 'in-sync'), true);
    revisions.settled(summary('in-sync', 'in-sync'), true);
    expect(converged).toEqual([{ revision: 'r1', durationMs: 2000 }]);
    expect(await metrics.render()).toMatch(/rancher_reconciler_last_applied_revision_info\{revision="r1"\} 1/);
  });

  it('never counts an incomplete tree, nor a revision with a blocked instance, as applied', () => {
    const { converged, revisions } = tracker();
    revisions.see('r1');
    revisions.settled(summary('in-sync'), false);
    revisions.settled(summary('in-sync', 'blocked'), true);
    expect(converged).toEqual([]);
    revisions.see('r2');
    revisions.settled(summary('in-sync'), true);
    expect(converged.map((c) => c.revision)).toEqual(['r2']);
  });
});
