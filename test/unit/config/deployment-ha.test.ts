/**
 * Keeps the two HA examples (deploy/kubernetes.ha.yaml, deploy/rancher/ha/) true to the code: two
 * replicas, a MySQL state store whose password is a mounted file, and flags that the real loadConfig
 * accepts.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../src/config.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const files: Record<string, string> = {};
const readFile = (path: string): string => {
  files[path] = 'read';
  return 'secret\n';
};

describe('deploy/kubernetes.ha.yaml', () => {
  const docs = parseAllDocuments(read('deploy/kubernetes.ha.yaml')).map((doc) => doc.toJS() as { kind: string; spec: any });
  const deployment = docs.find((doc) => doc.kind === 'Deployment');
  const pod = deployment?.spec.template.spec;
  const container = pod.containers[0] as { args: string[]; env: { name: string; value?: string; valueFrom?: unknown }[]; volumeMounts: { name: string; mountPath: string }[] };

  it('runs two replicas with a rolling update, a Service and no state claim', () => {
    expect(docs.map((doc) => doc.kind)).toEqual(['Deployment', 'Service']);
    expect(deployment?.spec.replicas).toBe(2);
    expect(deployment?.spec.strategy.type).toBe('RollingUpdate');
    expect(pod.volumes.find((v: { name: string }) => v.name === 'state')).toEqual({ name: 'state', emptyDir: {} });
  });

  it('names each replica by its pod and reads the MySQL password from the mounted Secret, through the real loadConfig', () => {
    expect(container.env.find((e) => e.name === 'RECONCILER_REPLICA_ID')).toEqual({ name: 'RECONCILER_REPLICA_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    const [command, ...argv] = container.args;
    expect(command).toBe('run');
    const config = loadConfig({ command: 'run', argv, env: { RANCHER_URL: 'https://rancher.example.com', RANCHER_ACCESS_KEY: 'AK', RECONCILER_REPLICA_ID: 'rancher-reconciler-7d9f-abcde' }, cwd: '/app', readFile });
    expect(config.stateStore).toEqual({ kind: 'mysql', url: 'mysql://mysql.rancher.svc:3306/rancher_reconciler', username: 'reconciler', password: 'secret', ca: undefined });
    expect(config.replica).toEqual({ id: 'rancher-reconciler-7d9f-abcde', leaseMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    const mounted = container.volumeMounts.find((m) => m.name === 'credentials')?.mountPath;
    expect(files[`${mounted}/mysql-password`]).toBe('read');
    const items = pod.volumes.find((v: { name: string }) => v.name === 'credentials').secret.items.map((i: { path: string }) => i.path);
    expect(items).toContain('mysql-password');
  });
});

describe('deploy/rancher/ha (a stack of two replicas)', () => {
  const stack = parseYaml(read('deploy/rancher/ha/docker-compose.yml')) as { services: Record<string, { command: string[]; secrets: { target: string }[]; labels: Record<string, string> }>; secrets: Record<string, unknown> };
  const settings = parseYaml(read('deploy/rancher/ha/rancher-compose.yml')) as { services: Record<string, { scale: number; upgrade_strategy: { start_first: boolean } }> };
  const reconciler = stack.services['reconciler']!;

  it('runs scale 2, may start before it stops (a new replica is a standby), with the service-account labels', () => {
    expect(settings.services['reconciler']).toMatchObject({ scale: 2, upgrade_strategy: { start_first: true } });
    expect(reconciler.labels).toMatchObject({ 'io.rancher.container.create_agent': 'true', 'io.rancher.container.agent.role': 'environment' });
  });

  it('reads the MySQL password from the Rancher secret it mounts, through the real loadConfig and the injected CATTLE_*', () => {
    const [command, ...argv] = reconciler.command;
    expect(command).toBe('run');
    const config = loadConfig({ command: 'run', argv, env: { CATTLE_URL: 'http://rancher.example.com:8080/v1', CATTLE_ACCESS_KEY: 'AK', CATTLE_SECRET_KEY: 'SK' }, cwd: '/app', readFile });
    expect(config.stateStore).toMatchObject({ kind: 'mysql', username: 'reconciler', password: 'secret' });
    const passwordFile = argv.find((arg) => arg.startsWith('--state-store-password-file='))?.split('=')[1];
    expect(passwordFile).toBe(`/run/secrets/${reconciler.secrets[0]?.target}`);
    expect(Object.keys(stack.secrets)).toEqual(['rancher-reconciler-mysql']);
  });
});
