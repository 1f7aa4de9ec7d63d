/**
 * Where the etcd state store keeps things: the URL (`etcd://host:port[,host:port]/prefix`, `etcds://`
 * for TLS) and the key layout under its prefix. Pure: no client, no I/O.
 *
 * ```
 * <prefix>/schema                              "1": the layout version (etcd-store.ts open())
 * <prefix>/env/<environment>/records/<key>     one InventoryEntry as JSON
 * <prefix>/env/<environment>/leader/<lease>    one election candidate, bound to its etcd lease (etcd-election.ts)
 * <prefix>/members/<member>                    a live replica, bound to its etcd lease
 * ```
 *
 * Environment names, record keys and member names are each one segment, encoded with
 * encodeURIComponent: keys are case-sensitive and may contain `/` and any unicode, and one key must
 * never read as a prefix of another's segment.
 */
import { StateStoreError } from './state-store.js';

/** The prefix when the URL has no path. */
export const defaultEtcdPrefix = '/rancher-reconciler';

export type EtcdEndpoint = Readonly<{
  /** `host:port` each (`https://host:port` with TLS, which is how etcd3 tells it apart). */
  hosts: readonly string[];
  tls: boolean;
  /** The key prefix, with no trailing slash. */
  prefix: string;
  /** The URL without credentials: `etcd://host:port,host:port/prefix`. */
  description: string;
  /** `user:password@` from the URL, when it had one (options given explicitly win). */
  username?: string;
  password?: string;
}>;

const urlPattern = /^(etcds?):\/\/(?:([^@/]*)@)?([^/?#]+)(\/[^?#]*)?$/;
const hostPattern = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/** Parses an etcd state store URL; throws ERR_STATE_STORE_UNAVAILABLE (not retryable) naming it without credentials. */
export function parseEtcdUrl(url: string): EtcdEndpoint {
  const match = urlPattern.exec(url.trim());
  const safe = url.replace(/\/\/[^@/]*@/, '//');
  if (match === null) throw badUrl(safe, 'expected etcd://host:port[,host:port][/prefix] or etcds://…');
  const [, scheme = 'etcd', userinfo, hostList = '', path = ''] = match;
  const hosts = hostList.split(',').map((h) => h.trim());
  const bad = hosts.find((h) => !hostPattern.test(h));
  if (bad !== undefined) throw badUrl(safe, `"${bad}" is not host:port`);
  const trimmed = path.replace(/\/+$/, '');
  const prefix = trimmed === '' ? defaultEtcdPrefix : trimmed;
  const tls = scheme === 'etcds';
  const credentials = userinfo === undefined ? {} : splitUserinfo(userinfo);
  return {
    hosts: hosts.map((h) => (tls ? `https://${h}` : h)),
    tls,
    prefix,
    description: `${scheme}://${hosts.join(',')}${prefix}`,
    ...credentials,
  };
}

function splitUserinfo(userinfo: string): { username?: string; password?: string } {
  const colon = userinfo.indexOf(':');
  const username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  return colon < 0 ? { username } : { username, password: decodeURIComponent(userinfo.slice(colon + 1)) };
}

function badUrl(safeUrl: string, why: string): StateStoreError {
  return new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', `state store URL ${safeUrl} is invalid: ${why}`, { retryable: false });
}

/** The keys of one store, as Buffers (etcd keys are bytes). */
export class EtcdLayout {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  get schemaKey(): Buffer {
    return Buffer.from(`${this.prefix}/schema`);
  }

  recordsPrefix(environment: string): Buffer {
    return Buffer.from(`${this.#env(environment)}/records/`);
  }

  recordKey(environment: string, key: string): Buffer {
    return Buffer.concat([this.recordsPrefix(environment), Buffer.from(encodeURIComponent(key))]);
  }

  /** The record key a stored etcd key names (the inverse of {@link recordKey}). */
  recordKeyOf(environment: string, etcdKey: Buffer): string {
    return decodeURIComponent(etcdKey.subarray(this.recordsPrefix(environment).length).toString('utf8'));
  }

  leaderPrefix(environment: string): Buffer {
    return Buffer.from(`${this.#env(environment)}/leader/`);
  }

  /** A candidate's key: its etcd lease id in hex, as etcd's own concurrency election names it. */
  leaderKey(environment: string, leaseId: string): Buffer {
    return Buffer.concat([this.leaderPrefix(environment), Buffer.from(BigInt(leaseId).toString(16))]);
  }

  get membersPrefix(): Buffer {
    return Buffer.from(`${this.prefix}/members/`);
  }

  memberKey(member: string): Buffer {
    return Buffer.concat([this.membersPrefix, Buffer.from(encodeURIComponent(member))]);
  }

  memberOf(etcdKey: Buffer): string {
    return decodeURIComponent(etcdKey.subarray(this.membersPrefix.length).toString('utf8'));
  }

  #env(environment: string): string {
    return `${this.prefix}/env/${encodeURIComponent(environment)}`;
  }
}

/** The end of the range of every key starting with `prefix` (etcd's `clientv3.GetPrefixRangeEnd`). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all 0xff: to the end of the keyspace
}
