/**
 * `export` against the emulator over real HTTP, through the real CLI in-process: containers created with
 * every field a manifest supports, exported, validated, then planned. Without `--adopt` the plan shows
 * adoptions only; after `--adopt` it shows nothing to do.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateLock } from '../../../src/controller/state-lock.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { manifestSchemaUrl } from '../../../src/export/schema-url.js';
import { parseManifestFile } from '../../../src/manifest/parse.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { post, startTestEmulator, waitForResource } from '../../helpers/emulator.js';
import { createLogger } from '../../../src/logger.js';

type PlanJson = { changes: { name: string; steps: { action: string }[] }[]; summary: Record<string, number>; problems: string[] };

const quiet = ['--log-level', 'warn'];

/** Every field the manifest format supports, with values YAML would retype if written plain. */
const webBody = {
  name: 'web',
  description: 'front end',
  imageUuid: 'docker:nginx:1.25',
  command: ['nginx', '-g', 'daemon off;'],
  entryPoint: ['/docker-entrypoint.sh'],
  environment: { TZ: 'UTC', FLAG: 'true', ZIP: '0123', VERSION: '1.10', NOTHING: 'null', ANSWER: 'yes' },
  labels: { team: 'web', 'io.rancher.container.pull_image': 'always', 'io.rancher.container.ip': '10.42.0.7/16' },
  ports: ['8080:80/tcp'],
  expose: ['9000/tcp'],
  dns: ['10.0.0.2'],
  dnsSearch: ['corp.example'],
  hostname: 'web',
  user: 'nginx',
  workingDir: '/usr/share/nginx',
  networkMode: 'bridge',
  requestedHostId: '1h2',
  restartPolicy: { name: 'always' },
  privileged: true,
  tty: true,
  stdinOpen: true,
  memory: 268435456,
  cpuShares: 512,
};

