/**
 * The `etcd` state store (etcd v3, with the etcd3 client): records, elections and members under one key
 * prefix (the layout: etcd-layout.ts), a schema version key written on open, members bound to etcd
 * leases. Every call has a deadline (`callTimeoutMs`): a hung etcd answers ERR_STATE_STORE_UNAVAILABLE
 * instead of hanging the leader elector.
 *
 * Read-only (`plan` in CI): meant for an etcd user whose role only reads the prefix; this side also
 * refuses every write itself (ERR_STATE_STORE_DENIED) and `open` only checks the schema version.
 */
import { Etcd3, type CallContext, type IOptions } from 'etcd3';
import type { Logger } from '../logger.js';
import { StateStoreError, type EnvironmentState, type StateStore } from './state-store.js';
import { callDeadline, grantLease, keepAliveOnce, rangePrefix, revokeLease, txn, withDeadline, type EtcdCallContext } from './etcd-calls.js';
import { leaseTtlSeconds } from './etcd-election.js';
import { EtcdLayout, parseEtcdUrl } from './etcd-layout.js';
import { EtcdEnvironmentState } from './etcd-records.js';

/** The layout version this build writes and reads. */
export const etcdSchemaVersion = 1;

export type EtcdStoreOptions = Readonly<{
  /** `etcd://host:port[,host:port][/prefix]`, `etcds://` for TLS; the prefix defaults to `/rancher-reconciler`. */
  url: string;
  username?: string;
  password?: string;
  /** The CA certificate(s) to trust for `etcds://`, PEM text (default: the system's). */
  ca?: string;
  readOnly?: boolean;
  /** The deadline of each call, ms (default 5000). */
  callTimeoutMs?: number;
  /** Operations per transaction at most: etcd's `--max-txn-ops` (default 128). */
  maxTxnOps?: number;
  log: Logger;
}>;

/** Creates the store; nothing connects until {@link StateStore.open}. Throws ERR_STATE_STORE_UNAVAILABLE for a malformed URL. */
export function createEtcdStore(options: EtcdStoreOptions): StateStore {
  const endpoint = parseEtcdUrl(options.url);
  const callTimeoutMs = options.callTimeoutMs ?? 5_000;
  const username = options.username ?? endpoint.username;
  const password = options.password ?? endpoint.password ?? '';
  const clientOptions: IOptions = {
    hosts: [...endpoint.hosts],
    dialTimeout: callTimeoutMs,
    // unary requests get a gRPC deadline; streams (keepalives) are bounded by withDeadline
    defaultCallOptions: (call: CallContext) => (call.isStream ? {} : callDeadline({ callTimeoutMs })),
    ...(username === undefined ? {} : { auth: { username, password } }),
    ...(options.ca === undefined ? {} : { credentials: { rootCertificate: Buffer.from(options.ca) } }),
  };
  const context: EtcdCallContext = { client: new Etcd3(clientOptions), description: endpoint.description, callTimeoutMs };
  return new EtcdStore(context, new EtcdLayout(endpoint.prefix), options);
}

class EtcdStore implements StateStore {
  readonly kind = 'etcd' as const;
  readonly elects = true;
  readonly description: string;
  readonly #context: EtcdCallContext;
  readonly #layout: EtcdLayout;
  readonly #options: EtcdStoreOptions;
  readonly #readOnly: boolean;
  /** One per environment name: its election keeps this process's candidacies. */
  readonly #environments = new Map<string, EtcdEnvironmentState>();
  /** The etcd lease of each member this process beats for. */
  readonly #members = new Map<string, Readonly<{ leaseId: string; ttlSeconds: number }>>();
  #closed = false;

  constructor(context: EtcdCallContext, layout: EtcdLayout, options: EtcdStoreOptions) {
    this.#context = context;
    this.#layout = layout;
    this.#options = options;
    this.#readOnly = options.readOnly === true;
    this.description = context.description;
  }

