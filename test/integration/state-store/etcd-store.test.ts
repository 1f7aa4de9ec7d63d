/**
 * The etcd state store against a real etcd (Debian's etcd-server, started by test/helpers/etcd.ts with
 * auth: a read-write and a read-only user on the prefix): the shared contract, then what only etcd has:
 * resign hands over at once, a lost etcd lease ends the lease, a hung or dead etcd answers UNAVAILABLE
 * within the deadline, refused credentials answer DENIED without the password. Without etcd installed
 * every test is skipped, and the run says so.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEtcdStore, type EtcdStoreOptions } from '../../../src/state/etcd-store.js';
import { StateStoreError, type StateStore, type StateStoreErrorCode } from '../../../src/state/state-store.js';
import { anInventoryEntry } from '../../helpers/builders.js';
import { startEtcd, type EtcdServer, type EtcdUser } from '../../helpers/etcd.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { stateStoreContract } from './contract.js';

const started = await startEtcd({ auth: true });
const server: EtcdServer | undefined = 'unavailable' in started ? undefined : started;
const etcdTest = server === undefined ? test.skip : test;
const { log } = captureLogger();
const opened: StateStore[] = [];

afterAll(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await server?.stop();
});

function storeOf(user: EtcdUser, options: Partial<EtcdStoreOptions> = {}): StateStore {
  return createEtcdStore({ url: server!.url, ...server!.credentials(user), log, ...options });
}

/** An opened store, closed after the file. */
async function opening(user: EtcdUser, options: Partial<EtcdStoreOptions> = {}): Promise<StateStore> {
  const store = storeOf(user, options);
  opened.push(store);
  await store.open();
  return store;
}

async function storeError(promise: Promise<unknown>, code: StateStoreErrorCode): Promise<StateStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StateStoreError)) throw new Error(`expected a StateStoreError, got ${error === undefined ? 'success' : String(error)}`);
  expect(error.code).toBe(code);
  return error;
}

let names = 0;
const fresh = (what: string): string => `${what}-etcd-${(names += 1)}`;
const longLeaseMs = 120_000;

await stateStoreContract('etcd', async () =>
  server === undefined
    ? { unavailable: (started as { unavailable: string }).unavailable }
    : {
        createStore: () => storeOf('writer'),
        createReadOnlyStore: () => storeOf('reader', { readOnly: true }),
        stateDir: (environment) => join(tmpdir(), 'etcd-store-unused', environment),
        bumpSchemaVersion: async () => {
          const admin = server.admin();
          await admin.put(`${server.prefix}/schema`).value('2');
          return async () => {
            await admin.put(`${server.prefix}/schema`).value('1');
          };
        },
        shortLeaseMs: 2_000, // etcd's TTLs are whole seconds, and at least its minimum (about 2 s)
      },
);

