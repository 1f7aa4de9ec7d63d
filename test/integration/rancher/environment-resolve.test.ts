/**
 * `--environment` against the emulator over HTTP: resolveEnvironment's lookup through GET /v1/projects
 * and its retry policies (run: everything retried; apply: retried until --timeout, fatal at once; plan:
 * one lookup), then openRancher end to end through the real loadConfig.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { ApiError, ConfigError, ReconcilerError } from '../../../src/errors.js';
import { openRancher } from '../../../src/rancher-connection.js';
import { resolveEnvironment, type ResolvePolicy } from '../../../src/rancher/environment-resolve.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { startTestEmulator } from '../../helpers/emulator.js';
import { testClient, type TestClient } from './harness.js';

const accessKey = 'AK-env';
const secretKey = 'SK-env-never-logged';
const fast = { baseMs: 5, maxMs: 20, maxRetryAfterMs: 50 };
const projects = ['1a5', '1a7', '1a9', '1a11'];
const projectNames = { '1a7': 'staging', '1a9': 'prod', '1a11': 'prod' };

describe('resolveEnvironment', () => {
  let emu: EmulatorHandle;
  let client: TestClient;
  beforeAll(async () => {
    emu = await startTestEmulator({ accessKey, secretKey, projects, projectNames });
  });
  afterAll(async () => emu.close());
  afterEach(() => {
    client?.close();
    emu.setFaults({});
  });

  const resolve = (environment: string, policy: ResolvePolicy, url = emu.url, keys = { accessKey, secretKey }) => {
    client = testClient(url, keys);
    return resolveEnvironment({ http: client.http, environment, policy, log: client.log, retryDelay: fast });
  };

  it.each<[string, string]>([
    ['a name', 'staging'],
    ['an id', '1a7'],
  ])('turns %s into the project-scoped base URL with one GET /v1/projects', async (_rule, environment) => {
    emu.resetCounters();
    await expect(resolve(environment, { kind: 'once' })).resolves.toBe(`${emu.url}/projects/1a7`);
    expect(emu.counters()['GET /v1/projects']).toBe(1);
    expect(client.sink.lines.find((l) => l.msg === 'environment resolved')).toMatchObject({ environment, projectId: '1a7', url: `${emu.url}/projects/1a7` });
  });

  it.each<[string, string, string]>([
    ['a missing name lists what the key sees', 'qa',
      'environment `qa` not found: the key sees `Default` (1a5), `staging` (1a7), `prod` (1a9), `prod` (1a11)'],
    ['a shared name is ambiguous', 'prod', 'environment name `prod` is ambiguous: 1a9, 1a11 are all named so; give the id instead (e.g. --environment 1a9)'],
    ['a missing id', '1a3', 'environment `1a3` not found: the key sees `Default` (1a5), `staging` (1a7), `prod` (1a9), `prod` (1a11)'],
  ])('refuses %s with a ConfigError, even under the run policy (the configuration must change)', async (_rule, environment, message) => {
    const error = await resolve(environment, { kind: 'forever' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([message]);
  });

  it('run: retries until Rancher answers, warning once per kind of failure', async () => {
    // the client retries a GET 4 times itself: 7 refusals fail one lookup and part of the next
    emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/projects$', effect: 'error', status: 503, times: 7 }] });
    await expect(resolve('prod', { kind: 'forever' }).catch(() => 'failed')).resolves.toBe('failed');
    emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/projects$', effect: 'error', status: 503, times: 7 }] });
    await expect(resolve('staging', { kind: 'forever' })).resolves.toBe(`${emu.url}/projects/1a7`);
    const retries = client.sink.lines.filter((l) => l.msg === 'environment lookup retrying');
    expect(retries.map((l) => l.level)).toEqual(['warn']);
    expect(retries[0]).toMatchObject({ environment: 'staging', attempt: 1, err: { code: 'ERR_API_UNAVAILABLE' } });
  });

  it('run: retries a 401 too (the keys may be rotated) and never logs the secret', async () => {
    emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/projects$', effect: 'error', status: 401, times: 2 }] });
    await expect(resolve('staging', { kind: 'forever' })).resolves.toBe(`${emu.url}/projects/1a7`);
    expect(client.sink.lines.filter((l) => l.msg === 'environment lookup retrying')).toHaveLength(2);
    expect(client.sink.text).not.toContain(secretKey);
  });

  it('apply: a 401 ends the lookup at once, after one request', async () => {
    emu.resetCounters();
    const error = await resolve('staging', { kind: 'until', timeoutMs: 60_000 }, emu.url, { accessKey, secretKey: 'wrong' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'ERR_API_UNAUTHORIZED', status: 401 });
    expect(emu.counters()['GET /v1/projects']).toBe(1);
  });

  it('apply: a retryable failure is retried within --timeout', async () => {
    emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/projects$', effect: 'error', status: 503, times: 6 }] });
    await expect(resolve('1a9', { kind: 'until', timeoutMs: 60_000 })).resolves.toBe(`${emu.url}/projects/1a9`);
  });

  it('apply: an unreachable Rancher gives up after --timeout, naming the cause', async () => {
    const error = await resolve('staging', { kind: 'until', timeoutMs: 30 }, 'http://127.0.0.1:1/v1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReconcilerError);
    expect(error).toMatchObject({ code: 'ERR_WAIT_TIMEOUT' });
    expect((error as Error).message).toMatch(/^environment `staging` not looked up within 0s \(--timeout\): Rancher unreachable: .*ECONNREFUSED/);
  });

  it('plan: one lookup (with the client\'s own GET retries), then the ApiError', async () => {
    emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/projects$', effect: 'error', status: 503 }] });
    emu.resetCounters();
    await expect(resolve('staging', { kind: 'once' })).rejects.toMatchObject({ code: 'ERR_API_UNAVAILABLE' });
    expect(emu.counters()['GET /v1/projects']).toBe(5);
  });

  it('a URL that does not serve projects is `not the API` at once under apply', async () => {
    emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/projects$', effect: 'error', status: 404 }] });
    await expect(resolve('staging', { kind: 'until', timeoutMs: 60_000 })).rejects.toMatchObject({ code: 'ERR_API_NOT_FOUND', status: 404 });
  });

  it('stops waiting when the signal aborts', async () => {
    emu.setFaults({ rules: [{ method: 'GET', path: '^/v1/projects$', effect: 'error', status: 503 }] });
    client = testClient(emu.url, { accessKey, secretKey });
    const controller = new AbortController();
    const lookup = resolveEnvironment({ http: client.http, environment: 'staging', policy: { kind: 'forever' }, log: client.log, retryDelay: fast, signal: controller.signal });
    await client.sink.waitFor('environment lookup retrying');
    controller.abort(new Error('received SIGTERM'));
    await expect(lookup).rejects.toThrow('received SIGTERM');
  });
});

describe('openRancher with --environment (through the real loadConfig)', () => {
  let emu: EmulatorHandle;
  let stateDir: string;
  beforeAll(async () => {
    emu = await startTestEmulator({ accessKey, secretKey, projects, projectNames });
    stateDir = await mkdtemp(join(tmpdir(), 'reconciler-env-'));
  });
  afterAll(async () => {
    await emu.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  const root = (): string => emu.url.replace(/\/v1$/, '');
  const config = (command: 'run' | 'apply' | 'plan', env: Record<string, string>) =>
    loadConfig({ command, argv: ['--state-dir', stateDir], env, cwd: stateDir, readFile: () => '' });

  it('maps the server root to /v1 (said once), resolves the name, and works in that project', async () => {
    const { log, sink } = captureLogger('info');
    const rancher = await openRancher(config('run', { RANCHER_URL: root(), RANCHER_ENVIRONMENT: 'staging', RANCHER_ACCESS_KEY: accessKey, RANCHER_SECRET_KEY: secretKey }), { log });
    try {
      expect(rancher.url).toBe(`${emu.url}/projects/1a7`);
      expect(sink.lines.filter((l) => l.msg === 'API URL mapped to v1')).toEqual([expect.objectContaining({ level: 'info', from: root(), to: emu.url })]);
      expect(sink.lines.find((l) => l.msg === 'environment resolved')).toMatchObject({ component: 'api', projectId: '1a7' });
      const created = await rancher.api.create({ name: 'in-staging', imageUuid: 'docker:nginx' }, { startOnCreate: false });
      expect(emu.containers().find((c) => c.id === created.id)?.projectId).toBe('1a7');
    } finally {
      await rancher.close();
    }
  });

  it('takes the UI\'s /v2-beta/projects/<id> URL, mapped to /v1, without any lookup', async () => {
    const { log, sink } = captureLogger('info');
    emu.resetCounters();
    const rancher = await openRancher(config('plan', { RANCHER_URL: `${root()}/v2-beta/projects/1a9`, RANCHER_ACCESS_KEY: accessKey, RANCHER_SECRET_KEY: secretKey }), { log });
    await rancher.close();
    expect(rancher.url).toBe(`${emu.url}/projects/1a9`);
    expect(sink.lines.find((l) => l.msg === 'API URL mapped to v1')).toMatchObject({ from: `${root()}/v2-beta/projects/1a9`, to: `${emu.url}/projects/1a9` });
    expect(emu.counters()['GET /v1/projects']).toBeUndefined();
  });

  it('reads CATTLE_* as Rancher injects them', async () => {
    const { log } = captureLogger('info');
    const rancher = await openRancher(config('plan', { CATTLE_URL: emu.url, CATTLE_ACCESS_KEY: accessKey, CATTLE_SECRET_KEY: secretKey, RANCHER_ENVIRONMENT: '1a5' }), { log });
    await rancher.close();
    expect(rancher.url).toBe(`${emu.url}/projects/1a5`);
  });

  it('apply with rejected keys fails at once with the 401 (no retry until --timeout)', async () => {
    const { log } = captureLogger('info');
    emu.resetCounters();
    const opening = openRancher(config('apply', { RANCHER_URL: emu.url, RANCHER_ENVIRONMENT: 'staging', RANCHER_ACCESS_KEY: accessKey, RANCHER_SECRET_KEY: 'wrong' }), { log });
    await expect(opening).rejects.toMatchObject({ code: 'ERR_API_UNAUTHORIZED' });
    expect(emu.counters()['GET /v1/projects']).toBe(1);
  });

  it('a missing environment is a ConfigError listing the environments', async () => {
    const { log } = captureLogger('info');
    const opening = openRancher(config('plan', { RANCHER_URL: emu.url, RANCHER_ENVIRONMENT: 'qa', RANCHER_ACCESS_KEY: accessKey, RANCHER_SECRET_KEY: secretKey }), { log });
    await expect(opening).rejects.toBeInstanceOf(ConfigError);
    await expect(opening).rejects.toThrow('environment `qa` not found: the key sees `Default` (1a5), `staging` (1a7), `prod` (1a9), `prod` (1a11)');
  });

  it('resolves against the embedded emulator too (its one environment is `Default`)', async () => {
    const { log } = captureLogger('info');
    const rancher = await openRancher(config('plan', { RANCHER_ENVIRONMENT: 'Default' }), { log, readOnly: true });
    try {
      expect(rancher.embedded).toBe(true);
      expect(rancher.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/projects\/1a5$/);
      await expect(rancher.api.list()).resolves.toEqual([]);
    } finally {
      await rancher.close();
    }
  });
});
