import { describe, expect, it, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { LiveInstance } from '../../../src/domain/instance.js';
import type { InventoryEntry } from '../../../src/domain/plan.js';
import { planAdoptions } from '../../../src/export/adoption.js';
import { claimKey, keyFromName, TakenKeys } from '../../../src/export/export-keys.js';
import { planExport, type ExportFilters, type OwnershipView } from '../../../src/export/export-plan.js';
import { exportableStates, manifestStateOf } from '../../../src/export/exportable-states.js';
import { toLiveInstance, type WireContainer } from '../../../src/rancher/wire.js';
import { aLiveInstance, aLiveInstanceIn, anInventoryEntry } from '../../helpers/builders.js';

const running: ExportFilters = { names: [], states: ['running'] };
const withStopped: ExportFilters = { names: [], states: ['running', 'stopped'] };

function ownership(entries: readonly InventoryEntry[] = []): OwnershipView {
  return {
    get: (key) => entries.find((e) => e.key === key),
    ownerOf: (id) => entries.find((e) => e.id === id)?.key,
    entries: () => entries,
  };
}

const container = (id: string, name: string | null, overrides: Parameters<typeof aLiveInstance>[0] = {}): LiveInstance =>
  aLiveInstance({ id, uuid: `uuid-${id}`, name, ...overrides });
const stopped = (id: string, name: string): LiveInstance => aLiveInstanceIn('stopped', { id, uuid: `uuid-${id}`, name });
const ours = (key: string): Parameters<typeof aLiveInstance>[0] => ({ fields: { labels: { 'rancher-reconciler.created-by': 'rancher-reconciler', 'rancher-reconciler.key': key } } });

describe('keys', () => {
  test.each<[string, string, string | undefined]>([
    ['keeps a valid name', 'web-1', 'web-1'],
    ['keeps dots and underscores', 'db_main.v2', 'db_main.v2'],
    ['turns spaces into one dash', 'Network  Agent', 'Network-Agent'],
    ['drops a leading character that is not a letter or digit', '_private', 'private'],
    ['turns a slash into a dash and drops a trailing one', 'team/web/', 'team-web'],
    ['gives up on punctuation only', '***', undefined],
    ['cuts to 255 characters', 'a'.repeat(300), 'a'.repeat(255)],
  ])('keyFromName %s', (_rule, name, key) => {
    expect(keyFromName(name)).toBe(key);
  });

  it('numbers a taken key, ignoring case (keys are file names)', () => {
    const taken = new TakenKeys();
    expect([claimKey('web', taken), claimKey('Web', taken), claimKey('web', taken)]).toEqual(['web', 'Web-2', 'web-3']);
  });

  test.each(exportableStates)('maps the exportable state %s to running or stopped', (state) => {
    expect(['running', 'stopped']).toContain(manifestStateOf(state));
  });

  test.each(['requested', 'creating', 'error', 'erroring', 'migrating', 'removing', 'removed', 'purged'])('cannot export a container in %s', (state) => {
    expect(manifestStateOf(state)).toBeUndefined();
  });
});

describe('planExport: selection', () => {
  const live = [container('1i1', 'web'), stopped('1i2', 'db'), container('1i3', 'api-1'), container('1i4', 'api-2'), aLiveInstanceIn('removing', { id: '1i5', name: 'old' })];

  test.each<[string, ExportFilters, string[]]>([
    ['running containers only by default', running, ['api-1', 'api-2', 'web']],
    ['stopped ones too when asked', withStopped, ['api-1', 'api-2', 'db', 'web']],
    ['by name', { names: ['web', 'api-2'], states: ['running'] }, ['api-2', 'web']],
    ['by name prefix', { names: [], namePrefix: 'api-', states: ['running'] }, ['api-1', 'api-2']],
    ['by state', { names: [], states: ['stopped'] }, ['db']],
    ['never a dying container', { names: [], states: ['removing'] }, []],
  ])('%s', (_rule, filters, keys) => {
    expect(planExport(live, ownership(), filters).instances.map((i) => i.key)).toEqual(keys);
  });

  test.each<[string, ExportFilters, string]>([
    ['a name nobody has', { names: ['nope'], states: ['running'] }, 'no container named "nope" to export'],
    ['a name the state filter hides', { names: ['db'], states: ['running'] }, 'no container named "db" to export (it is stopped, not running: add --include-stopped or --state stopped)'],
    ['a name the prefix hides', { names: ['web'], namePrefix: 'api-', states: ['running'] }, 'no container named "web" to export (it does not start with --name-prefix "api-")'],
  ])('is an error for %s', (_rule, filters, message) => {
    expect(planExport(live, ownership(), filters).messages).toContainEqual({ level: 'error', message });
  });

  it('writes state: stopped for a stopped container', () => {
    const [db] = planExport(live, ownership(), { names: ['db'], states: ['stopped'] }).instances;
    expect(db?.document.spec['state']).toBe('stopped');
  });
});

describe('planExport: what is not exported', () => {
  it('leaves out Rancher system and service containers (a real list: libcloud list_containers)', () => {
    const body = JSON.parse(readFileSync(new URL('../../fixtures/rancher/libcloud-v1-list_containers.json', import.meta.url), 'utf8')) as { data: WireContainer[] };
    const plan = planExport(body.data.map(toLiveInstance), ownership(), withStopped);
    expect(plan.instances).toEqual([]);
    expect(plan.skipped).toBe(2);
    expect(plan.messages).toEqual([
      { level: 'note', message: 'container "Concrete5_CMSMysql_1" (1i1) belongs to the Rancher service Concrete5/CMSMysql, which manages it: not exported' },
      { level: 'note', message: 'container "Network Agent" (1i2) is a Rancher system container (NetworkAgent): not exported' },
    ]);
  });

  it('exports no container of a name that several share, unless the inventory owns it', () => {
    const live = [container('1i1', 'web'), stopped('1i2', 'web'), container('1i3', 'api'), container('1i4', 'api')];
    const plan = planExport(live, ownership([anInventoryEntry({ key: 'api', id: '1i3', uuid: 'uuid-1i3', name: 'api' })]), running);
    expect(plan.instances.map((i) => [i.key, i.live.id])).toEqual([['api', '1i3']]);
    expect(plan.messages).toEqual([
      { level: 'warning', message: '2 containers are named "api" (1i3, 1i4): only the owned 1i3 can be exported (remove or rename all but one)' },
      { level: 'warning', message: '2 containers are named "web" (1i1, 1i2): none is owned, so none is exported (remove or rename all but one)' },
    ]);
  });

  test.each<[string, LiveInstance, string]>([
    ['a container without a name', container('1i9', null), 'container 1i9 (no name) is not exported: it has no name (a manifest names its container: name it in Rancher first)'],
    ['a container without an image', container('1i9', 'x', { fields: { imageUuid: null } }), 'container "x" (1i9) is not exported: its imageUuid null is not docker:<image>'],
  ])('warns about %s', (_rule, live, message) => {
    const plan = planExport([live], ownership(), running);
    expect([plan.instances, plan.skipped, plan.messages]).toEqual([[], 1, [{ level: 'warning', message }]]);
  });

  it('names the secret-looking environment it writes in clear, never the values', () => {
    const plan = planExport([container('1i1', 'db', { fields: { environment: { DB_PASSWORD: 's3cret', TZ: 'UTC' } } })], ownership(), running);
    expect(plan.messages).toEqual([{ level: 'warning', message: 'container "db" (1i1): environment DB_PASSWORD looks secret; the values are written to the manifest in clear' }]);
    expect(JSON.stringify(plan.messages)).not.toContain('s3cret');
  });
});

describe('planExport: keys', () => {
  test.each<[string, LiveInstance[], InventoryEntry[], [string, string][], string[]]>([
    ['the Rancher name when it is a valid key', [container('1i1', 'web')], [], [['web', '1i1']], []],
    ['a valid key made from any other name', [container('1i1', 'My App')], [], [['My-App', '1i1']],
      ['container "My App" (1i1) exported as "My-App": its name is not a valid metadata.name (spec.name keeps the Rancher name)']],
    ['a numbered key when two names make the same one', [container('1i1', 'my app'), container('1i2', 'my-app')], [], [['my-app', '1i2'], ['my-app-2', '1i1']],
      ['container "my app" (1i1) exported as "my-app-2": "my-app" is taken (spec.name keeps the Rancher name)']],
    ['the key the inventory owns it under', [container('1i1', 'web')], [anInventoryEntry({ key: 'frontend', id: '1i1', uuid: 'uuid-1i1', name: 'web' })], [['frontend', '1i1']],
      ['container "web" (1i1) is owned by key "frontend" (inventory): exported under that key']],
    ['the key our labels name when we created it', [container('1i1', 'web', ours('frontend'))], [], [['frontend', '1i1']],
      ['container "web" (1i1) was created by rancher-reconciler for key "frontend": exported under that key']],
    ['never a key the inventory holds for another live container', [container('1i1', 'api'), container('1i2', 'api-v2', { state: 'stopped' })], [anInventoryEntry({ key: 'api', id: '1i2', uuid: 'uuid-1i2', name: 'api-v2' })], [['api-2', '1i1']],
      ['container "api" (1i1) exported as "api-2": "api" is taken (spec.name keeps the Rancher name)']],
    ['a key the inventory holds for a gone container', [container('1i1', 'api')], [anInventoryEntry({ key: 'api', id: '1i7', uuid: 'uuid-1i7', name: 'api' })], [['api', '1i1']], []],
    ['the name, when an inventory entry has the id but another uuid', [container('1i1', 'web')], [anInventoryEntry({ key: 'frontend', id: '1i1', uuid: 'other', name: 'web' })], [['web', '1i1']], []],
  ])('%s', (_rule, live, entries, keys, messages) => {
    const plan = planExport(live, ownership(entries), running);
    expect(plan.instances.map((i) => [i.key, i.live.id])).toEqual(keys);
    expect(plan.messages.map((m) => m.message)).toEqual(messages);
  });

  it('carries the inventory\'s restart token and stop timeout into the manifest of an owned container', () => {
    const entry = anInventoryEntry({ key: 'web', id: '1i1', uuid: 'uuid-1i1', name: 'web', restartToken: '3', stopTimeout: 20 });
    const [instance] = planExport([container('1i1', 'web')], ownership([entry]), running).instances;
    expect(instance?.document.spec).toEqual({ imageUuid: 'docker:nginx:1.25', restartToken: '3', stopTimeout: 20 });
  });

  it('keeps spec.name when the key is not the Rancher name', () => {
    const [instance] = planExport([container('1i1', 'My App')], ownership(), running).instances;
    expect(instance?.document.metadata.name).toBe('My-App');
    expect(instance?.document.spec['name']).toBe('My App');
  });
});

describe('planAdoptions', () => {
  it('records each unowned export as adopted, our own (by labels) as created, and reports the owned ones', () => {
    const entries = [anInventoryEntry({ key: 'frontend', id: '1i1', uuid: 'uuid-1i1', name: 'web' }), anInventoryEntry({ key: 'api', id: '1i7', uuid: 'uuid-1i7', name: 'api' })];
    const live = [container('1i1', 'web'), container('1i2', 'api'), container('1i3', 'jobs', ours('jobs'))];
    const view = ownership(entries);
    const adoptions = planAdoptions(planExport(live, view, running).instances, view);
    expect(adoptions).toEqual({
      records: [
        { key: 'api', id: '1i2', uuid: 'uuid-1i2', name: 'api', origin: 'adopted' },
        { key: 'jobs', id: '1i3', uuid: 'uuid-1i3', name: 'jobs', origin: 'created' },
      ],
      alreadyOwned: 1,
      messages: [
        { level: 'note', message: 'key "api" recorded container 1i7, which is gone: it now owns 1i2' },
        { level: 'note', message: 'container "web" (1i1) is already owned by key "frontend": not adopted again' },
      ],
    });
  });
});