describe('etcd state store', () => {
  etcdTest('resign hands over at once: the next holder takes the lease on its next attempt', async () => {
    const environment = fresh('env');
    const [first, second] = [(await opening('writer')).environment(environment, ''), (await opening('writer')).environment(environment, '')];
    const lease = (await first.tryAcquireOrRenew('first', longLeaseMs)).current!;
    expect(await second.tryAcquireOrRenew('second', longLeaseMs)).toEqual({ held: false, current: lease });
    await first.releaseLease(lease);
    const next = await second.tryAcquireOrRenew('second', longLeaseMs);
    expect(next.held).toBe(true);
    expect(next.current!.epoch).toBeGreaterThan(lease.epoch);
  });

  etcdTest('the leader key is bound to an etcd lease, and the epoch is its create revision', async () => {
    const environment = fresh('env');
    const state = (await opening('writer')).environment(environment, '');
    const lease = (await state.tryAcquireOrRenew('leader', longLeaseMs)).current!;
    const keys = await server!.admin().getAll().prefix(`${server!.prefix}/env/${environment}/leader/`).exec();
    expect(keys.kvs.map((kv) => ({ value: kv.value.toString(), create: Number(kv.create_revision), leased: kv.lease !== '0' }))).toEqual([{ value: 'leader', create: lease.epoch, leased: true }]);
  });

  etcdTest('a lost etcd lease (revoked by another client) ends the lease: fenced writes fail, and it is never renewed', async () => {
    const environment = fresh('env');
    const [first, second] = [(await opening('writer')).environment(environment, ''), (await opening('writer')).environment(environment, '')];
    const lease = (await first.tryAcquireOrRenew('first', longLeaseMs)).current!;
    await first.writeRecords({ put: [anInventoryEntry({ key: 'web' })], delete: [] }, lease);
    const admin = server!.admin();
    const [leader] = (await admin.getAll().prefix(`${server!.prefix}/env/${environment}/leader/`).exec()).kvs;
    await admin.leaseClient.leaseRevoke({ ID: leader!.lease });

    expect(await first.readLease()).toBeUndefined();
    await storeError(first.writeRecords({ put: [anInventoryEntry({ key: 'db' })], delete: [] }, lease), 'ERR_STATE_FENCED');
    const taken = await second.tryAcquireOrRenew('second', longLeaseMs);
    expect(taken.held).toBe(true);
    expect(await first.tryAcquireOrRenew('first', longLeaseMs)).toEqual({ held: false, current: taken.current });
    expect([...(await first.loadRecords()).keys()]).toEqual(['web']);
  });

  etcdTest('a holder whose etcd lease was revoked campaigns again with a new epoch, never the lost one', async () => {
    const environment = fresh('env');
    const state = (await opening('writer')).environment(environment, '');
    const lease = (await state.tryAcquireOrRenew('leader', longLeaseMs)).current!;
    const admin = server!.admin();
    const [leader] = (await admin.getAll().prefix(`${server!.prefix}/env/${environment}/leader/`).exec()).kvs;
    await admin.leaseClient.leaseRevoke({ ID: leader!.lease });
    const again = await state.tryAcquireOrRenew('leader', longLeaseMs);
    expect(again.current!.epoch).toBeGreaterThan(lease.epoch);
    await storeError(state.writeRecords({ put: [anInventoryEntry({ key: 'web' })], delete: [] }, lease), 'ERR_STATE_FENCED');
  });

  etcdTest('read-only credentials without the read-only flag: etcd itself refuses the writes (DENIED)', async () => {
    const environment = fresh('env');
    const reader = (await opening('reader')).environment(environment, '');
    expect((await reader.loadRecords()).size).toBe(0);
    await storeError(reader.writeRecords({ put: [anInventoryEntry({ key: 'web' })], delete: [] }, undefined), 'ERR_STATE_STORE_DENIED');
    await storeError(reader.tryAcquireOrRenew('reader', longLeaseMs), 'ERR_STATE_STORE_DENIED');
  });

  etcdTest('a wrong password is DENIED, and neither password appears in the error', async () => {
    const wrong = 'not-the-password-7f3a';
    const store = storeOf('writer', { password: wrong });
    opened.push(store);
    const error = await storeError(store.open(), 'ERR_STATE_STORE_DENIED');
    expect(error.retryable).toBe(false);
    const text = `${error.message} ${String(error.cause)} ${JSON.stringify(error)}`;
    expect(text).not.toContain(wrong);
    expect(text).not.toContain(server!.credentials('writer').password);
    expect(error.message).toContain(`etcd://${server!.host}${server!.prefix}`);
  });

  etcdTest('credentials in the URL are used and never shown in the description', async () => {
    const { username, password } = server!.credentials('writer');
    const store = createEtcdStore({ url: `etcd://${username}:${password}@${server!.host}${server!.prefix}`, log });
    opened.push(store);
    await store.open();
    expect(store.description).toBe(`etcd://${server!.host}${server!.prefix}`);
  });

  etcdTest('a record that does not parse is CORRUPT, naming the environment and the key', async () => {
    const environment = fresh('env');
    const state = (await opening('writer')).environment(environment, '');
    await state.writeRecords({ put: [anInventoryEntry({ key: 'stack/web' })], delete: [] }, undefined);
    await server!.admin().put(`${server!.prefix}/env/${environment}/records/${encodeURIComponent('stack/web')}`).value('{"key":"stack/web"');
    const error = await storeError(state.loadRecords(), 'ERR_STATE_STORE_CORRUPT');
    expect(error.message).toContain(environment);
    expect(error.message).toContain('"stack/web"');
  });
});

describe('etcd state store, etcd down', () => {
  etcdTest(
    'a hung etcd, then a dead one, answer UNAVAILABLE (retryable) within the call deadline',
    async () => {
      const own = await startEtcd();
      if ('unavailable' in own) throw new Error(own.unavailable);
      const store = createEtcdStore({ url: own.url, callTimeoutMs: 1_000, log });
      opened.push(store);
      try {
        await store.open();
        const state = store.environment(fresh('env'), '');
        const lease = (await state.tryAcquireOrRenew('leader', longLeaseMs)).current!;
        own.pause();
        for (const call of [() => state.loadRecords(), () => state.tryAcquireOrRenew('leader', longLeaseMs), () => state.writeRecords({ put: [], delete: [] }, lease), () => store.heartbeat('member', longLeaseMs)]) {
          const startedAt = Date.now();
          const error = await storeError(call(), 'ERR_STATE_STORE_UNAVAILABLE');
          expect(error.retryable).toBe(true);
          expect(Date.now() - startedAt).toBeLessThan(15_000); // the 1 s deadline, with room for a loaded machine: not a hang
        }
        own.resume();
        await own.stop();
        const error = await storeError(state.readLease(), 'ERR_STATE_STORE_UNAVAILABLE');
        expect(error.message).toContain(own.url);
      } finally {
        await own.stop();
      }
    },
    60_000,
  );
});