  /** Checks the schema version; unless read-only, writes it when missing (create-if-absent). */
  open(): Promise<void> {
    return withDeadline(this.#context, 'open', async () => {
      const key = this.#layout.schemaKey;
      let stored = (await this.#context.client.kv.range({ key }, callDeadline(this.#context))).kvs[0]?.value;
      if (stored === undefined && !this.#readOnly) {
        const version = Buffer.from(String(etcdSchemaVersion));
        const answer = await txn(this.#context, [{ key, target: 'Create', result: 'Equal', create_revision: 0 }], [{ request_put: { key, value: version } }], [{ request_range: { key } }]);
        stored = answer.succeeded ? version : answer.responses[0]?.response_range.kvs[0]?.value;
      }
      if (stored !== undefined) this.#checkSchema(stored.toString('utf8'));
    });
  }

  environment(name: string, _stateDir: string): EnvironmentState {
    let state = this.#environments.get(name);
    if (state === undefined) {
      state = new EtcdEnvironmentState({
        context: this.#context,
        layout: this.#layout,
        environment: name,
        readOnly: this.#readOnly,
        maxTxnOps: this.#options.maxTxnOps ?? 128,
        log: this.#options.log,
      });
      this.#environments.set(name, state);
    }
    return state;
  }

  /** Puts the member's key bound to its etcd lease (granted once, renewed by each beat); answers the members, sorted. */
  async heartbeat(member: string, ttlMs: number): Promise<string[]> {
    const what = `heartbeat of member ${member}`;
    this.#refuseReadOnly(what);
    return withDeadline(this.#context, what, async () => {
      const leaseId = await this.#memberLease(member, leaseTtlSeconds(ttlMs));
      await this.#context.client.kv.put({ key: this.#layout.memberKey(member), value: Buffer.from(member), lease: leaseId }, callDeadline(this.#context));
      const members = (await rangePrefix(this.#context, this.#layout.membersPrefix)).map((kv) => this.#layout.memberOf(kv.key));
      return members.sort();
    });
  }

  async leave(member: string): Promise<void> {
    const what = `leave of member ${member}`;
    this.#refuseReadOnly(what);
    return withDeadline(this.#context, what, async () => {
      const lease = this.#members.get(member);
      this.#members.delete(member);
      await this.#context.client.kv.deleteRange({ key: this.#layout.memberKey(member) }, callDeadline(this.#context));
      if (lease !== undefined) await revokeLease(this.#context, lease.leaseId);
    });
  }

  /** Closes the connections. Leases are left to their TTLs: a clean stop releases them first (releaseLease, leave). */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#context.client.close();
    }
    return Promise.resolve();
  }

  /** This member's live lease of `ttlSeconds`: renewed, or granted anew when lost or of another TTL. */
  async #memberLease(member: string, ttlSeconds: number): Promise<string> {
    const known = this.#members.get(member);
    if (known !== undefined && known.ttlSeconds === ttlSeconds && (await keepAliveOnce(this.#context, known.leaseId)) > 0) return known.leaseId;
    const leaseId = await grantLease(this.#context, ttlSeconds);
    this.#members.set(member, { leaseId, ttlSeconds });
    // the old lease binds nothing once the key is put with the new one; left to expire
    return leaseId;
  }

  #checkSchema(text: string): void {
    const version = Number(text);
    if (Number.isInteger(version) && version >= 1 && version <= etcdSchemaVersion) return;
    const why = Number.isInteger(version) && version > etcdSchemaVersion ? `schema version ${version} is newer than this build reads (${etcdSchemaVersion})` : `schema version ${JSON.stringify(text)} is not one this build reads`;
    throw new StateStoreError('ERR_STATE_STORE_SCHEMA', `state store ${this.description}: ${why} (key ${this.#layout.schemaKey.toString('utf8')})`);
  }

  #refuseReadOnly(what: string): void {
    if (this.#readOnly) throw new StateStoreError('ERR_STATE_STORE_DENIED', `${what} on state store ${this.description} refused: the store was opened read-only`);
  }
}
