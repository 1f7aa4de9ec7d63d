/**
 * Keeps the container image and the deploy/ examples true to the code: they are read as data and their
 * flags and environment variables are fed through the real loadConfig. (docker build cannot run in CI.)
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../src/config.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

/** Every `ENV` name=value of the Dockerfile's last stage (continuation lines joined). */
function dockerEnv(dockerfile: string): Record<string, string> {
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const joined = lastStage.replace(/\\\n/g, ' ');
  const env: Record<string, string> = {};
  for (const line of joined.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, name, value] of line.matchAll(/([A-Z_]+)=(\S+)/g)) env[name as string] = value as string;
  }
  return env;
}

/** loadConfig for `run` with a fake file system where every file exists. */
function loadRun(argv: readonly string[], env: Record<string, string>) {
  return loadConfig({ command: 'run', argv, env, cwd: '/app', readFile: () => 'secret\n' });
}

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+\s/.test(line));

  it('is multi-stage on a supported Node LTS slim image', () => {
    const froms = instructions.filter((line) => line.startsWith('FROM '));
    expect(froms).toEqual(['FROM node:22-bookworm-slim AS build', 'FROM node:22-bookworm-slim AS runtime']);
    expect(dockerfile).toContain('RUN npm run build');
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
    expect(dockerfile).toContain('COPY --from=build /src/dist ./dist');
  });

  it('runs as the non-root node user, with the state volume, SIGTERM and a node health check', () => {
    const users = instructions.filter((line) => line.startsWith('USER '));
    expect(users.at(-1)).toBe('USER node');
    expect(instructions).toContain('VOLUME /var/lib/rancher-reconciler');
    expect(instructions).toContain('STOPSIGNAL SIGTERM');
    expect(instructions).toContain('EXPOSE 8081');
    expect(instructions).toContain('ENTRYPOINT ["node", "dist/cli.js"]');
    expect(instructions).toContain('CMD ["run"]');
    expect(dockerfile).toMatch(/HEALTHCHECK [^\n]*\\\n\s+CMD \["node", "-e", "[^\n]*\/healthz/);
  });

  it('sets only environment variables that loadConfig knows and accepts', () => {
    const env = dockerEnv(dockerfile);
    expect(env).toMatchObject({ NODE_ENV: 'production', RECONCILER_STATE_DIR: '/var/lib/rancher-reconciler', RECONCILER_LISTEN: '0.0.0.0:8081' });
    const config = loadRun([], env);
    expect([config.stateDir, config.manifests.dir, config.http.host, config.http.port]).toEqual(['/var/lib/rancher-reconciler', '/app/manifests', '0.0.0.0', 8081]);
  });

  it('has a .dockerignore that keeps local state, builds and tests out of the context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'dist', 'coverage', '.git', '.ci/out', '.rancher-reconciler', 'test']) expect(ignored).toContain(entry);
  });
});

type Container = { name: string; image: string; args?: string[]; env?: { name: string; value?: string }[];
  readinessProbe?: { httpGet: { path: string } }; livenessProbe?: { httpGet: { path: string } };
  volumeMounts: { name: string; mountPath: string }[]; securityContext?: Record<string, unknown> };

describe('deploy/kubernetes.yaml', () => {
  const docs = parseAllDocuments(read('deploy/kubernetes.yaml')).map((doc) => doc.toJS() as { kind: string; spec: any });
  const deployment = docs.find((doc) => doc.kind === 'Deployment');
  const pod = deployment?.spec.template.spec as { containers: Container[]; securityContext: Record<string, unknown>; volumes: { name: string }[] };
  const byName = (name: string): Container => pod.containers.find((c) => c.name === name) as Container;

  it('declares a Secret, a PVC, the Deployment and a Service', () => {
    expect(docs.map((doc) => doc.kind)).toEqual(['Secret', 'PersistentVolumeClaim', 'Deployment', 'Service']);
    expect(deployment?.spec.replicas).toBe(1);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
  });

  it('runs git-sync v4 into /git with a `current` link', () => {
    const gitSync = byName('git-sync');
    expect(gitSync.image).toMatch(/^registry\.k8s\.io\/git-sync\/git-sync:v4\./);
    expect(gitSync.args).toEqual(expect.arrayContaining(['--root=/git', '--link=current', '--period=30s']));
    expect(gitSync.args?.some((arg) => arg.startsWith('--repo='))).toBe(true);
  });

  it('runs the reconciler on /git/current with flags and env that loadConfig accepts', () => {
    const reconciler = byName('reconciler');
    const [command, ...argv] = reconciler.args ?? [];
    expect(command).toBe('run');
    const env = Object.fromEntries((reconciler.env ?? []).map((e) => [e.name, e.value ?? (e.name === 'RANCHER_URL' ? 'https://rancher.example.com/v1' : 'from-secret')]));
    const config = loadRun(argv, env);
    expect(config.manifests.dir).toBe('/git/current');
    expect(config.api.secretKey).toBe('secret');
    expect(config.http.reconcileToken).toBe('secret');
    expect(reconciler.readinessProbe?.httpGet.path).toBe('/readyz');
    expect(reconciler.livenessProbe?.httpGet.path).toBe('/healthz');
    expect(reconciler.volumeMounts).toEqual(expect.arrayContaining([{ name: 'state', mountPath: '/var/lib/rancher-reconciler' }]));
    expect(reconciler.securityContext).toMatchObject({ allowPrivilegeEscalation: false });
  });
});

