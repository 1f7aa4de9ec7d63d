/**
 * execute, logs and proxy over real HTTP: each answers a hostAccess whose token is an RS256 JWT with
 * the claims cattle's action handlers put in it, and whose URL is an emulator websocket that checks the
 * token and closes with an honest "not emulated" close frame (docs/rancher-v1.md#host-access-tokens).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebSocket } from 'ws';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { notEmulatedCloseCode } from '../../../src/emulator/websocket-host-access.js';
import { post, startTestEmulator, waitForResource } from '../../helpers/emulator.js';

/** The decoded header and payload of a JWT (the signature is checked by the emulator's endpoint). */
function decode(token: string): { header: any; payload: any } {
  const [header = '', payload = ''] = token.split('.');
  const json = (part: string): any => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  return { header: json(header), payload: json(payload) };
}

/** Dials `url` and resolves with the close code and reason, or the HTTP status of a refused handshake. */
function dial(url: string): Promise<{ code?: number; reason?: string; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

let emulator: EmulatorHandle;
let running: any;

beforeAll(async () => {
  emulator = await startTestEmulator();
  const created = await post(`${emulator.url}/containers`, { name: 'web', imageUuid: 'docker:nginx' });
  running = await waitForResource(created.body.links.self, (body) => body.state === 'running');
});
afterAll(() => emulator.close());

describe('execute', () => {
  it('answers a hostAccess whose RS256 token carries the exec claims, host uuid and cattle registered claims', async () => {
    const answer = await post(running.actions.execute, { command: ['sh', '-c', 'date'], tty: false });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: null, type: 'hostAccess', baseType: 'hostAccess', url: emulator.url.replace(/^http/, 'ws').replace(/\/v1$/, '/v1/exec/') });
    const { header, payload } = decode(answer.body.token);
    expect(header).toEqual({ alg: 'RS256' });
    expect(payload.exec).toEqual({ AttachStdin: true, AttachStdout: true, Tty: false, Cmd: ['sh', '-c', 'date'], Container: running.externalId });
    expect(payload).toMatchObject({ sub: 'cattle', iss: 'http://cattle.io', hostUuid: expect.any(String), kid: expect.any(String) });
    expect(payload.exp).toBeGreaterThan(payload.iat);
  });

  it('refuses an execute without a command, as its input schema requires one', async () => {
    const answer = await post(running.actions.execute, {});
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'MissingRequired', fieldName: 'command' });
  });

  it('serves the websocket: a valid token gets the handshake, then a not-emulated close frame', async () => {
    const answer = await post(running.actions.execute, { command: ['sh'] });
    const closed = await dial(`${answer.body.url}?token=${answer.body.token}`);
    expect(closed.code).toBe(notEmulatedCloseCode);
    expect(closed.reason).toMatch(/^not emulated: exec/);
  });

  it('refuses the handshake with 401 for a missing, forged or other-endpoint token', async () => {
    const exec = await post(running.actions.execute, { command: ['sh'] });
    const logs = await post(running.actions.logs, {});
    const [header, payload] = exec.body.token.split('.');
    expect(await dial(exec.body.url)).toEqual({ status: 401 });
    expect(await dial(`${exec.body.url}?token=${header}.${payload}.AAAA`)).toEqual({ status: 401 });
    expect(await dial(`${exec.body.url}?token=${logs.body.token}`)).toEqual({ status: 401 });
  });
});

describe('logs and proxy', () => {
  it('logs: Container, Lines and Follow (schema defaults 100 and true) on the /v1/logs/ endpoint', async () => {
    const answer = await post(running.actions.logs, {});
    expect(answer.body.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/v1\/logs\/$/);
    expect(decode(answer.body.token).payload.logs).toEqual({ Container: running.externalId, Lines: 100, Follow: true });
    expect((await dial(`${answer.body.url}?token=${answer.body.token}`)).code).toBe(notEmulatedCloseCode);
  });

  it('proxy: Container, scheme and the address ip:port, on an http URL as cattle swaps the scheme back', async () => {
    const answer = await post(running.actions.proxy, { port: 8080 });
    expect(answer.body.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/container-proxy\/$/);
    expect(decode(answer.body.token).payload.proxy).toEqual({ Container: running.externalId, scheme: 'http', address: `${running.primaryIpAddress}:8080` });
  });
});
