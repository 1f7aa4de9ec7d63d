import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiError, ConfigError } from '../../../src/errors.js';
import { testClient } from './harness.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('TLS', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer({ key: readFileSync(fixture('test-server.key')), cert: readFileSync(fixture('test-server.crt')) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"collection","data":[],"pagination":{"next":null}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies certificates by default: a self-signed server is refused', async () => {
    const client = testClient(url);
    const error = await client.api.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'ERR_API_TLS', retryable: false });
    // not transient: one attempt, no retries
    expect(client.events).toHaveLength(1);
    client.close();
  });

  it('trusts a server signed by the extra CA file', async () => {
    const client = testClient(url, { caFile: fixture('test-server.crt') });
    await expect(client.api.list()).resolves.toEqual([]);
    client.close();
  });

  it('skips verification only when explicitly asked', async () => {
    const client = testClient(url, { insecureSkipTlsVerify: true });
    await expect(client.api.list()).resolves.toEqual([]);
    client.close();
  });

  it('reports an unreadable CA file as a ConfigError', () => {
    expect(() => testClient(url, { caFile: fixture('missing.crt') })).toThrow(ConfigError);
  });
});
