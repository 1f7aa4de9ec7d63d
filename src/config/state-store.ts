/**
 * The state store's slice of the configuration (`--state-store`, its password and CA files) and the
 * replica's lease settings (`--replica-id`, `--lease-duration`, `--renew-deadline`, `--retry-period`),
 * with every problem collected as an issue. Credentials come from files only: a URL with a password
 * is refused (it would reach process listings, logs and shell history).
 */
import type { RawValue } from './raw-values.js';
import { fileSecretFrom, tryRead, type Values } from './secrets.js';
import { parseEtcdUrl } from '../state/etcd-layout.js';

/** Where records and leases live. `url` never carries a password; `password` is a secret: never log it. */
export type StateStoreConfig =
  | Readonly<{ kind: 'file' }>
  | Readonly<{ kind: 'mysql' | 'etcd'; url: string; username: string | undefined; password: string | undefined; ca: string | undefined }>;

/** This replica's lease settings (leader/elector.ts), in ms. */
export type ReplicaConfig = Readonly<{ id: string; leaseMs: number; renewDeadlineMs: number; retryPeriodMs: number }>;

type Inputs = Readonly<{ values: Values; raws: Map<string, RawValue>; readFile: (path: string) => string; issues: string[]; defaultReplicaId: string }>;

const label = (raws: Map<string, RawValue>, name: string): string => raws.get(name)?.label ?? `--${name}`;

/**
 * etcd takes a list of endpoints (`etcd://10.0.0.1:2379,10.0.0.2:2379/prefix`), which WHATWG URLs do
 * not: the etcd store's own parser checks it (state/etcd-layout.ts), and the text is kept without userinfo.
 */
function etcdUrl(text: string, where: string, issues: string[]): { url: string; username: string | undefined } | undefined {
  if (!/^etcds?:\/\//.test(text)) return undefined;
  let endpoint: ReturnType<typeof parseEtcdUrl>;
  try {
    endpoint = parseEtcdUrl(text);
  } catch (e: unknown) {
    issues.push(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    return { url: '', username: undefined };
  }
  if (endpoint.password !== undefined) issues.push(`${where}: the URL holds a password: put it in --state-store-password-file instead`);
  return { url: text.replace(/\/\/[^@/]*@/, '//'), username: endpoint.username };
}

function storeUrl(text: string, where: string, issues: string[]): { kind: 'mysql' | 'etcd'; url: URL } | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // a value with userinfo is not echoed: it may hold a password
    issues.push(`${where}: ${text.includes('@') ? 'the value' : `\`${text}\``} is not \`file\` or a mysql:// or etcd:// URL`);
    return undefined;
  }
  const scheme = url.protocol.replace(/:$/, '');
  const kind = scheme === 'mysql' ? 'mysql' : scheme === 'etcd' || scheme === 'etcds' ? 'etcd' : undefined;
  if (kind === undefined) {
    issues.push(`${where}: unknown scheme \`${scheme}\`: use file, mysql:// or etcd:// (etcds:// for TLS)`);
    return undefined;
  }
  if (url.password !== '') {
    issues.push(`${where}: the URL holds a password: put it in --state-store-password-file instead`);
    return undefined;
  }
  if (kind === 'mysql' && url.pathname.replace(/^\//, '') === '') issues.push(`${where}: name the database: mysql://USER@HOST:PORT/DATABASE`);
  return { kind, url };
}

/** `--state-store` and its files. */
export function stateStoreFrom(inputs: Inputs): StateStoreConfig {
  const { values, raws, readFile, issues } = inputs;
  const text = (values.get('state-store') as string | undefined) ?? 'file';
  const password = fileSecretFrom(values, raws, 'state-store-password-file', readFile, issues);
  const caFile = values.get('state-store-ca-file') as string | undefined;
  const ca = caFile === undefined ? undefined : tryRead(readFile, caFile, label(raws, 'state-store-ca-file'), issues);
  if (text === 'file') {
    for (const name of ['state-store-password-file', 'state-store-ca-file']) {
      if (raws.has(name)) issues.push(`${label(raws, name)}: only used with a mysql:// or etcd:// --state-store`);
    }
    return { kind: 'file' };
  }
  const etcd = etcdUrl(text, label(raws, 'state-store'), issues);
  if (etcd !== undefined) return { kind: 'etcd', url: etcd.url, username: etcd.username, password, ca };
  const parsed = storeUrl(text, label(raws, 'state-store'), issues);
  if (parsed === undefined) return { kind: 'file' };
  const { kind, url } = parsed;
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  url.username = '';
  return { kind, url: url.toString(), username, password, ca };
}

/** `--replica-id` and the lease timings; the order lease > renew deadline > retry period is checked. */
export function replicaFrom(inputs: Inputs): ReplicaConfig {
  const { values, raws, issues } = inputs;
  const ms = (name: string, fallbackSeconds: number): number => Math.round(((values.get(name) as number | undefined) ?? fallbackSeconds) * 1000);
  const replica = { id: (values.get('replica-id') as string | undefined) ?? inputs.defaultReplicaId, leaseMs: ms('lease-duration', 15), renewDeadlineMs: ms('renew-deadline', 10), retryPeriodMs: ms('retry-period', 2) };
  if (replica.renewDeadlineMs >= replica.leaseMs) issues.push(`${label(raws, 'renew-deadline')}: must be shorter than --lease-duration (${replica.leaseMs / 1000}s), or two replicas could both act`);
  if (replica.retryPeriodMs >= replica.renewDeadlineMs) issues.push(`${label(raws, 'retry-period')}: must be shorter than --renew-deadline (${replica.renewDeadlineMs / 1000}s), or a leader could not renew in time`);
  if (replica.id.trim() === '' || /[\s]/.test(replica.id)) issues.push(`${label(raws, 'replica-id')}: \`${replica.id}\` must be a non-empty name without spaces`);
  return replica;
}
