/**
 * The etcd calls the state store makes, each under a deadline, with etcd3's errors translated once into
 * StateStoreError: unavailable, deadline exceeded and lost connections → ERR_STATE_STORE_UNAVAILABLE
 * (retryable); permission denied and refused credentials → ERR_STATE_STORE_DENIED. Messages name the
 * store by its description and the operation; the credentials never reach one (etcd3's own messages,
 * kept as `cause`, do not carry them either).
 */
import {
  castGrpcError,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  EtcdRoleNotGrantedError,
  EtcdUserNotFoundError,
  GRPCUnauthenticatedError,
  type Etcd3,
  type ICompare,
  type IKeyValue,
  type IRangeRequest,
  type IRequestOp,
  type ITxnResponse,
} from 'etcd3';
import { StateStoreError } from './state-store.js';
import { prefixRangeEnd } from './etcd-layout.js';

/** What every call needs: the client, its description for messages, and the deadline. */
export type EtcdCallContext = Readonly<{ client: Etcd3; description: string; callTimeoutMs: number }>;

const deniedErrors = [EtcdPermissionDeniedError, EtcdAuthenticationFailedError, EtcdRoleNotGrantedError, EtcdUserNotFoundError, EtcdInvalidAuthTokenError, GRPCUnauthenticatedError];

/** Translates anything an etcd call threw; a StateStoreError passes through unchanged. */
export function etcdError(context: EtcdCallContext, what: string, error: unknown): StateStoreError {
  if (error instanceof StateStoreError) return error;
  const typed = error instanceof Error ? castGrpcError(error) : error; // streams reject with gRPC's plain errors
  if (deniedErrors.some((type) => typed instanceof type)) {
    return new StateStoreError('ERR_STATE_STORE_DENIED', `${what} on state store ${context.description} was denied (check the user, its password and its role on the prefix)`, { cause: error });
  }
  const reason = typed instanceof Error ? typed.name : 'unknown error';
  return new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', `${what} on state store ${context.description} failed (${reason})`, { cause: error });
}

/**
 * Runs `call` (one or more etcd requests) within the context's deadline: a hung etcd answers
 * ERR_STATE_STORE_UNAVAILABLE when it passes, so callers such as the leader elector never hang. The
 * requests themselves carry a gRPC deadline too (etcd-store.ts), so nothing is left running for long.
 */
export async function withDeadline<T>(context: EtcdCallContext, what: string, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new StateStoreError('ERR_STATE_STORE_UNAVAILABLE', `${what} on state store ${context.description} timed out after ${context.callTimeoutMs} ms`)), context.callTimeoutMs);
  });
  try {
    return await Promise.race([call(), expired]);
  } catch (e: unknown) {
    throw etcdError(context, what, e);
  } finally {
    clearTimeout(timer);
  }
}

/** A gRPC deadline for one request: the call options of every unary etcd request. */
export function callDeadline(context: Pick<EtcdCallContext, 'callTimeoutMs'>): { deadline: Date } {
  return { deadline: new Date(Date.now() + context.callTimeoutMs) };
}

/** Grants an etcd lease of `ttlSeconds`; answers its id. */
export async function grantLease(context: EtcdCallContext, ttlSeconds: number): Promise<string> {
  const granted = await context.client.leaseClient.leaseGrant({ TTL: ttlSeconds }, callDeadline(context));
  return granted.ID;
}

/**
 * One confirmed keepalive: answers the TTL left after it, 0 when the lease is gone (expired or
 * revoked). etcd3's Lease keeps leases alive on its own timer and reports a loss only after twice the
 * TTL without contact; the store is polled instead, and each poll must know at once.
 */
export async function keepAliveOnce(context: EtcdCallContext, leaseId: string): Promise<number> {
  const stream = await context.client.leaseClient.leaseKeepAlive(callDeadline(context));
  try {
    const answer = await new Promise<{ TTL: string }>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
      stream.write({ ID: leaseId });
    });
    return Number(answer.TTL);
  } finally {
    stream.end();
  }
}

/** Revokes a lease (deleting every key bound to it); a lease that is gone already is fine. */
export async function revokeLease(context: EtcdCallContext, leaseId: string): Promise<void> {
  try {
    await context.client.leaseClient.leaseRevoke({ ID: leaseId }, callDeadline(context));
  } catch (e: unknown) {
    if (!(e instanceof Error && /lease not found/.test(e.message))) throw e;
  }
}

/** One transaction, as etcd's gRPC API has it (range compares included, which etcd3's builder lacks). */
export async function txn(context: EtcdCallContext, compare: ICompare[], success: IRequestOp[], failure: IRequestOp[] = []): Promise<ITxnResponse> {
  return context.client.kv.txn({ compare, success, failure }, callDeadline(context));
}

/** A range request of the key under `prefix` with the lowest create revision, for a txn op or a read. */
export function oldestUnder(prefix: Buffer): IRangeRequest {
  return { key: prefix, range_end: prefixRangeEnd(prefix), sort_target: 'Create', sort_order: 'Ascend', limit: 1 };
}

/** Every key under `prefix`, read in pages of `pageSize` at one revision (a consistent snapshot). */
export async function rangePrefix(context: EtcdCallContext, prefix: Buffer, pageSize = 500): Promise<IKeyValue[]> {
  const end = prefixRangeEnd(prefix);
  const found: IKeyValue[] = [];
  let from = prefix;
  let revision: string | undefined;
  for (;;) {
    const page = await context.client.kv.range({ key: from, range_end: end, limit: pageSize, ...(revision === undefined ? {} : { revision }) }, callDeadline(context));
    revision ??= page.header.revision;
    found.push(...page.kvs);
    const last = page.kvs.at(-1);
    if (!page.more || last === undefined) return found;
    from = Buffer.concat([last.key, Buffer.from([0])]);
  }
}