describe('deploy/docker-compose.yaml', () => {
  const compose = parseYaml(read('deploy/docker-compose.yaml')) as {
    services: Record<string, { image?: string; command: string[]; environment?: Record<string, string>; volumes: string[] }>;
    volumes: Record<string, unknown>;
  };

  it('has git-sync and the reconciler sharing a named volume, plus a state volume', () => {
    expect(Object.keys(compose.services)).toEqual(['git-sync', 'reconciler']);
    expect(Object.keys(compose.volumes)).toEqual(['git', 'state']);
    expect(compose.services['git-sync']?.command).toEqual(expect.arrayContaining(['--root=/git', '--link=current']));
    expect(compose.services.reconciler?.volumes).toEqual(['git:/git:ro', 'state:/var/lib/rancher-reconciler']);
  });

  it('runs the reconciler with flags and env that loadConfig accepts', () => {
    const reconciler = compose.services.reconciler;
    const [command, ...argv] = reconciler?.command ?? [];
    expect(command).toBe('run');
    const env = Object.fromEntries(Object.entries(reconciler?.environment ?? {}).map(([k, v]) => [k, v.startsWith('${') ? (k === 'RANCHER_URL' ? 'https://r.example/v1' : 'x') : v]));
    expect(loadRun(argv, env).manifests.dir).toBe('/git/current');
  });
});


/** The reconciler container of a Kubernetes example file, its pod and its other documents. */
function kubernetesFile(path: string) {
  const docs = parseAllDocuments(read(path)).map((doc) => doc.toJS() as { kind: string; metadata: { name: string }; spec: any; stringData?: Record<string, string> });
  const deployment = docs.find((doc) => doc.kind === 'Deployment');
  const pod = deployment?.spec.template.spec as {
    containers: Container[]; securityContext: Record<string, unknown>;
    volumes: { name: string; emptyDir?: object; secret?: { secretName: string; defaultMode: number; items: { key: string; path: string }[] } }[];
  };
  const reconciler = pod.containers.find((c) => c.name === 'reconciler') as Container;
  const [command, ...argv] = reconciler.args ?? [];
  const env = Object.fromEntries((reconciler.env ?? []).map((e) => [e.name, e.value ?? (e.name === 'RANCHER_URL' ? 'https://rancher.example.com/v1' : 'from-secret')]));
  return { docs, deployment, pod, reconciler, command, argv, env };
}

