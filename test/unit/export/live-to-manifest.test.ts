import { describe, expect, it, test } from '@jest/globals';
import { diff } from '../../../src/domain/diff.js';
import type { LiveInstance } from '../../../src/domain/instance.js';
import { toManifest, type ManifestResult } from '../../../src/export/live-to-manifest.js';
import { renderManifestFile } from '../../../src/export/manifest-yaml.js';
import { parseManifestFile } from '../../../src/manifest/parse.js';
import { aLiveInstance, aLiveInstanceIn, anInventoryEntry } from '../../helpers/builders.js';

const specOf = (result: ManifestResult): Readonly<Record<string, unknown>> => {
  if (result.kind !== 'document') throw new Error(`not a document: ${result.reason}`);
  return result.document.spec;
};

describe('toManifest: one row per field rule', () => {
  test.each<[string, LiveInstance, Record<string, unknown>]>([
    ['writes only the image for a container at every default', aLiveInstance(), { imageUuid: 'docker:nginx:1.25' }],
    ['adds the docker: prefix a bare image lacks', aLiveInstance({ fields: { imageUuid: 'nginx' } }), { imageUuid: 'docker:nginx' }],
    ['keeps a description', aLiveInstance({ description: 'front end' }), { description: 'front end', imageUuid: 'docker:nginx:1.25' }],
    ['drops an empty description', aLiveInstance({ description: '' }), { imageUuid: 'docker:nginx:1.25' }],
    ['writes lists as Rancher reports them', aLiveInstance({ fields: { command: ['nginx', '-g', 'daemon off;'], entryPoint: ['/init'], ports: ['8080:80/tcp'], expose: ['9000/tcp'], dns: ['10.0.0.2'], dnsSearch: ['corp.example'] } }),
      { imageUuid: 'docker:nginx:1.25', command: ['nginx', '-g', 'daemon off;'], entryPoint: ['/init'], ports: ['8080:80/tcp'], expose: ['9000/tcp'], dns: ['10.0.0.2'], dnsSearch: ['corp.example'] }],
    ['reads a single string command as a one-item list', aLiveInstance({ fields: { command: 'sleep 10' } }), { imageUuid: 'docker:nginx:1.25', command: ['sleep 10'] }],
    ['leaves empty lists out', aLiveInstance({ fields: { command: [], ports: [] } }), { imageUuid: 'docker:nginx:1.25' }],
    ['writes environment values as strings, keys sorted', aLiveInstance({ fields: { environment: { WORKERS: 4, TZ: 'UTC', DEBUG: false } } }),
      { imageUuid: 'docker:nginx:1.25', environment: { DEBUG: 'false', TZ: 'UTC', WORKERS: '4' } }],
    ['drops our ownership labels and the ones Rancher adds, keeps the rest', aLiveInstance({ fields: { labels: {
      'rancher-reconciler.key': 'web-1', 'rancher-reconciler.created-by': 'rancher-reconciler', 'io.rancher.container.uuid': 'u', 'io.rancher.container.ip': '10.42.0.1/16',
      'io.rancher.container.pull_image': 'always', 'io.rancher.scheduler.affinity:host_label': 'zone=a', team: 'web' } } }),
      { imageUuid: 'docker:nginx:1.25', labels: { 'io.rancher.container.pull_image': 'always', 'io.rancher.scheduler.affinity:host_label': 'zone=a', team: 'web' } }],
    ['leaves labels out when only dropped ones remain', aLiveInstance({ fields: { labels: { 'io.rancher.container.name': 'web-1' } } }), { imageUuid: 'docker:nginx:1.25' }],
    ['writes hostname, user and workingDir; leaves empty ones out', aLiveInstance({ fields: { hostname: 'web', user: 'nginx', workingDir: '' } }), { imageUuid: 'docker:nginx:1.25', hostname: 'web', user: 'nginx' }],
    ['writes a networkMode other than the default managed', aLiveInstance({ fields: { networkMode: 'host' } }), { imageUuid: 'docker:nginx:1.25', networkMode: 'host' }],
    ['writes the requested host, never the host Rancher chose', aLiveInstance({ hostId: '1h2', fields: { requestedHostId: '1h2' } }), { imageUuid: 'docker:nginx:1.25', requestedHostId: '1h2' }],
    ['does not pin a container Rancher placed by itself', aLiveInstance({ hostId: '1h2' }), { imageUuid: 'docker:nginx:1.25' }],
    ['writes a restart policy without a count of 0', aLiveInstance({ fields: { restartPolicy: { name: 'always', maximumRetryCount: 0 } } }), { imageUuid: 'docker:nginx:1.25', restartPolicy: { name: 'always' } }],
    ['writes on-failure with its count', aLiveInstance({ fields: { restartPolicy: { name: 'on-failure', maximumRetryCount: '5' } } }), { imageUuid: 'docker:nginx:1.25', restartPolicy: { name: 'on-failure', maximumRetryCount: 5 } }],
    ['writes the booleans that are true only', aLiveInstance({ fields: { privileged: true, tty: 'true', stdinOpen: false } }), { imageUuid: 'docker:nginx:1.25', privileged: true, tty: true }],
    ['writes memory and cpuShares above 0, as numbers', aLiveInstance({ fields: { memory: '268435456', cpuShares: 0 } }), { imageUuid: 'docker:nginx:1.25', memory: 268435456 }],
    ['names the container in spec.name when the key differs', aLiveInstance({ name: 'My App' }), { name: 'My App', imageUuid: 'docker:nginx:1.25' }],
  ])('%s', (_rule, live, spec) => {
    expect(specOf(toManifest(live, 'web-1', 'running'))).toEqual(spec);
  });

  it('writes the document envelope and state: stopped for a stopped container', () => {
    expect(toManifest(aLiveInstance({ state: 'stopped' }), 'web-1', 'stopped')).toEqual({
      kind: 'document',
      document: { apiVersion: 'rancher-reconciler/v1', kind: 'Instance', metadata: { name: 'web-1' }, spec: { imageUuid: 'docker:nginx:1.25', state: 'stopped' } },
      omitted: [],
    });
  });

  it('writes the inventory\'s restart token and stop timeout of an owned container after the state', () => {
    const result = toManifest(aLiveInstanceIn('stopped'), 'web-1', 'stopped', { restartToken: '7', stopTimeout: 30 });
    expect(specOf(result)).toEqual({ imageUuid: 'docker:nginx:1.25', state: 'stopped', restartToken: '7', stopTimeout: 30 });
    expect(Object.keys(specOf(result))).toEqual(['imageUuid', 'state', 'restartToken', 'stopTimeout']);
  });

  test.each<[string, LiveInstance, string[]]>([
    ['a restart policy the manifest cannot name', aLiveInstance({ fields: { restartPolicy: { name: 'unless-stopped' } } }), ['restartPolicy "unless-stopped" (a manifest takes no, always, on-failure)']],
    ['a null environment value', aLiveInstance({ fields: { environment: { A: 'x', B: null } } }), ['environment.B (null or not a string)']],
    ['a networkMode outside the enum', aLiveInstance({ fields: { networkMode: 'overlay' } }), ['networkMode "overlay"']],
    ['a requested host that is not a host id', aLiveInstance({ fields: { requestedHostId: 'web-host' } }), ['requestedHostId "web-host"']],
    ['a negative memory', aLiveInstance({ fields: { memory: -1 } }), ['memory -1 (not an integer >= 0)']],
  ])('names what it leaves out: %s', (_rule, live, omitted) => {
    const result = toManifest(live, 'web-1', 'running');
    expect(result.kind === 'document' ? result.omitted : result.reason).toEqual(omitted);
  });

  test.each<[string, LiveInstance, string]>([
    ['no image', aLiveInstance({ fields: { imageUuid: null } }), 'its imageUuid null is not docker:<image>'],
    ['an image with spaces', aLiveInstance({ fields: { imageUuid: 'docker:a b' } }), 'its imageUuid "docker:a b" is not docker:<image>'],
    ['no name', aLiveInstance({ name: null }), 'it has no name (a manifest names its container: name it in Rancher first)'],
  ])('refuses a container with %s', (_rule, live, reason) => {
    expect(toManifest(live, 'web-1', 'running')).toEqual({ kind: 'unexportable', reason });
  });
});