describe('export (CLI in-process, emulator over HTTP)', () => {
  let emulator: EmulatorHandle;
  let root: string;
  let env: Record<string, string>;

  async function create(body: Record<string, unknown>, state: 'running' | 'stopped'): Promise<void> {
    const created = await post(`${emulator.url}/containers`, { ...body, startOnCreate: state === 'running' });
    expect(created.status).toBe(201);
    await waitForResource(`${emulator.url}/containers/${created.body.id as string}`, (c) => c.state === state && c.transitioning === 'no');
  }

  const cli = (args: string[]): Promise<CliResult> => runCli([...args, ...quiet], { cwd: root, env });
  const exportTo = (dir: string, state: string, ...more: string[]): Promise<CliResult> =>
    cli(['export', '--url', emulator.url, '--state-dir', join(root, state), '--output-dir', join(root, dir), '--include-stopped', ...more]);
  const plan = async (dir: string, state: string): Promise<{ result: CliResult; json: PlanJson }> => {
    const result = await cli(['plan', '--url', emulator.url, '--state-dir', join(root, state), '--manifests', join(root, dir), '--output', 'json']);
    return { result, json: JSON.parse(result.stdout) as PlanJson };
  };

  beforeAll(async () => {
    emulator = await startTestEmulator({ hosts: 2 });
    root = await mkdtemp(join(tmpdir(), 'rr-export-'));
    env = {};
    await create(webBody, 'running');
    await create({ name: 'db', imageUuid: 'docker:postgres:16', environment: { DB_PASSWORD: 's3cret-value' }, restartPolicy: { name: 'on-failure', maximumRetryCount: 5 } }, 'stopped');
    await create({ name: 'My App', imageUuid: 'docker:example/app:1' }, 'running');
  }, 60_000);

  afterAll(async () => {
    await emulator.close();
    await rm(root, { recursive: true, force: true });
  });

  it('writes one valid file per instance, with the modeline, quoted strings and nothing server-managed', async () => {
    const result = await exportTo('plain', 'state-plain');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('exported 3 instances to plain\n');
    expect(result.stderr).toContain('note: container "My App" (1i3) exported as "My-App": its name is not a valid metadata.name (spec.name keeps the Rancher name)\n');
    expect(result.stderr).toContain('warning: container "db" (1i2): environment DB_PASSWORD looks secret; the values are written to the manifest in clear\n');
    expect(result.stderr).not.toContain('s3cret-value');
    expect((await readdir(join(root, 'plain'))).sort()).toEqual(['My-App.yaml', 'db.yaml', 'web.yaml']);
    const web = await readFile(join(root, 'plain', 'web.yaml'), 'utf8');
    expect(web.split('\n')[0]).toBe(`# yaml-language-server: $schema=${manifestSchemaUrl}`);
    for (const quoted of ['FLAG: "true"', 'ZIP: "0123"', 'VERSION: "1.10"', 'NOTHING: "null"', 'ANSWER: "yes"']) expect(web).toContain(quoted);
    for (const absent of ['1i1', 'uuid', 'hostId', 'created', 'io.rancher.container.ip', 'rancher-reconciler.', 'links', 'actions']) expect(web).not.toContain(absent);
    const [instance] = parseManifestFile(web, 'web.yaml').instances;
    expect(instance?.spec).toEqual({ ...webBody, labels: { 'io.rancher.container.pull_image': 'always', team: 'web' }, environment: { ...webBody.environment } });
    expect(await readFile(join(root, 'plain', 'db.yaml'), 'utf8')).toContain('  state: stopped\n');
    expect(await readFile(join(root, 'plain', 'My-App.yaml'), 'utf8')).toContain('  name: My App\n');
    // without --adopt nothing under the state dir is written
    expect(existsSync(join(root, 'state-plain'))).toBe(false);

    const validated = await runCli(['validate', '--manifests', 'plain'], { cwd: root });
    expect([validated.code, validated.stdout]).toEqual([0, '3 files, 3 instances, 0 errors\n']);
  }, 60_000);

  it('without --adopt, plan shows adoptions only: no create, no update, no start or stop', async () => {
    const { result, json } = await plan('plain', 'state-plain');
    expect(result.code).toBe(2);
    expect(json.problems).toEqual([]);
    expect(json.summary).toEqual(expect.objectContaining({ adopt: 3, create: 0, update: 0, start: 0, stop: 0, restart: 0, remove: 0, replace: 0, blocked: 0 }));
    expect(json.changes.map((c) => [c.name, c.steps.map((s) => s.action)])).toEqual([['My-App', ['adopt']], ['db', ['adopt']], ['web', ['adopt']]]);
  }, 60_000);

  it('after export --adopt, plan exits 0 with nothing to do; a second export --adopt adopts nothing again', async () => {
    const adopted = await exportTo('adopted', 'state-adopted', '--adopt');
    expect(adopted.code).toBe(0);
    expect(adopted.stderr).toContain(`adopted 3 into ${join('state-adopted', 'inventory.json')}\n`);
    const inventory = JSON.parse(await readFile(join(root, 'state-adopted', 'inventory.json'), 'utf8')) as { entries: Record<string, { id: string; origin: string; name: string }> };
    expect(Object.entries(inventory.entries).map(([key, e]) => [key, e.id, e.origin, e.name])).toEqual([
      ['My-App', '1i3', 'adopted', 'My App'], ['db', '1i2', 'adopted', 'db'], ['web', '1i1', 'adopted', 'web'],
    ]);
    const { result, json } = await plan('adopted', 'state-adopted');
    expect(result.code).toBe(0);
    expect(json.changes).toEqual([]);
    expect(json.summary).toEqual(expect.objectContaining({ inSync: 3, adopt: 0, create: 0 }));

    const again = await exportTo('adopted', 'state-adopted', '--adopt', '--force');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('note: container "web" (1i1) is already owned by key "web": not adopted again\n');
    expect(again.stderr).toContain(`adopted 0 into ${join('state-adopted', 'inventory.json')} (3 already owned)\n`);
    expect((await plan('adopted', 'state-adopted')).result.code).toBe(0);
  }, 60_000);

  it('refuses to overwrite, listing every existing file, and writes nothing', async () => {
    const before = await readFile(join(root, 'plain', 'web.yaml'), 'utf8');
    await writeFile(join(root, 'plain', 'web.yaml'), 'edited\n');
    const result = await exportTo('plain', 'state-plain');
    expect(result.code).toBe(1);
    for (const file of ['My-App.yaml', 'db.yaml', 'web.yaml']) expect(result.stderr).toContain(`error: ${join('plain', file)} exists (--force overwrites it)\n`);
    expect(result.stderr).toContain('error: nothing written\n');
    expect(await readFile(join(root, 'plain', 'web.yaml'), 'utf8')).toBe('edited\n');
    expect((await exportTo('plain', 'state-plain', '--force')).code).toBe(0);
    expect(await readFile(join(root, 'plain', 'web.yaml'), 'utf8')).toBe(before);
  }, 60_000);

  it('refuses a key that another file of the folder declares', async () => {
    await exportTo('clash', 'state-clash', '--name', 'web');
    const renamed = join(root, 'clash', 'frontend.yaml');
    await writeFile(renamed, await readFile(join(root, 'clash', 'web.yaml'), 'utf8'));
    await rm(join(root, 'clash', 'web.yaml'));
    const result = await exportTo('clash', 'state-clash', '--name', 'web');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: key "web" is already declared at ${join('clash', 'frontend.yaml')}:5:9\n`);
  }, 60_000);

  it('writes one multi-document file to stdout with --file -', async () => {
    const result = await cli(['export', '--url', emulator.url, '--state-dir', join(root, 'state-stdout'), '--file', '-', '--include-stopped']);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/yaml-language-server/g)).toHaveLength(1);
    const parsed = parseManifestFile(result.stdout, 'all.yaml');
    expect([parsed.issues, parsed.instances.map((i) => [i.key, i.state])]).toEqual([[], [['My-App', 'running'], ['db', 'stopped'], ['web', 'running']]]);
    expect(result.stderr).toContain('exported 3 instances to stdout\n');
  }, 60_000);

  it('filters by name and prefix, and says why a named container is not exported', async () => {
    const named = await cli(['export', '--url', emulator.url, '--state-dir', join(root, 's'), '--file', '-', '--name', 'web', '--name', 'My App']);
    expect([named.code, parseManifestFile(named.stdout, 'x.yaml').instances.map((i) => i.key)]).toEqual([0, ['My-App', 'web']]);
    const prefixed = await cli(['export', '--url', emulator.url, '--state-dir', join(root, 's'), '--file', '-', '--name-prefix', 'd', '--include-stopped']);
    expect(parseManifestFile(prefixed.stdout, 'x.yaml').instances.map((i) => i.key)).toEqual(['db']);
    const hidden = await cli(['export', '--url', emulator.url, '--state-dir', join(root, 's'), '--file', '-', '--name', 'db']);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain('error: no container named "db" to export (it is stopped, not running: add --include-stopped or --state stopped)\n');
    expect(hidden.stdout).toBe('');
  }, 60_000);

  it('fails with the lock message when another process holds the state dir', async () => {
    const stateDir = join(root, 'state-locked');
    const lock = new StateLock({ stateDir, log: createLogger({ level: 'silent', pretty: false }) });
    await lock.acquire();
    try {
      const result = await exportTo('locked', 'state-locked', '--adopt');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^error: state dir ${stateDir} is locked by pid ${process.pid} on host ${hostname()} since \\S+ \\(another run or apply\\): stop it or use another --state-dir\\n$`, 'm'));
      expect(existsSync(join(root, 'locked'))).toBe(false);
    } finally {
      await lock.release();
    }
  }, 60_000);

  it('reports an unreachable Rancher as the other commands do, and writes nothing', async () => {
    const result = await cli(['export', '--url', 'http://127.0.0.1:1/v1', '--state-dir', join(root, 's'), '--output-dir', join(root, 'unreachable'), '--request-timeout', '2']);
    expect(result.code).toBe(1);
    // what plan prints too: the client's GET retries are spent, then the cause
    expect(result.stderr).toContain('error: GET /v1/containers failed: network error (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1)\n');
    expect(existsSync(join(root, 'unreachable'))).toBe(false);
  }, 120_000);
});

