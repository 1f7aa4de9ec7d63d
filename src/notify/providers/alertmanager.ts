/**
 * Prometheus Alertmanager's v2 API (`POST <url>/api/v2/alerts`, a JSON list of alerts). Each event is
 * one alert that starts at the event's time and carries no `endsAt`, so Alertmanager resolves it after
 * its `resolve_timeout`; a repeated event refreshes it. Only warning and error events come here (the
 * config refuses `minSeverity: info`): an alert is a problem.
 */
import type { EventKind, ReconcilerEvent } from '../../observability/event-model.js';
import { payloadSource, type OutgoingRequest } from '../provider.js';

/** `drift-detected` -> `RancherReconcilerDriftDetected`. */
export function alertName(kind: EventKind): string {
  return `RancherReconciler${kind.split('-').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('')}`;
}

/** The Alertmanager request for `event`; labels with no value are left out (Alertmanager treats empty as absent). */
export function alertmanagerRequest(event: ReconcilerEvent, target: Readonly<{ baseUrl: string }>): OutgoingRequest {
  const labels: Record<string, string> = { alertname: alertName(event.kind), severity: event.severity, reason: event.reason, source: payloadSource };
  if (event.key !== null) labels['instance'] = event.key;
  const annotations: Record<string, string> = { summary: event.message };
  if (event.revision !== null) annotations['revision'] = event.revision;
  if (event.instanceId !== null) annotations['rancherId'] = event.instanceId;
  const alert = { labels, annotations, startsAt: event.time };
  return { url: `${target.baseUrl}/api/v2/alerts`, body: JSON.stringify([alert]), headers: { 'content-type': 'application/json' } };
}