describe('toManifest: the written manifest, parsed back, is in sync with the container it came from', () => {
  const rich = aLiveInstance({
    name: 'api',
    description: 'the api',
    fields: {
      imageUuid: 'docker:example/api:2', command: ['serve'], entryPoint: ['/entry'], environment: { TZ: 'UTC', PORT: 8080, FLAG: 'true' }, labels: { team: 'api', 'io.rancher.container.ip': '10.42.0.9/16' },
      ports: ['8080:80/tcp'], expose: ['9000'], dns: ['1.1.1.1'], dnsSearch: ['svc'], hostname: 'api', user: 'app', workingDir: '/srv', networkMode: 'bridge',
      requestedHostId: '1h1', restartPolicy: { name: 'on-failure', maximumRetryCount: 3 }, privileged: true, tty: true, stdinOpen: true, memory: 1024, cpuShares: 512,
    },
  });

  test.each<[string, LiveInstance, string, 'running' | 'stopped']>([
    ['a container using every field', rich, 'api', 'running'],
    ['a stopped container', aLiveInstanceIn('stopped'), 'web-1', 'stopped'],
    ['a container whose key is not its name', aLiveInstance({ name: 'My App' }), 'My-App', 'running'],
  ])('%s', (_rule, live, key, state) => {
    const result = toManifest(live, key, state);
    if (result.kind !== 'document') throw new Error(result.reason);
    const parsed = parseManifestFile(renderManifestFile([result.document]), 'x.yaml');
    expect(parsed.issues).toEqual([]);
    const [desired] = parsed.instances;
    const entry = anInventoryEntry({ key, id: live.id, uuid: live.uuid, name: live.name ?? key, origin: 'adopted' });
    expect(diff({ key, desired, owned: { entry, live }, named: [live] }).kind).toBe('in-sync');
  });
});
