import { describe, expect, test } from '@jest/globals';
import { diff } from '../../../src/domain/diff.js';
import { looksSecret, maskSecrets } from '../../../src/domain/sensitive.js';
import { aDesiredInstance, aLiveInstance, anInventoryEntry } from '../../helpers/builders.js';

describe('looksSecret', () => {
  test.each<[string, boolean]>([
    ['DB_PASSWORD', true],
    ['db_passwd', true],
    ['API_SECRET', true],
    ['GITHUB_TOKEN', true],
    ['AWS_ACCESS_KEY_ID', true],
    ['PRIVATE_PEM', true],
    ['SENTRY_DSN', true],
    ['TZ', false],
    ['LOG_LEVEL', false],
    ['JAVA_OPTS', false],
  ])('%s -> %s', (name, expected) => expect(looksSecret(name)).toBe(expected));
});

describe('maskSecrets', () => {
  test.each<[string, { field: string; from: unknown; to: unknown }, readonly string[], unknown]>([
    ['a plain value stays in clear', { field: 'environment.TZ', from: 'CET', to: 'UTC' }, [], { field: 'environment.TZ', from: 'CET', to: 'UTC' }],
    ['a secret-looking name is masked', { field: 'environment.DB_PASSWORD', from: 'a', to: 'b' }, [], { field: 'environment.DB_PASSWORD', from: '(sensitive)', to: '(sensitive)', sensitive: true }],
    ['a new secret keeps from: null', { field: 'environment.API_TOKEN', from: null, to: 'b' }, [], { field: 'environment.API_TOKEN', from: null, to: '(sensitive)', sensitive: true }],
    ['a name the manifest lists is masked', { field: 'environment.DB_URL', from: 'a', to: 'b' }, ['DB_URL'], { field: 'environment.DB_URL', from: '(sensitive)', to: '(sensitive)', sensitive: true }],
    ['labels are never masked', { field: 'labels.TOKEN', from: 'a', to: 'b' }, [], { field: 'labels.TOKEN', from: 'a', to: 'b' }],
  ])('%s', (_rule, change, listed, expected) => expect(maskSecrets([change], listed)).toEqual([expected]));

  test('diff masks what it returns: a blocked environment change and a create', () => {
    const desired = aDesiredInstance({ spec: { environment: { DB_PASSWORD: 'hunter2', TZ: 'UTC', DB_URL: 'pg://x' } }, sensitiveEnvironment: ['DB_URL'] });
    const blocked = diff({ key: 'web-1', desired, owned: { entry: anInventoryEntry(), live: aLiveInstance({ fields: { environment: { DB_PASSWORD: 'old', TZ: 'CET', DB_URL: 'pg://y' } } }) }, named: [] });
    expect(blocked).toMatchObject({ kind: 'blocked' });
    const shown = JSON.stringify(blocked);
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('pg://');
    expect(shown).toContain('"to":"UTC"');
    const created = diff({ key: 'web-1', desired, named: [] });
    // the create action carries the spec to send; what is shown (changes) is masked
    const create = JSON.stringify(created.kind === 'act' ? created.changes : null);
    expect(create).not.toContain('hunter2');
    expect(create).toContain('"field":"environment.TZ","from":null,"to":"UTC"');
  });
});
