/**
 * The mutation fence over real HTTP against the emulator: with the fence down a mutating call is not
 * sent (the emulator sees no request) and is "never reached the server"; GETs still flow (a standby keeps
 * its live cache). The socket-level guard: a fence that drops between the check before the call and the
 * write to the socket (a process frozen in between) still sends nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { fencedByLease, neverReachedServer } from '../../../src/errors.js';
import { apiConditionOf } from '../../../src/rancher/api-condition.js';
import { RancherInstanceApi } from '../../../src/rancher/instance-api.js';
import { createHttpClient, type HttpClient } from '../../../src/rancher/http.js';
import { RateLimiter } from '../../../src/rancher/rate-limiter.js';
import { startTestEmulator } from '../../helpers/emulator.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { apiError } from '../rancher/harness.js';

let emulator: EmulatorHandle;
const clients: { http: HttpClient; limiter: RateLimiter }[] = [];

function client(fence: () => boolean, userAgent = 'rancher-reconciler replica/r1'): HttpClient {
  const { log } = captureLogger('debug');
  const limiter = new RateLimiter({ options: { qps: 0, concurrency: 4 }, log });
  const http = createHttpClient({ url: emulator.url, timeoutMs: 5000, qps: 0, concurrency: 4, pageSize: 100 }, { limiter, log, fence, userAgent });
  clients.push({ http, limiter });
  return http;
}

const create = (http: HttpClient, name: string) => http.request({ method: 'POST', path: 'containers', json: { name, imageUuid: 'docker:nginx' } });
const posts = (): number => emulator.requests().filter((r) => r.method === 'POST').length;

beforeAll(async () => {
  emulator = await startTestEmulator({ transitionMs: 0 });
});

afterAll(async () => {
  for (const { http, limiter } of clients) {
    limiter.close();
    http.close();
  }
  await emulator.close();
});

describe('the mutation fence', () => {
  test('up: mutations and reads are sent, with the replica in the User-Agent', async () => {
    const http = client(() => true);
    await create(http, 'up-1');
    await http.request({ method: 'GET', path: 'containers' });
    const last = emulator.requests().slice(-2);
    expect(last.map((r) => [r.method, r.userAgent])).toEqual([['POST', 'rancher-reconciler replica/r1'], ['GET', 'rancher-reconciler replica/r1']]);
  });

  test('down: a mutation is not sent and never reached the server; a GET still is', async () => {
    const http = client(() => false);
    const before = posts();
    const error = await apiError(create(http, 'down-1'));
    expect(error.code).toBe('ERR_API_NETWORK');
    expect(neverReachedServer(error)).toBe(true);
    expect(error.message).toContain('not sent: this replica no longer holds the lease');
    await expect(http.request({ method: 'GET', path: 'containers' })).resolves.toMatchObject({ status: 200 });
    expect(posts()).toBe(before);
  });

  test('dropping between the check and the socket write (a freeze in between): nothing reaches Rancher', async () => {
    // the two looks before the send (before the limiter slot and in it) say yes; the socket's writes, no
    let looks = 0;
    const http = client(() => ++looks <= 2);
    const before = posts();
    const error = await apiError(create(http, 'frozen-1'));
    expect(neverReachedServer(error)).toBe(true);
    expect(looks).toBeGreaterThan(2);
    expect(posts()).toBe(before);
    expect(emulator.requests().some((r) => r.body?.name === 'frozen-1')).toBe(false);
  });

  test('a keep-alive socket opened while up refuses the write of a call that passed the check, then froze', async () => {
    let frozen = false;
    let looks = 0;
    const http = client(() => !frozen || ++looks <= 2);
    await create(http, 'alive-1'); // opens the keep-alive socket
    frozen = true;
    const before = posts();
    const error = await apiError(create(http, 'alive-2'));
    expect(neverReachedServer(error)).toBe(true);
    expect(looks).toBeGreaterThan(2);
    expect(posts()).toBe(before);
  });

  test('a refused action is not retried or looked up, and says nothing about the Rancher API', async () => {
    let up = true;
    const http = client(() => up);
    const api = new RancherInstanceApi({ http, log: captureLogger().log, pageSize: 100 });
    const created = await api.create({ name: 'fenced-1', imageUuid: 'docker:nginx' }, { startOnCreate: false });
    up = false;
    const before = emulator.requests().length;
    const error = await apiError(api.start(created.id));
    expect(fencedByLease(error)).toBe(true);
    expect(apiConditionOf(error)).toBeUndefined();
    expect(emulator.requests().length).toBe(before); // no retry, no read-back
  });
});
