/** The pure rules of notifications: filters, the duplicate key and window, retryable statuses, alert names. */
import { describe, expect, it, test } from '@jest/globals';
import { DedupeWindow } from '../../../src/notify/dedupe-window.js';
import { compileFilter, dedupeKey } from '../../../src/notify/event-filter.js';
import { isRetryableStatus } from '../../../src/notify/post-notification.js';
import { alertName } from '../../../src/notify/providers/alertmanager.js';
import { signBody } from '../../../src/notify/providers/webhook.js';
import type { NotificationConfig } from '../../../src/notify/notify-config.js';
import type { ReconcilerEvent } from '../../../src/observability/event-model.js';
import { aReconcilerEvent } from '../../helpers/builders.js';

type Filters = Pick<NotificationConfig, 'minSeverity' | 'kinds' | 'instances'>;

describe('compileFilter', () => {
  test.each<[string, Filters, Partial<ReconcilerEvent>, boolean]>([
    ['takes an event at the minimum severity', { minSeverity: 'warning' }, { severity: 'warning' }, true],
    ['takes an event above it', { minSeverity: 'warning' }, { severity: 'error' }, true],
    ['drops an event below it', { minSeverity: 'warning' }, { severity: 'info' }, false],
    ['takes a listed kind', { minSeverity: 'info', kinds: ['drift-detected'] }, { kind: 'drift-detected' }, true],
    ['drops an unlisted kind', { minSeverity: 'info', kinds: ['drift-detected'] }, { kind: 'action-failed' }, false],
    ['takes an instance matching a glob', { minSeverity: 'info', instances: ['web-*'] }, { key: 'web-1' }, true],
    ['drops an instance matching none', { minSeverity: 'info', instances: ['web-*'] }, { key: 'db-1' }, false],
    ['drops an instance a later ! pattern takes back', { minSeverity: 'info', instances: ['web-*', '!web-canary'] }, { key: 'web-canary' }, false],
    ['matches ? and [a-z] inside a name', { minSeverity: 'info', instances: ['db-?', 'cache-[ab]'] }, { key: 'cache-b' }, true],
    ['matches case-sensitively', { minSeverity: 'info', instances: ['web-*'] }, { key: 'WEB-1' }, false],
    ['drops an event about no instance when instances is set', { minSeverity: 'info', instances: ['*'] }, { key: null }, false],
    ['takes an event about no instance without instances', { minSeverity: 'info' }, { key: null }, true],
  ])('%s', (_rule, filters, event, expected) => {
    expect(compileFilter(filters)(aReconcilerEvent(event))).toBe(expected);
  });
});

describe('duplicates', () => {
  it('keys an event by kind, instance and message only', () => {
    const base = dedupeKey(aReconcilerEvent());
    expect(dedupeKey(aReconcilerEvent({ id: 9, time: '2026-11-28T00:00:00.000Z', revision: 'r2', severity: 'warning' }))).toBe(base);
    expect(dedupeKey(aReconcilerEvent({ kind: 'instance-failed' }))).not.toBe(base);
    expect(dedupeKey(aReconcilerEvent({ key: 'web-2' }))).not.toBe(base);
    expect(dedupeKey(aReconcilerEvent({ message: 'other' }))).not.toBe(base);
  });

  it('admits a key once per window, measured from the last admission', () => {
    const window = new DedupeWindow(1000);
    expect([window.admit('k', 0), window.admit('k', 999), window.admit('k', 1000), window.admit('k', 1500), window.admit('k', 2000)]).toEqual([true, false, true, false, true]);
    expect(window.admit('other', 1500)).toBe(true);
  });

  it('forgets expired keys once many are held, and still suppresses the live ones', () => {
    const window = new DedupeWindow(1000);
    for (let i = 0; i < 1000; i += 1) window.admit(`old-${i}`, 0);
    window.admit('live', 5000);
    for (let i = 0; i < 5; i += 1) window.admit(`new-${i}`, 5500);
    expect(window.admit('live', 5600)).toBe(false);
    expect(window.admit('old-1', 5600)).toBe(true);
  });
});

test.each([
  [500, true], [502, true], [503, true], [429, true], [408, true],
  [400, false], [401, false], [403, false], [404, false], [410, false], [301, false],
])('status %i is retried: %s', (status, retried) => {
  expect(isRetryableStatus(status)).toBe(retried);
});

test.each([
  ['drift-detected', 'RancherReconcilerDriftDetected'],
  ['credentials-rejected', 'RancherReconcilerCredentialsRejected'],
  ['twin-removed', 'RancherReconcilerTwinRemoved'],
] as const)('alert name of %s is %s', (kind, name) => {
  expect(alertName(kind)).toBe(name);
});

it('signs a body as sha256=<hex HMAC>', () => {
  // RFC 4231 test case 2
  expect(signBody('what do ya want for nothing?', 'Jefe')).toBe('sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
});
