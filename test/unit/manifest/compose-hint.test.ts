import { describe, expect, test } from '@jest/globals';
import { composeHintMessage, looksLikeCompose } from '../../../src/manifest/compose-hint.js';
import { formatIssue } from '../../../src/manifest/issues.js';
import { parseManifestFile } from '../../../src/manifest/parse.js';

describe('looksLikeCompose: one row per rule', () => {
  test.each<[string, string, string[][], boolean]>([
    ['top-level services (compose v3)', 'stack.yml', [['version', 'services', 'networks']], true],
    ['top-level services without version (compose spec)', 'deploy/app.yaml', [['services']], true],
    ['named docker-compose.yml', 'docker-compose.yml', [['web', 'db']], true],
    ['named docker-compose.override.yaml, in a folder', 'apps/docker-compose.override.yaml', [['web']], true],
    ['named rancher-compose.yml (v1: services at the top level)', 'rancher-compose.yml', [['web']], true],
    ['named compose.yaml', 'compose.yaml', [['web']], true],
    ['named compose-prod.YML', 'compose-prod.YML', [], true],
    ['a name that only starts with the word is not one', 'composer.yml', [['web']], false],
    ['an ordinary name with ordinary content is not one', 'apps/web.yaml', [['web']], false],
    ['a document with apiVersion is a manifest, whatever the name', 'docker-compose.yml', [['apiVersion', 'kind', 'metadata', 'spec']], false],
    ['a kind anywhere in the file makes it a manifest attempt', 'x.yaml', [['services'], ['kind']], false],
  ])('%s', (_rule, file, keys, expected) => {
    expect(looksLikeCompose(file, keys)).toBe(expected);
  });
});

describe('parseManifestFile: the compose hint replaces the field errors of a compose file', () => {
  const hinted = (file: string): string[] => [`${file}:1:1: ${composeHintMessage}`];

  test.each<[string, string, string, string[]]>([
    ['a docker-compose v2 file', 'docker-compose.yml', "version: '2'\nservices:\n  web:\n    image: nginx\n", hinted('docker-compose.yml')],
    ['a compose file by content under any name', 'apps/stack.yaml', 'services:\n  web:\n    image: nginx\n', hinted('apps/stack.yaml')],
    ['a rancher-compose v1 file by its name', 'rancher-compose.yml', 'web:\n  scale: 2\n', hinted('rancher-compose.yml')],
    ['a compose-named file with a YAML syntax error', 'docker-compose.yml', 'services: [\n', hinted('docker-compose.yml')],
    [
      'a manifest named like a compose file keeps its own error',
      'compose.yaml',
      'apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: web\nspec:\n  imageUuid: nginx\n',
      ['compose.yaml:6:14: spec.imageUuid: must start with "docker:" (did you mean "docker:nginx"?)'],
    ],
    ['a valid manifest named like a compose file is valid', 'compose.yaml', 'apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: web\nspec:\n  imageUuid: docker:nginx\n', []],
    ['any other broken file keeps its errors', 'web.yaml', 'web:\n  scale: 2\n', [
      'web.yaml:1:1: apiVersion: required field is missing',
      'web.yaml:1:1: kind: required field is missing',
      'web.yaml:1:1: metadata: required field is missing',
      'web.yaml:1:1: spec: required field is missing',
      'web.yaml:1:1: web: unknown field',
    ]],
  ])('%s', (_rule, file, text, expected) => {
    expect(parseManifestFile(text, file).issues.map(formatIssue)).toEqual(expected);
  });

  test('the hint reads as the README says', () => {
    expect(composeHintMessage).toBe('looks like a docker-compose/rancher-compose file, not a manifest: add it to .reconcilerignore (or --exclude)');
  });
});
