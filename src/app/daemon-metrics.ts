/**
 * `GET /metrics` of the daemon: the process registry (process metrics, suspension, webhooks,
 * notifications) followed by every environment's metrics, each environment's series labelled
 * `environment="<name>"` (prom-client default labels). The environments' registries hold the same
 * metric names, so they are merged per name by prom-client's AggregatorRegistry (sum per label set:
 * the distinct `environment` label keeps every series apart) rather than concatenated, which would
 * repeat `# HELP`/`# TYPE` lines.
 */
import { AggregatorRegistry } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';

export type MetricsView = Readonly<{ contentType: string; render(): Promise<string> }>;

/** Labels each environment's registry with its name (once, when wired). */
export function labelEnvironment(metrics: Metrics, name: string): void {
  metrics.registry.setDefaultLabels({ environment: name });
}

export function daemonMetrics(processMetrics: Metrics, environments: readonly Metrics[]): MetricsView {
  return {
    contentType: processMetrics.contentType,
    async render() {
      const own = await processMetrics.render();
      const merged = AggregatorRegistry.aggregate(await Promise.all(environments.map((metrics) => metrics.registry.getMetricsAsJSON())));
      return `${own}${own.endsWith('\n') ? '' : '\n'}${await merged.metrics()}`;
    },
  };
}
