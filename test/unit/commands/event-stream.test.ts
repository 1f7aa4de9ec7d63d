/**
 * The pure parts of `events` and the stream client: SSE decoding across chunk boundaries, `--since`
 * parsing, and the printed line.
 */
import { describe, expect, test } from '@jest/globals';
import { SseDecoder } from '../../../src/commands/event-stream.js';
import { eventLine, parseSince } from '../../../src/commands/events.js';
import { ConfigError } from '../../../src/errors.js';
import type { ReconcilerEvent } from '../../../src/observability/event-model.js';

describe('SseDecoder', () => {
  test('dispatches id, event and data on a blank line, across any chunk split', () => {
    const text = ': hello\n\nid: 7\nevent: action-failed\ndata: {"a":1}\n\nid: 8\r\ndata: x\r\ndata: y\r\n\r\n';
    const whole = new SseDecoder().push(text);
    expect(whole).toEqual([
      { id: '7', event: 'action-failed', data: '{"a":1}' },
      { id: '8', event: 'message', data: 'x\ny' },
    ]);
    for (let cut = 1; cut < text.length; cut += 1) {
      const decoder = new SseDecoder();
      expect([...decoder.push(text.slice(0, cut)), ...decoder.push(text.slice(cut))]).toEqual(whole);
    }
  });

  test('drops a message without data, and keeps the last id for the next message', () => {
    expect(new SseDecoder().push('id: 3\n\ndata: z\n\n')).toEqual([{ id: '3', event: 'message', data: 'z' }]);
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-12-01T12:00:00.000Z');
  test.each<[string, string, string]>([
    ['seconds', '30s', '2026-12-01T11:59:30.000Z'],
    ['minutes', '10m', '2026-12-01T11:50:00.000Z'],
    ['a compound duration', '1h30m', '2026-12-01T10:30:00.000Z'],
    ['days', '1d', '2026-11-30T12:00:00.000Z'],
    ['an ISO time', '2026-12-01T10:00:00+01:00', '2026-12-01T09:00:00.000Z'],
    ['an ISO date', '2026-11-30', '2026-11-30T00:00:00.000Z'],
  ])('reads %s', (_rule, text, expected) => expect(parseSince(text, now)).toBe(expected));

  test.each([['yesterday'], ['10'], ['5 m'], ['2026-13-45']])('rejects %s with the accepted forms', (text) => {
    expect(() => parseSince(text, now)).toThrow(ConfigError);
    expect(() => parseSince(text, now)).toThrow(`--since: expected a duration (30s, 10m, 2h, 1d) or an ISO time, got \`${text}\``);
  });
});

describe('eventLine', () => {
  const event: ReconcilerEvent = { id: 4, time: '2026-12-01T10:00:00.000Z', kind: 'action-failed', severity: 'error', key: 'web-1', instanceId: '1i42', revision: null, reason: 'ApiError', message: 'start failed' };
  test('text: time, severity, kind and key in fixed columns, then the message', () => {
    expect(eventLine(event, 'text')).toBe('2026-12-01T10:00:00.000Z  error    action-failed         web-1  start failed\n');
    expect(eventLine({ ...event, key: null }, 'text')).toContain('action-failed         -  start failed');
  });
  test('json: the event on one line', () => {
    expect(JSON.parse(eventLine(event, 'json'))).toEqual(event);
    expect(eventLine(event, 'json').split('\n')).toHaveLength(2);
  });
});
