/**
 * createLogger's pretty format: one line per event (time, level, message, fields), colour only when
 * the config says so. JSON lines never carry colour.
 */
import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/logger.js';
import { TextSink } from '../helpers/cli.js';

const sgr = /\x1b\[[0-9;]*m/;

function logSome(config: Parameters<typeof createLogger>[0]): string {
  const sink = new TextSink();
  const log = createLogger(config, sink).child({ component: 'reconciler', reconcileId: 1 });
  log.info({ key: 'web', instanceId: '1i3', action: 'start', durationMs: 20 }, 'action succeeded');
  log.warn({ key: 'db', err: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ERR_API_NETWORK' }) }, 'reconcile failed, retrying');
  return sink.text;
}

describe('createLogger pretty', () => {
  it('writes one line per event: time, level, message, then the fields', () => {
    const lines = logSome({ level: 'info', pretty: true, color: false }).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO: action succeeded key=web instanceId=1i3 action=start component=reconciler reconcileId=1 durationMs=20$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN: reconcile failed, retrying key=db component=reconciler reconcileId=1 err\.type=Error err\.message="connect ECONNREFUSED" err\.code=ERR_API_NETWORK$/);
    expect(lines[2]).toBe('');
  });

  it('writes no ANSI colour without `color`', () => {
    expect(logSome({ level: 'info', pretty: true })).not.toMatch(sgr);
  });

  it('colours the level and dims the field names with `color`', () => {
    const text = logSome({ level: 'info', pretty: true, color: true });
    expect(text).toContain('\x1b[32mINFO\x1b[39m');
    expect(text).toContain('\x1b[90mkey=');
  });

  it('never colours JSON lines, even with `color`', () => {
    const text = logSome({ level: 'info', pretty: false, color: true });
    expect(text).not.toMatch(sgr);
    expect(JSON.parse(text.split('\n')[0] ?? '')).toMatchObject({ msg: 'action succeeded', key: 'web', level: 'info' });
  });
});
