/**
 * The mysql state store against a real MariaDB (started by the file, one server for all its tests):
 * the shared contract (./contract.ts), then what only mysql has: two replicas migrating at once, a hung
 * query that times out, refused credentials, a server that is gone. Without MariaDB installed every
 * test is skipped, and the run says so.
 */
import { afterAll, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import { createMysqlStore, type MysqlStoreOptions } from '../../../src/state/mysql-store.js';
import { mysqlSchemaVersion } from '../../../src/state/mysql-schema.js';
import type { StateStore } from '../../../src/state/state-store.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { startMariaDb, type MariaDb, type MariaDbUser } from '../../helpers/mariadb.js';
import { closedPort } from '../../helpers/ports.js';
import { stateStoreContract } from './contract.js';
import { storeError } from './contract-harness.js';

const started = await startMariaDb();
const db: MariaDb | undefined = 'unavailable' in started ? undefined : started;
const mysqlTest = db === undefined ? test.skip : test;
const stateRoot = await mkdtemp(join(tmpdir(), 'mysql-store-'));

afterAll(async () => {
  await db?.stop();
  await rm(stateRoot, { recursive: true, force: true });
});

function storeFor(user: MariaDbUser, overrides: Partial<MysqlStoreOptions> = {}): StateStore {
  return createMysqlStore({ url: db!.url(user), password: db!.password(user), queryTimeoutMs: 10_000, log: captureLogger().log, ...overrides });
}

async function admin(): Promise<Connection> {
  return createConnection({ host: '127.0.0.1', port: db!.port, user: 'admin', password: db!.password('admin'), database: db!.database });
}

await stateStoreContract('mysql', async () =>
  'unavailable' in started
    ? started
    : {
        createStore: () => storeFor('rw'),
        createReadOnlyStore: () => storeFor('ro', { readOnly: true }),
        stateDir: (environment) => join(stateRoot, environment),
        shortLeaseMs: 1_000,
        bumpSchemaVersion: async () => {
          const conn = await admin();
          try {
            await conn.query('UPDATE rr_schema SET version = ? WHERE id = 1', [mysqlSchemaVersion + 1]);
          } finally {
            await conn.end();
          }
          return async () => {
            const back = await admin();
            await back.query('UPDATE rr_schema SET version = ? WHERE id = 1', [mysqlSchemaVersion]).finally(() => back.end());
          };
        },
      },
);

/** Drops every table, so the next open starts from an empty database. */
async function dropTables(): Promise<void> {
  const conn = await admin();
  try {
    await conn.query('DROP TABLE IF EXISTS rr_records, rr_leases, rr_members, rr_schema');
  } finally {
    await conn.end();
  }
}

mysqlTest('replicas opening an empty database at once create the tables once, and both work', async () => {
  await dropTables();
  const stores = Array.from({ length: 4 }, () => storeFor('rw'));
  try {
    await Promise.all(stores.map((store) => store.open()));
    const [first, second] = [stores[0]!.environment('race', stateRoot), stores[1]!.environment('race', stateRoot)];
    const attempts = await Promise.all([first.tryAcquireOrRenew('a', 60_000), second.tryAcquireOrRenew('b', 60_000)]);
    expect(attempts.filter((a) => a.held)).toHaveLength(1);
    const conn = await admin();
    const [rows] = await conn.query('SELECT version FROM rr_schema').finally(() => conn.end());
    expect(rows).toEqual([{ version: mysqlSchemaVersion }]);
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
});

mysqlTest('a read-only open of an uninitialised database says to start a daemon with write access first', async () => {
  await dropTables();
  const reader = storeFor('ro', { readOnly: true });
  const error = await storeError(reader.open().finally(() => reader.close()));
  expect(error.code).toBe('ERR_STATE_STORE_SCHEMA');
  expect(error.message).toContain('not initialised: start a daemon with write access');
  const writer = storeFor('rw');
  await writer.open().finally(() => writer.close()); // put the tables back for the tests after
});

mysqlTest('read-only credentials without the read-only flag are DENIED by the server', async () => {
  const store = storeFor('ro');
  await store.open(); // the tables exist: a read-write open finds nothing to do
  try {
    const error = await storeError(store.environment('denied', stateRoot).tryAcquireOrRenew('a', 60_000));
    expect(error.code).toBe('ERR_STATE_STORE_DENIED');
    expect(error.retryable).toBe(false);
  } finally {
    await store.close();
  }
});

mysqlTest('a query blocked by a lock another connection holds times out as UNAVAILABLE', async () => {
  const store = storeFor('rw', { queryTimeoutMs: 1_500 });
  await store.open();
  const state = store.environment('hung', stateRoot);
  await state.tryAcquireOrRenew('a', 60_000);
  const locker = await admin();
  try {
    await locker.query('START TRANSACTION');
    await locker.query("SELECT * FROM rr_leases WHERE environment = 'hung' FOR UPDATE");
    const error = await storeError(state.tryAcquireOrRenew('a', 60_000));
    expect(error.code).toBe('ERR_STATE_STORE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    await locker.query('ROLLBACK');
    // the store recovers once the lock is gone: the timed-out connection was replaced
    expect((await state.tryAcquireOrRenew('a', 60_000)).held).toBe(true);
  } finally {
    await locker.end();
    await store.close();
  }
});

mysqlTest('a wrong password is DENIED, and the message does not carry it', async () => {
  const wrong = `not-${db!.password('rw')}`;
  const store = storeFor('rw', { password: wrong });
  const error = await storeError(store.open().finally(() => store.close()));
  expect(error.code).toBe('ERR_STATE_STORE_DENIED');
  expect(error.message).toContain(`mysql://rw@127.0.0.1:${db!.port}/rr`);
  expect(error.message).not.toContain(wrong);
  expect(error.message).not.toContain(db!.password('rw'));
});

mysqlTest('a password in the URL is used, and never shown in the description or errors', async () => {
  const password = db!.password('rw');
  const store = createMysqlStore({ url: db!.url('rw').replace('rw@', `rw:${password}@`), queryTimeoutMs: 10_000, log: captureLogger().log });
  expect(store.description).toBe(`mysql://rw@127.0.0.1:${db!.port}/rr`);
  await store.open();
  await store.close();
});

mysqlTest('a server nobody listens on is UNAVAILABLE and retryable', async () => {
  const port = await closedPort();
  const store = createMysqlStore({ url: `mysql://rw@127.0.0.1:${port}/rr`, password: 'x', queryTimeoutMs: 5_000, log: captureLogger().log });
  const error = await storeError(store.open().finally(() => store.close()));
  expect(error.code).toBe('ERR_STATE_STORE_UNAVAILABLE');
  expect(error.retryable).toBe(true);
});

mysqlTest(
  'a server that stops under an open store makes its calls UNAVAILABLE',
  async () => {
    const own = await startMariaDb();
    if ('unavailable' in own) throw new Error(own.unavailable);
    const store = createMysqlStore({ url: own.url('rw'), password: own.password('rw'), queryTimeoutMs: 5_000, log: captureLogger().log });
    try {
      await store.open();
      const state = store.environment('gone', stateRoot);
      await state.writeRecords({ put: [], delete: ['x'] }, undefined);
      await own.stop();
      for (const call of [() => state.loadRecords(), () => state.tryAcquireOrRenew('a', 60_000), () => store.heartbeat('m', 60_000)]) {
        const error = await storeError(call());
        expect(error.code).toBe('ERR_STATE_STORE_UNAVAILABLE');
        expect(error.retryable).toBe(true);
      }
    } finally {
      await store.close();
      await own.stop();
    }
  },
  60_000,
);

mysqlTest('a corrupt record is CORRUPT, naming the environment and the key', async () => {
  const store = storeFor('rw');
  await store.open();
  const conn = await admin();
  try {
    await conn.query("INSERT INTO rr_records (environment, record_key, body, updated_at) VALUES ('broken', 'Web/1', '{\"key\":\"Web/1\"}', UTC_TIMESTAMP(6))");
    const error = await storeError(store.environment('broken', stateRoot).loadRecords());
    expect(error.code).toBe('ERR_STATE_STORE_CORRUPT');
    expect(error.message).toContain('"Web/1"');
    expect(error.message).toContain('"broken"');
  } finally {
    await conn.end();
    await store.close();
  }
});
