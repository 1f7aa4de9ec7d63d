/**
 * The shared state store contract against the `file` backend (each environment's inventory.json in
 * its own temp folder). It does not elect, so the lease, fence and membership tests of the contract
 * say so and are skipped; its one-writer rule is the state lock's (test/integration/inventory).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStore } from '../../../src/state/file-store.js';
import { stateStoreContract } from './contract.js';

const root = await mkdtemp(join(tmpdir(), 'rr-file-store-'));

await stateStoreContract('file', () => Promise.resolve({
  createStore: () => createFileStore(),
  createReadOnlyStore: () => createFileStore({ readOnly: true }),
  stateDir: (environment) => join(root, environment),
  cleanup: () => rm(root, { recursive: true, force: true }),
}));