describe('deploy/kubernetes.git.yaml (the git source, no sidecar)', () => {
  const file = kubernetesFile('deploy/kubernetes.git.yaml');
  const sidecar = kubernetesFile('deploy/kubernetes.yaml');
  const image = dockerEnv(read('Dockerfile'));

  it('declares a Secret, a PVC, a one-replica Recreate Deployment with one container, and a Service', () => {
    expect(file.docs.map((doc) => doc.kind)).toEqual(['Secret', 'PersistentVolumeClaim', 'Deployment', 'Service']);
    expect(file.deployment?.spec.replicas).toBe(1);
    expect(file.deployment?.spec.strategy).toEqual({ type: 'Recreate' });
    expect(file.pod.containers.map((c) => c.name)).toEqual(['reconciler']);
    expect(Object.keys(file.docs[0]?.stringData ?? {})).toEqual(expect.arrayContaining(['git-token', 'webhook-secret', 'secret-key']));
  });

  it('runs the git source with flags and env that loadConfig accepts: https token auth, the GitHub webhook, no --manifests', () => {
    expect(file.command).toBe('run');
    expect(file.argv.some((arg) => arg.startsWith('--manifests'))).toBe(false);
    const config = loadRun(file.argv, { ...image, ...file.env });
    expect(config.git).toMatchObject({ url: 'https://github.com/example/rancher-manifests.git', ref: 'main', path: '', auth: { kind: 'basic', username: 'git', password: 'secret' } });
    expect(config.webhooks.github).toBe('secret');
    expect(config.api.secretKey).toBe('secret');
    expect(config.http.reconcileToken).toBe('secret');
    expect([config.stateDir, config.http.host, config.http.port]).toEqual(['/var/lib/rancher-reconciler', '0.0.0.0', 8081]);
  });

  it('mounts every file a flag names from the Secret, and gives git a writable HOME and /tmp', () => {
    const credentials = file.pod.volumes.find((v) => v.name === 'credentials')?.secret;
    const mount = file.reconciler.volumeMounts.find((m) => m.name === 'credentials')?.mountPath;
    const files = file.argv.filter((arg) => /-file=/.test(arg)).map((arg) => arg.slice(arg.indexOf('=') + 1));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const path of files) expect(credentials?.items.map((item) => `${mount}/${item.path}`)).toContain(path);
    expect(file.env.HOME).toBe('/tmp');
    expect(file.reconciler.volumeMounts).toEqual(expect.arrayContaining([{ name: 'reconciler-tmp', mountPath: '/tmp' }, { name: 'state', mountPath: '/var/lib/rancher-reconciler' }]));
    expect(file.pod.volumes.find((v) => v.name === 'reconciler-tmp')?.emptyDir).toEqual({});
  });

  it('keeps the security settings of the sidecar variant: pod and container context, Secret file mode, probes, names', () => {
    expect(file.pod.securityContext).toEqual(sidecar.pod.securityContext);
    expect(file.reconciler.securityContext).toEqual(sidecar.reconciler.securityContext);
    expect(file.reconciler.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const mode = (f: typeof file) => f.pod.volumes.find((v) => v.name === 'credentials')?.secret?.defaultMode;
    expect(mode(file)).toBe(mode(sidecar));
    expect(file.reconciler.readinessProbe?.httpGet.path).toBe('/readyz');
    expect(file.reconciler.livenessProbe?.httpGet.path).toBe('/healthz');
    // the same object names, so moving from the sidecar variant keeps the state claim (and the inventory)
    expect(file.docs.map((doc) => doc.metadata.name)).toEqual(sidecar.docs.map((doc) => doc.metadata.name));
    expect(file.docs.find((doc) => doc.kind === 'Service')?.spec.type ?? 'ClusterIP').toBe('ClusterIP');
  });
});

describe('deploy/docker-compose.git.yaml (the git source, no sidecar)', () => {
  type Service = { build?: string; image?: string; command: string[]; environment?: Record<string, string>; volumes: string[]; ports: string[]; secrets: string[] };
  const compose = parseYaml(read('deploy/docker-compose.git.yaml')) as { services: Record<string, Service>; secrets: Record<string, { file?: string }>; volumes: Record<string, unknown> };
  const sidecar = parseYaml(read('deploy/docker-compose.yaml')) as { services: Record<string, Service> };
  const reconciler = compose.services.reconciler as Service;
  const [command, ...argv] = reconciler.command;
  const env = Object.fromEntries(Object.entries(reconciler.environment ?? {}).map(([k, v]) => [k, v.startsWith('${') ? (k === 'RANCHER_URL' ? 'https://r.example/v1' : 'x') : v]));

  it('has one reconciler service and a state volume', () => {
    expect(Object.keys(compose.services)).toEqual(['reconciler']);
    expect(Object.keys(compose.volumes)).toEqual(['state']);
    expect(reconciler.volumes).toEqual(['state:/var/lib/rancher-reconciler']);
  });

  it('runs the git source with flags and env that loadConfig accepts: https token auth, the GitHub webhook, no --manifests', () => {
    expect(command).toBe('run');
    expect(argv.some((arg) => arg.startsWith('--manifests'))).toBe(false);
    const config = loadRun(argv, { ...dockerEnv(read('Dockerfile')), ...env });
    expect(config.git).toMatchObject({ url: 'https://github.com/example/rancher-manifests.git', ref: 'main', auth: { kind: 'basic', username: 'git', password: 'secret' } });
    expect(config.webhooks).toEqual({ github: 'secret' });
    expect(config.api.secretKey).toBe('secret');
    expect(config.stateDir).toBe('/var/lib/rancher-reconciler');
  });

  it('keeps the security settings of the sidecar variant: loopback port, every credential a file secret', () => {
    expect(reconciler.ports).toEqual(['127.0.0.1:8081:8081']);
    expect(reconciler.ports).toEqual(sidecar.services.reconciler?.ports);
    const files = argv.filter((arg) => /-file=/.test(arg)).map((arg) => arg.slice(arg.indexOf('=') + 1));
    expect(files.sort()).toEqual(reconciler.secrets.map((name) => `/run/secrets/${name}`).sort());
    for (const name of reconciler.secrets) expect(compose.secrets[name]?.file).toMatch(/^\.\//);
    // no credential inline: only the URL and the access key come from the environment, as in the sidecar variant
    expect(Object.keys(reconciler.environment ?? {}).filter((k) => /SECRET|TOKEN|PASSWORD/.test(k))).toEqual([]);
    expect(Object.keys(reconciler.environment ?? {})).toEqual(Object.keys(sidecar.services.reconciler?.environment ?? {}));
  });
});
