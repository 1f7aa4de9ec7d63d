import { expect, test } from '@jest/globals';
import { formatServerSentEvent, parseEventQuery } from '../../../src/http/event-routes.js';
import type { EventFilter } from '../../../src/observability/event-model.js';

test.each<[string, string, boolean, EventFilter]>([
  ['no parameters filter nothing', '', false, {}],
  ['key, severity and limit', 'key=web-1&severity=warning&limit=20', false, { key: 'web-1', severity: 'warning', limit: 20 }],
  ['environment: the events of one environment', 'environment=prod&key=web-1', false, { environment: 'prod', key: 'web-1' }],
  ['since is normalised to ISO-8601 UTC', 'since=2026-12-01T11:00:00%2B01:00', false, { since: '2026-12-01T10:00:00.000Z' }],
  ['kind takes a comma list', 'kind=drift-detected,drift-healed', false, { kinds: ['drift-detected', 'drift-healed'] }],
  ['kind may repeat', 'kind=drift-detected&kind=action-failed', false, { kinds: ['drift-detected', 'action-failed'] }],
  ['the stream takes lastEventId', 'lastEventId=41&severity=error', true, { afterId: 41, severity: 'error' }],
])('parseEventQuery: %s', (_rule, query, stream, filter) => {
  expect(parseEventQuery(new URLSearchParams(query), stream)).toEqual({ ok: true, filter });
});

test.each<[string, string, boolean, RegExp]>([
  ['an unknown severity', 'severity=fatal', false, /^severity: 'fatal' is not a severity \(expected info, warning, error\)$/],
  ['a time that is not ISO-8601', 'since=yesterday', false, /^since: 'yesterday' is not an ISO-8601 time/],
  ['an unknown kind', 'kind=drift-detected,exploded', false, /^kind: unknown event kind 'exploded'/],
  ['a limit of 0', 'limit=0', false, /^limit: '0' is not a positive integer$/],
  ['a limit that is not a number', 'limit=ten', false, /^limit: 'ten' is not a positive integer$/],
  ['an empty key', 'key=', false, /^key: must not be empty$/],
  ['an empty environment', 'environment=', false, /^environment: must not be empty$/],
  ['a repeated key', 'key=a&key=b', false, /^key: given 2 times$/],
  ['an unknown parameter', 'instance=web-1', false, /^unknown parameter 'instance' \(expected environment, key, severity, since, kind, limit\)$/],
  ['lastEventId outside the stream', 'lastEventId=3', false, /^unknown parameter 'lastEventId'/],
  ['a lastEventId that is no id', 'lastEventId=abc', true, /^lastEventId: 'abc' is not an event id/],
])('parseEventQuery rejects %s, naming the parameter', (_rule, query, stream, message) => {
  const parsed = parseEventQuery(new URLSearchParams(query), stream);
  expect(parsed.ok).toBe(false);
  if (!parsed.ok) expect(parsed.message).toMatch(message);
});

test('an event is one id, event and data block', () => {
  const event = { id: 7, time: '2026-12-01T10:00:00.000Z', kind: 'drift-detected', severity: 'warning', key: 'web-1', instanceId: '1i1', revision: 'r', reason: 'Drifted', message: 'a\nb' } as const;
  expect(formatServerSentEvent(event)).toBe(`id: 7\nevent: drift-detected\ndata: ${JSON.stringify(event)}\n\n`);
  expect(formatServerSentEvent(event).split('\n')).toHaveLength(5);
});
