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

  it('declares a PVC, the Deployment and a Service (the Secret is in kubernetes-secret.example.yaml)', () => {
    expect(docs.map((doc) => doc.kind)).toEqual(['PersistentVolumeClaim', 'Deployment', 'Service']);
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

  it('declares a PVC, a one-replica Recreate Deployment with one container, and a Service (the Secret is in kubernetes-secret.example.yaml)', () => {
    expect(file.docs.map((doc) => doc.kind)).toEqual(['PersistentVolumeClaim', 'Deployment', 'Service']);
    expect(file.deployment?.spec.replicas).toBe(1);
    expect(file.deployment?.spec.strategy).toEqual({ type: 'Recreate' });
    expect(file.pod.containers.map((c) => c.name)).toEqual(['reconciler']);
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

describe('deploy/kubernetes-secret.example.yaml (the Secret, apart from the Deployments)', () => {
  const secret = parseAllDocuments(read('deploy/kubernetes-secret.example.yaml')).map((doc) => doc.toJS() as { kind: string; metadata: { name: string }; stringData: Record<string, string> });

  it('is one Secret holding every key either Deployment reads, under the name both reference', () => {
    expect(secret.map((doc) => doc.kind)).toEqual(['Secret']);
    for (const path of ['deploy/kubernetes.yaml', 'deploy/kubernetes.git.yaml']) {
      const file = kubernetesFile(path);
      const fromEnv = ((file.reconciler.env ?? []) as { valueFrom?: { secretKeyRef?: { name: string; key: string } } }[])
        .flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : []));
      const fromVolume = file.pod.volumes.flatMap((v) => (v.secret ? v.secret.items.map((item) => ({ name: v.secret?.secretName, key: item.key })) : []));
      for (const { name, key } of [...fromEnv, ...fromVolume]) {
        expect(name).toBe(secret[0]?.metadata.name);
        expect(Object.keys(secret[0]?.stringData ?? {})).toContain(key);
      }
      expect(file.docs.some((doc) => doc.kind === 'Secret')).toBe(false);
    }
  });

  it('takes a URL in any form the reconciler accepts', () => {
    const config = loadRun([], { RANCHER_URL: secret[0]?.stringData.url ?? '', RANCHER_ACCESS_KEY: 'ak', RANCHER_SECRET_KEY_FILE: '/s' });
    expect(config.api.url).toBe('https://rancher.example.com/v1/projects/1a5');
  });
});

describe('the git-sync image', () => {
  it('is the same v4 release in every example that runs it', () => {
    const k8s = kubernetesFile('deploy/kubernetes.yaml').pod.containers.find((c) => c.name === 'git-sync')?.image;
    const compose = (parseYaml(read('deploy/docker-compose.yaml')) as { services: Record<string, { image?: string }> }).services['git-sync']?.image;
    const sidekick = rancherSidekickVariant().services['git-sync']?.image;
    expect(k8s).toMatch(/^registry\.k8s\.io\/git-sync\/git-sync:v4\.\d+\.\d+$/);
    expect([compose, sidekick]).toEqual([k8s, k8s]);
  });
});

/** What Rancher injects into a container labelled io.rancher.container.create_agent + agent.role=environment. */
const cattleInjected = { CATTLE_URL: 'http://rancher.example.com:8080/v1', CATTLE_ACCESS_KEY: 'CATTLE-AK', CATTLE_SECRET_KEY: 'CATTLE-SK' };

type RancherService = {
  image?: string; command?: string[]; environment?: Record<string, string>; labels?: Record<string, string>; volumes?: string[];
  secrets?: { source: string; target: string; uid?: string; gid?: string; mode?: string }[];
};
type RancherStack = { version: string; services: Record<string, RancherService>; volumes?: Record<string, { driver?: string }>; secrets?: Record<string, { external?: boolean }> };
type RancherSettings = { version: string; '.catalog'?: Catalog; services: Record<string, { scale?: number; upgrade_strategy?: { start_first?: boolean };
  health_check?: { port: number; request_line: string; strategy: string; interval: number; initializing_timeout: number } }> };
type Question = { variable: string; label: string; description: string; type: string; required?: boolean; default?: unknown; options?: string[] };
type Catalog = { name: string; version: string; description: string; uuid: string; minimum_rancher_version: string; questions: Question[] };

/** The commented sidekick variant at the end of deploy/rancher/docker-compose.yml, uncommented and parsed. */
function rancherSidekickVariant(): RancherStack {
  const text = read('deploy/rancher/docker-compose.yml');
  const block = text.slice(text.indexOf('# >>> sidekick variant\n') + '# >>> sidekick variant\n'.length, text.indexOf('# <<< sidekick variant'));
  return parseYaml(block.split('\n').map((line) => line.replace(/^# ?/, '')).join('\n')) as RancherStack;
}

/** The reconciler's Config from a Rancher compose service, with the image's ENV and CATTLE_* as Rancher injects them. */
function loadRancherService(service: RancherService, injected: Record<string, string> = cattleInjected) {
  const [command, ...argv] = service.command ?? [];
  expect(command).toBe('run');
  return loadRun(argv, { ...dockerEnv(read('Dockerfile')), ...service.environment, ...injected });
}

describe('deploy/rancher (a stack in the managed environment)', () => {
  const stack = parseYaml(read('deploy/rancher/docker-compose.yml')) as RancherStack;
  const settings = parseYaml(read('deploy/rancher/rancher-compose.yml')) as RancherSettings;
  const reconciler = stack.services.reconciler as RancherService;

  it('is one compose v2 service carrying the service-account labels, pinned to the labelled host', () => {
    expect(stack.version).toBe('2');
    expect(Object.keys(stack.services)).toEqual(['reconciler']);
    expect(reconciler.labels).toEqual({
      'io.rancher.container.create_agent': 'true',
      'io.rancher.container.agent.role': 'environment',
      'io.rancher.scheduler.affinity:host_label': 'rancher-reconciler.state=true',
    });
  });

  it('needs no hand-made keys: the injected CATTLE_* feed the real loadConfig, with the git source as default', () => {
    expect(Object.keys(reconciler.environment ?? {}).filter((name) => /^(RANCHER|CATTLE)_/.test(name))).toEqual([]);
    const config = loadRancherService(reconciler);
    expect(config.api).toMatchObject({ url: 'http://rancher.example.com:8080/v1', accessKey: 'CATTLE-AK', secretKey: 'CATTLE-SK' });
    expect(config.git).toMatchObject({ url: 'https://github.com/example/rancher-manifests.git', ref: 'main', path: '' });
    expect([config.stateDir, config.http.host, config.http.port]).toEqual(['/var/lib/rancher-reconciler', '0.0.0.0', 8081]);
    // CATTLE_URL as /v2-beta (what some hosts register with) is mapped too
    expect(loadRancherService(reconciler, { ...cattleInjected, CATTLE_URL: 'http://rancher.example.com:8080/v2-beta' }).api.url).toBe('http://rancher.example.com:8080/v1');
  });

  it('keeps the state in a named local volume at the state dir', () => {
    expect(stack.volumes).toEqual({ state: { driver: 'local' } });
    expect(reconciler.volumes).toEqual([`state:${loadRancherService(reconciler).stateDir}`]);
  });

  it('runs scale 1, stops before it starts on upgrades, and health-checks /healthz on the status port', () => {
    const service = settings.services.reconciler;
    expect(Object.keys(settings.services)).toEqual(['reconciler']);
    expect(service?.scale).toBe(1);
    expect(service?.upgrade_strategy).toEqual({ start_first: false });
    expect(service?.health_check).toMatchObject({ port: loadRancherService(reconciler).http.port, request_line: 'GET /healthz HTTP/1.0', strategy: 'recreate' });
    expect(service?.health_check?.initializing_timeout).toBeGreaterThanOrEqual(30_000);
  });

  it('has a commented git-sync sidekick variant that reads /git/current, on the same host and volume rules', () => {
    const variant = rancherSidekickVariant();
    expect(Object.keys(variant.services)).toEqual(['reconciler', 'git-sync']);
    const primary = variant.services.reconciler as RancherService;
    expect(primary.labels).toEqual({ ...reconciler.labels, 'io.rancher.sidekicks': 'git-sync' });
    expect(loadRancherService(primary).manifests.dir).toBe('/git/current');
    expect(primary.volumes).toEqual(['state:/var/lib/rancher-reconciler', 'git:/git:ro']);
    expect(variant.services['git-sync']?.command).toEqual(expect.arrayContaining(['--root=/git', '--link=current']));
    expect(variant.services['git-sync']?.volumes).toEqual(['git:/git']);
    expect(variant.volumes).toEqual({ state: { driver: 'local' }, git: { driver: 'local' } });
  });
});

describe('deploy/rancher/templates/rancher-reconciler (the catalog template)', () => {
  const dir = 'deploy/rancher/templates/rancher-reconciler';
  const entry = parseYaml(read(`${dir}/config.yml`)) as { name: string; description: string; version: string };
  const compose = parseYaml(read(`${dir}/0/docker-compose.yml`)) as RancherStack;
  const settings = parseYaml(read(`${dir}/0/rancher-compose.yml`)) as RancherSettings;
  const catalog = settings['.catalog'] as Catalog;
  const stack = parseYaml(read('deploy/rancher/docker-compose.yml')) as RancherStack;
  const stackSettings = parseYaml(read('deploy/rancher/rancher-compose.yml')) as RancherSettings;

  /** Every `${NAME}` in the parsed compose file's values. */
  const variablesOf = (value: unknown): string[] => {
    if (typeof value === 'string') return [...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string);
    if (Array.isArray(value)) return value.flatMap(variablesOf);
    if (value !== null && typeof value === 'object') return Object.values(value).flatMap(variablesOf);
    return [];
  };
  /** The compose file with every `${NAME}` replaced by its answer, as the catalog does before launching. */
  const answered = (answers: Record<string, string>): RancherStack => {
    const substitute = (value: unknown): unknown => {
      if (typeof value === 'string') return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => answers[name] ?? '');
      if (Array.isArray(value)) return value.map(substitute);
      if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]));
      return value;
    };
    return substitute(compose) as RancherStack;
  };
  const defaults = (): Record<string, string> => Object.fromEntries(catalog.questions.map((q) => [q.variable, q.default === undefined ? '' : String(q.default)]));

  it('has the catalog entry files: config.yml (name, description, version), an icon, version 0', () => {
    expect(entry).toMatchObject({ name: 'rancher-reconciler', version: catalog.version });
    expect(entry.description.trim()).not.toBe('');
    expect(read(`${dir}/catalogIcon-rancher-reconciler.svg`)).toMatch(/^<svg /);
    expect(settings.version).toBe('2');
    expect(catalog).toMatchObject({ name: entry.name, uuid: 'rancher-reconciler-0', minimum_rancher_version: expect.stringMatching(/^v1\.\d+\.\d+$/) });
  });

  it('asks a question for every variable the compose file uses, and uses every question', () => {
    const used = [...new Set(variablesOf(compose))].sort();
    expect(used).toEqual(catalog.questions.map((q) => q.variable).sort());
    expect(used).toEqual(expect.arrayContaining(['GIT_URL', 'GIT_REF', 'GIT_PATH', 'GIT_INTERVAL', 'PRUNE', 'MAX_DELETE', 'WEBHOOK_PROVIDER']));
  });

  it.each(['string', 'int', 'boolean', 'enum'])('writes its %s questions in the 1.6 format', (type) => {
    for (const question of catalog.questions.filter((q) => q.type === type)) {
      expect(question.label).toEqual(expect.any(String));
      expect(question.description).toEqual(expect.any(String));
      if (type === 'enum') expect(question.options).toContain(question.default);
      if (type === 'boolean') expect(typeof question.default).toBe('boolean');
    }
    expect(catalog.questions.every((q) => ['string', 'int', 'boolean', 'password', 'enum', 'multiline', 'service', 'certificate'].includes(q.type))).toBe(true);
  });

  it('with the default answers, runs the git source with the webhook through the real loadConfig and the injected CATTLE_*', () => {
    const answers: Record<string, string> = { ...defaults(), GIT_URL: 'https://github.com/example/rancher-manifests.git' };
    const service = answered(answers).services.reconciler as RancherService;
    const config = loadRancherService(service);
    expect(config.api).toMatchObject({ url: 'http://rancher.example.com:8080/v1', accessKey: 'CATTLE-AK', secretKey: 'CATTLE-SK' });
    expect(config.git).toMatchObject({ url: answers.GIT_URL, ref: 'main', path: '', intervalMs: 60_000 });
    expect(config.reconcile).toMatchObject({ prune: false, maxDelete: undefined });
    expect(config.webhooks).toEqual({ github: 'secret' });
    expect(service.image).toBe(answers.IMAGE);
  });

  it('passes every answer through: a path, an interval, prune, a budget, each webhook provider', () => {
    const provider = catalog.questions.find((q) => q.variable === 'WEBHOOK_PROVIDER');
    for (const option of provider?.options ?? []) {
      const answers = { ...defaults(), GIT_URL: 'https://gitlab.example.com/ops/m.git', GIT_REF: '', GIT_PATH: 'prod', GIT_INTERVAL: '5m', PRUNE: 'true', MAX_DELETE: '3', WEBHOOK_PROVIDER: option };
      const config = loadRancherService(answered(answers).services.reconciler as RancherService);
      expect(config.git).toMatchObject({ url: 'https://gitlab.example.com/ops/m.git', path: 'prod', intervalMs: 300_000 });
      expect(config.git?.ref).toBeUndefined();
      expect(config.reconcile).toMatchObject({ prune: true, maxDelete: 3 });
      expect(Object.keys(config.webhooks)).toEqual([option]);
    }
  });

  it('mounts the webhook secret from an external Rancher secret, readable by the image user only, at the path the flag names', () => {
    const service = compose.services.reconciler as RancherService;
    const [mount] = service.secrets ?? [];
    expect(service.secrets).toHaveLength(1);
    expect(mount).toMatchObject({ uid: '1000', gid: '1000', mode: '0400' });
    expect(compose.secrets?.[mount?.source ?? '']).toEqual({ external: true });
    expect(service.command?.filter((arg) => arg.includes('-secret-file='))).toEqual([`--webhook-\${WEBHOOK_PROVIDER}-secret-file=/run/secrets/${mount?.target ?? ''}`]);
    expect(Object.keys(service.environment ?? {}).filter((name) => /SECRET|TOKEN|PASSWORD/.test(name))).toEqual([]);
  });

  it('keeps the stack\'s labels, volume and Rancher settings', () => {
    const service = answered(defaults()).services.reconciler as RancherService;
    expect(service.labels).toEqual(stack.services.reconciler?.labels);
    expect(service.volumes).toEqual(stack.services.reconciler?.volumes);
    expect(compose.volumes).toEqual(stack.volumes);
    expect(settings.services).toEqual(stackSettings.services);
  });
});
