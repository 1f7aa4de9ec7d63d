import { describe, expect, it, test } from '@jest/globals';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';

/** The value of one sample line (`name{labels} value`) in the exposition text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const quiet = (): Metrics => createMetrics({ defaultMetrics: false });

describe('createMetrics', () => {
  test.each([
    'rancher_reconciler_api_requests_total',
    'rancher_reconciler_api_request_duration_seconds',
    'rancher_reconciler_reconcile_total',
    'rancher_reconciler_reconcile_duration_seconds',
    'rancher_reconciler_queue_depth',
    'rancher_reconciler_queue_retries_total',
    'rancher_reconciler_instances',
    'rancher_reconciler_drift_detected_total',
    'rancher_reconciler_removals_refused_total',
    'rancher_reconciler_revision_converge_seconds',
    'rancher_reconciler_last_applied_revision_info',
    'rancher_reconciler_manifest_errors',
  ])('registers %s', async (name) => {
    expect(await quiet().render()).toContain(`# TYPE ${name} `);
  });

  it('counts API requests by method, route and code and observes their latency in seconds', async () => {
    const metrics = quiet();
    metrics.observeApiRequest({ method: 'get', route: '/v1/containers', status: 200, durationMs: 40 });
    metrics.observeApiRequest({ method: 'GET', route: '/v1/containers', status: 200, durationMs: 60 });
    metrics.observeApiRequest({ method: 'POST', route: '/v1/containers/:id', status: undefined, durationMs: 5 });
    const text = await metrics.render();
    expect(sample(text, 'rancher_reconciler_api_requests_total{method="GET",route="/v1/containers",code="200"}')).toBe(2);
    expect(sample(text, 'rancher_reconciler_api_requests_total{method="POST",route="/v1/containers/:id",code="none"}')).toBe(1);
    expect(sample(text, 'rancher_reconciler_api_request_duration_seconds_sum{method="GET",route="/v1/containers"}')).toBeCloseTo(0.1);
    expect(sample(text, 'rancher_reconciler_api_request_duration_seconds_bucket{le="0.05",method="GET",route="/v1/containers"}')).toBe(1);
  });

  it('pre-creates every reconcile result at zero and counts passes by result', async () => {
    const metrics = quiet();
    metrics.observeReconcile({ result: 'acted', durationMs: 250 });
    const text = await metrics.render();
    expect(sample(text, 'rancher_reconciler_reconcile_total{result="acted"}')).toBe(1);
    expect(sample(text, 'rancher_reconciler_reconcile_total{result="error"}')).toBe(0);
    expect(sample(text, 'rancher_reconciler_reconcile_duration_seconds_count{result="acted"}')).toBe(1);
  });

  it('sets every phase, missing ones to zero', async () => {
    const metrics = quiet();
    metrics.setPhases({ 'in-sync': 3, blocked: 1 });
    metrics.setPhases({ 'in-sync': 4 });
    const text = await metrics.render();
    expect(sample(text, 'rancher_reconciler_instances{phase="in-sync"}')).toBe(4);
    expect(sample(text, 'rancher_reconciler_instances{phase="blocked"}')).toBe(0);
    expect(sample(text, 'rancher_reconciler_instances{phase="failed"}')).toBe(0);
  });

  it('keeps only the current revision in the info gauge', async () => {
    const metrics = quiet();
    metrics.setLastAppliedRevision('abc123');
    metrics.setLastAppliedRevision('def456');
    let text = await metrics.render();
    expect(sample(text, 'rancher_reconciler_last_applied_revision_info{revision="def456"}')).toBe(1);
    expect(text).not.toContain('abc123');
    metrics.setLastAppliedRevision(null);
    text = await metrics.render();
    expect(text).not.toContain('def456');
  });

  it('tracks queue, drift, refused removals, convergence and manifest errors', async () => {
    const metrics = quiet();
    metrics.setQueueDepth(7);
    metrics.incQueueRetries();
    metrics.incQueueRetries(2);
    metrics.incDriftDetected();
    metrics.incRemovalsRefused(3);
    metrics.observeRevisionConverged(12_000);
    metrics.setManifestErrors(2);
    const text = await metrics.render();
    expect(sample(text, 'rancher_reconciler_queue_depth')).toBe(7);
    expect(sample(text, 'rancher_reconciler_queue_retries_total')).toBe(3);
    expect(sample(text, 'rancher_reconciler_drift_detected_total')).toBe(1);
    expect(sample(text, 'rancher_reconciler_removals_refused_total')).toBe(3);
    expect(sample(text, 'rancher_reconciler_revision_converge_seconds_sum')).toBe(12);
    expect(sample(text, 'rancher_reconciler_revision_converge_seconds_bucket{le="10"}')).toBe(0);
    expect(sample(text, 'rancher_reconciler_revision_converge_seconds_bucket{le="30"}')).toBe(1);
    expect(sample(text, 'rancher_reconciler_manifest_errors')).toBe(2);
  });

  it('ignores a negative count instead of throwing', async () => {
    const metrics = quiet();
    expect(() => metrics.incQueueRetries(-1)).not.toThrow();
    expect(sample(await metrics.render(), 'rancher_reconciler_queue_retries_total')).toBe(0);
  });

  it('gives two instances in one process separate registries, with default process metrics', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.setQueueDepth(1);
    b.setQueueDepth(2);
    const textA = await a.render();
    expect(sample(textA, 'rancher_reconciler_queue_depth')).toBe(1);
    expect(sample(await b.render(), 'rancher_reconciler_queue_depth')).toBe(2);
    expect(textA).toContain('process_cpu_user_seconds_total');
    expect(a.contentType).toContain('text/plain');
  });
});
