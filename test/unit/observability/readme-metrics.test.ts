import { expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createMetrics } from '../../../src/observability/metrics.js';

it('documents every rancher_reconciler_* metric in the README metrics table', async () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const metrics = await createMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON();
  const names = metrics.map((metric) => metric.name);
  // 16 of the reconciler, 5 of the manifest source (source-metrics.ts), 1 of notifications (notify-metrics.ts),
  // 2 of leader election (leader-metrics.ts)
  expect(names).toHaveLength(24);
  for (const name of names) expect(readme).toContain(`| \`${name}\` |`);
});
