/**
 * Builds the state store that `--state-store` names (config/state-store.ts): the file store, or a
 * MySQL/MariaDB or etcd client. Opening (connecting, migrating the schema) is the caller's step.
 */
import type { StateStoreConfig } from '../config/state-store.js';
import type { Logger } from '../logger.js';
import { createEtcdStore } from './etcd-store.js';
import { createFileStore } from './file-store.js';
import { createMysqlStore } from './mysql-store.js';
import type { StateStore } from './state-store.js';

/** `readOnly`: `plan`, which never writes (a read-only database user is enough). */
export function createStateStore(config: StateStoreConfig, deps: Readonly<{ log: Logger; readOnly?: boolean }>): StateStore {
  const readOnly = deps.readOnly === true;
  const log = deps.log.child({ component: 'state-store' });
  switch (config.kind) {
    case 'file':
      return createFileStore({ readOnly });
    case 'mysql': {
      const url = new URL(config.url);
      if (config.username !== undefined) url.username = encodeURIComponent(config.username);
      return createMysqlStore({ url: url.toString(), readOnly, log, ...(config.password === undefined ? {} : { password: config.password }), ...(config.ca === undefined ? {} : { ca: config.ca }) });
    }
    case 'etcd':
      return createEtcdStore({
        url: config.url, readOnly, log,
        ...(config.username === undefined ? {} : { username: config.username }),
        ...(config.password === undefined ? {} : { password: config.password }),
        ...(config.ca === undefined ? {} : { ca: config.ca }),
      });
  }
}
