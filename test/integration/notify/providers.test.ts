/**
 * Each provider against a local receiver over real HTTP: the request's path, headers and body as the
 * receiving service reads them, and the webhook signature checked with node:crypto.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { anEntry, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('generic webhook', () => {
  it('posts the event as JSON with its source, signed with X-Signature sha256 HMAC of the body', async () => {
    const secret = 'hmac-key-7f3a';
    h = await startHarness((url) => [anEntry({ url: `${url}/hooks/deploys?token=abc`, secret })]);
    const event = h.record();
    const [request] = await h.receiver.waitForRequests(1);

    expect(request).toMatchObject({ method: 'POST', path: '/hooks/deploys?token=abc' });
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({ ...event, source: 'rancher-reconciler' });
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(request!.body).digest('hex')}`);
    const given = Buffer.from(String(request!.headers['x-signature']));
    expect(given.length === expected.length && timingSafeEqual(given, expected)).toBe(true);
    expect(request!.body).not.toContain(secret);
    await expect(h.outcomes.finalOf(event.id)).resolves.toMatchObject({ kind: 'sent', attempts: 1, status: 200 });
    expect(await h.count('hook', 'sent')).toBe(1);
  });

  it('sends no X-Signature without a secretFile', async () => {
    h = await startHarness((url) => [anEntry({ url })]);
    h.record();
    const [request] = await h.receiver.waitForRequests(1);
    expect(request!.headers['x-signature']).toBeUndefined();
  });
});

describe('Slack incoming webhook', () => {
  it('posts one attachment coloured by severity with the kind and instance as title and the fields', async () => {
    h = await startHarness((url) => [anEntry({ name: 'slack-ops', kind: 'slack', url: `${url}/services/T000/B000/XXXXSLACKTOKEN` })]);
    const event = h.record({ kind: 'drift-detected', severity: 'warning', reason: 'DriftDetected', message: 'web-1 changed in Rancher: image' });
    const [request] = await h.receiver.waitForRequests(1);

    expect(request!.path).toBe('/services/T000/B000/XXXXSLACKTOKEN');
    expect(JSON.parse(request!.body)).toEqual({
      attachments: [{
        color: 'warning',
        fallback: 'drift-detected: web-1: web-1 changed in Rancher: image',
        title: 'drift-detected: web-1',
        text: 'web-1 changed in Rancher: image',
        fields: [
          { title: 'Instance', value: 'web-1', short: true },
          { title: 'Revision', value: 'r1', short: true },
          { title: 'Reason', value: 'DriftDetected', short: true },
          { title: 'Rancher id', value: '1i42', short: true },
        ],
        footer: 'rancher-reconciler',
        ts: Math.floor(Date.parse(event.time) / 1000),
      }],
    });
  });

  it.each([
    ['error', 'danger'],
    ['warning', 'warning'],
    ['info', 'good'],
  ] as const)('colours a %s event %s', async (severity, color) => {
    h = await startHarness((url) => [anEntry({ kind: 'slack', url, minSeverity: 'info' })]);
    h.record({ severity });
    const [request] = await h.receiver.waitForRequests(1);
    expect((JSON.parse(request!.body) as { attachments: { color: string }[] }).attachments[0]!.color).toBe(color);
  });

  it('leaves out the fields an event has no value for', async () => {
    h = await startHarness((url) => [anEntry({ kind: 'slack', url })]);
    h.record({ kind: 'source-not-ready', severity: 'warning', key: null, instanceId: null, reason: 'Auth', message: 'git source not ready' });
    const [request] = await h.receiver.waitForRequests(1);
    const attachment = (JSON.parse(request!.body) as { attachments: { title: string; fields: unknown[] }[] }).attachments[0]!;
    expect(attachment.title).toBe('source-not-ready');
    expect(attachment.fields).toEqual([{ title: 'Revision', value: 'r1', short: true }, { title: 'Reason', value: 'Auth', short: true }]);
  });
});

describe('Alertmanager', () => {
  it('posts one alert to /api/v2/alerts with alertname, severity, instance and reason labels', async () => {
    h = await startHarness((url) => [anEntry({ name: 'am', kind: 'alertmanager', url })]);
    const event = h.record({ kind: 'instance-blocked', severity: 'error', reason: 'ImmutableFieldChanged', message: 'web-1: imageUuid is create-only' });
    const [request] = await h.receiver.waitForRequests(1);

    expect(request).toMatchObject({ method: 'POST', path: '/api/v2/alerts' });
    expect(JSON.parse(request!.body)).toEqual([{
      labels: { alertname: 'RancherReconcilerInstanceBlocked', severity: 'error', instance: 'web-1', reason: 'ImmutableFieldChanged', source: 'rancher-reconciler' },
      annotations: { summary: 'web-1: imageUuid is create-only', revision: 'r1', rancherId: '1i42' },
      startsAt: event.time,
    }]);
  });
});