describe('export of the embedded demo environment (no --url)', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rr-export-demo-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('exports what apply created from ./manifests, writes nothing in the state dir, and plan finds nothing to do', async () => {
    const common = ['--state-dir', join(root, 'state'), '--emulator-transition-ms', '20', '--log-level', 'warn'];
    const applied = await runCli(['apply', '--manifests', join(process.cwd(), 'manifests'), ...common], { cwd: root });
    expect(applied.code).toBe(0);
    const stateBefore = await snapshotOf(join(root, 'state'));

    const exported = await runCli(['export', '--output-dir', join(root, 'out'), '--include-stopped', ...common], { cwd: root });
    expect([exported.code, exported.stderr]).toEqual([0, 'exported 4 instances to out\n']);
    expect(await snapshotOf(join(root, 'state'))).toEqual(stateBefore);
    const web = await readFile(join(root, 'out', 'web-1.yaml'), 'utf8');
    // the controller's own settings come from the inventory: the stop timeout of manifests/web.yaml
    expect(web).toContain('  stopTimeout: 10\n');
    expect(await readFile(join(root, 'out', 'ticker.yaml'), 'utf8')).toContain('  restartToken: "1"\n');

    const planned = await runCli(['plan', '--manifests', join(root, 'out'), ...common], { cwd: root });
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('0 to adopt, 0 to move, 0 blocked, 0 waiting, 4 in sync.');
  }, 60_000);
});

/** Every file under `dir` with its content, to prove a command left it alone. */
async function snapshotOf(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[join(entry.parentPath, entry.name)] = await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}
