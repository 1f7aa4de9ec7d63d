/** `GET /schema/instance.json` on the status server: the schema editors can point at a running daemon. */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { StatusSource } from '../../../src/domain/status.js';
import { startStatusServer, type StatusServer } from '../../../src/http/status-server.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { aDaemonStatus } from '../../helpers/builders.js';
import { captureLogger } from '../../helpers/log-sink.js';

const source: StatusSource = {
  status: () => aDaemonStatus(),
  health: () => ({ ok: true }),
  readiness: () => ({ ready: true, reasons: [] }),
  requestReconcile: () => undefined,
};

let server: StatusServer;
beforeAll(async () => {
  server = await startStatusServer({ host: '127.0.0.1', port: 0, log: captureLogger().log, metrics: createMetrics({ defaultMetrics: false }), source });
});
afterAll(async () => {
  await server.close();
});

it('serves the committed schema/instance.json as application/schema+json', async () => {
  const response = await fetch(`${server.url}/schema/instance.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/schema+json; charset=utf-8');
  expect(await response.text()).toBe(readFileSync(new URL('../../../schema/instance.json', import.meta.url), 'utf8'));
});

it('answers HEAD and refuses POST with 405', async () => {
  expect((await fetch(`${server.url}/schema/instance.json`, { method: 'HEAD' })).status).toBe(200);
  const post = await fetch(`${server.url}/schema/instance.json`, { method: 'POST' });
  expect(post.status).toBe(405);
  expect(post.headers.get('allow')).toBe('GET, HEAD');
});
