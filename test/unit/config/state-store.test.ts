/** `--state-store` and the lease options through the real loadConfig: what each accepts, and every refusal named. */
import { describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const url = ['--url', 'http://rancher.example.com:8080'];

function load(argv: string[], env: Record<string, string> = {}) {
  return loadConfig({ command: 'run', argv, env, cwd: '/work', readFile: (path) => (path.endsWith('empty') ? '' : `secret-of-${path}\n`), defaultReplicaId: 'host-1' });
}

function issues(argv: string[]): readonly string[] {
  try {
    load(argv);
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('accepted', () => {
  test.each([
    { why: 'the default: the file store', argv: [], store: { kind: 'file' } },
    {
      why: 'mysql with its user; the password from a file', argv: [...url, '--state-store', 'mysql://reconciler@db:3306/rr', '--state-store-password-file', '/run/pw'],
      store: { kind: 'mysql', url: 'mysql://db:3306/rr', username: 'reconciler', password: 'secret-of-/run/pw', ca: undefined },
    },
    { why: 'etcd with a prefix', argv: [...url, '--state-store', 'etcd://10.0.0.1:2379,10.0.0.2:2379/rr'], store: { kind: 'etcd', url: 'etcd://10.0.0.1:2379,10.0.0.2:2379/rr', username: undefined, password: undefined, ca: undefined } },
    { why: 'etcd over TLS with a CA', argv: [...url, '--state-store', 'etcds://etcd:2379', '--state-store-ca-file', '/ca.pem'], store: { kind: 'etcd', url: 'etcds://etcd:2379', ca: 'secret-of-/ca.pem\n' } },
  ])('$why', ({ argv, store }) => {
    expect(load(argv).stateStore).toMatchObject(store);
  });

  test('the lease defaults are controller-runtime\'s; the replica id defaults to <hostname>-<pid>', () => {
    expect(load([]).replica).toEqual({ id: 'host-1', leaseMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    expect(load(['--replica-id', 'r2', '--lease-duration', '6s', '--renew-deadline', '4s', '--retry-period', '500ms']).replica).toEqual({ id: 'r2', leaseMs: 6_000, renewDeadlineMs: 4_000, retryPeriodMs: 500 });
    expect(load([], { RECONCILER_REPLICA_ID: 'pod-a' }).replica.id).toBe('pod-a');
  });
});

describe('refused, each problem named', () => {
  test.each([
    { why: 'a password in the URL', argv: [...url, '--state-store', 'mysql://u:hunter2@db/rr'], issue: '--state-store: the URL holds a password: put it in --state-store-password-file instead' },
    { why: 'a password in an etcd URL', argv: [...url, '--state-store', 'etcd://u:hunter2@etcd:2379/rr'], issue: '--state-store: the URL holds a password: put it in --state-store-password-file instead' },
    { why: 'an etcd endpoint without a port', argv: [...url, '--state-store', 'etcd://etcd/rr'], issue: '--state-store: state store URL etcd://etcd/rr is invalid: "etcd" is not host:port' },
    { why: 'an unknown scheme', argv: [...url, '--state-store', 'postgres://db/rr'], issue: '--state-store: unknown scheme `postgres`: use file, mysql:// or etcd:// (etcds:// for TLS)' },
    { why: 'not a URL', argv: [...url, '--state-store', 'mysql'], issue: '--state-store: `mysql` is not `file` or a mysql:// or etcd:// URL' },
    { why: 'mysql without a database', argv: [...url, '--state-store', 'mysql://u@db:3306'], issue: '--state-store: name the database: mysql://USER@HOST:PORT/DATABASE' },
    { why: 'a password file for the file store', argv: ['--state-store-password-file', '/pw'], issue: '--state-store-password-file: only used with a mysql:// or etcd:// --state-store' },
    { why: 'an empty password file', argv: [...url, '--state-store', 'mysql://u@db/rr', '--state-store-password-file', '/empty'], issue: '--state-store-password-file: file `/empty` is empty' },
    { why: 'a shared store on the embedded emulator', argv: ['--state-store', 'etcd://etcd:2379'], issue: '--state-store: environment default has no Rancher URL: a shared state store is for replicas of one Rancher (--url)' },
    { why: 'a renew deadline as long as the lease', argv: ['--lease-duration', '10s'], issue: '--renew-deadline: must be shorter than --lease-duration (10s), or two replicas could both act' },
    { why: 'a retry period as long as the renew deadline', argv: ['--retry-period', '10s'], issue: '--retry-period: must be shorter than --renew-deadline (10s), or a leader could not renew in time' },
    { why: 'a replica id with a space', argv: ['--replica-id', 'a b'], issue: '--replica-id: `a b` must be a non-empty name without spaces' },
  ])('$why', ({ argv, issue }) => {
    expect(issues(argv)).toContain(issue);
  });

  test('the password never appears in a message', () => {
    expect(issues([...url, '--state-store', 'mysql://u:hunter2@db/rr']).join('\n')).not.toContain('hunter2');
  });
});
