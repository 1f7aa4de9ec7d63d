import { describe, expect, test } from '@jest/globals';
import { addExcludeValue, compileIgnoreRules } from '../../../src/manifest/ignore-rules.js';

const ignoreFile = ['# what an ops repository keeps beside its manifests', '', 'docker-compose*.yml', 'rancher-compose.yml', '*.md', '!manifests.md', 'ci/', '/top.yaml'].join('\n');

describe('compileIgnoreRules: gitignore semantics, one row per rule', () => {
  test.each<[string, string | undefined, string[], string, boolean, boolean]>([
    ['a name pattern matches at any depth', ignoreFile, [], 'apps/docker-compose.prod.yml', false, true],
    ['an exact name matches', ignoreFile, [], 'rancher-compose.yml', false, true],
    ['an unrelated manifest is kept', ignoreFile, [], 'apps/web.yaml', false, false],
    ['a negation re-includes', ignoreFile, [], 'manifests.md', false, false],
    ['a trailing slash matches folders', ignoreFile, [], 'ci', true, true],
    ['a trailing slash does not match a file of that name', ignoreFile, [], 'ci', false, false],
    ['a file under an ignored folder is ignored', ignoreFile, [], 'ci/pipeline.yaml', false, true],
    ['a leading slash anchors to the root', ignoreFile, [], 'top.yaml', false, true],
    ['an anchored pattern does not match deeper', ignoreFile, [], 'apps/top.yaml', false, false],
    ['comments and blank lines are no patterns', ignoreFile, [], '# what an ops repository keeps beside its manifests', false, false],
    ['matching is case-sensitive, as git on Linux', ignoreFile, [], 'README.MD', false, false],
    ['no file and no exclude ignores nothing', undefined, [], 'docker-compose.yml', false, false],
    ['--exclude alone works without a file', undefined, ['staging/'], 'staging/web.yaml', false, true],
    ['--exclude adds to the file', ignoreFile, ['*.json'], 'renovate.json', false, true],
    ['--exclude comes last, so it can re-include what the file ignores', ignoreFile, ['!rancher-compose.yml'], 'rancher-compose.yml', false, false],
    ['** spans folders', undefined, ['envs/**/secret.yaml'], 'envs/a/b/secret.yaml', false, true],
    ['a file saved with CRLF line ends works the same', 'docker-compose.yml\r\nci/\r\n', [], 'ci/build.yaml', false, true],
  ])('%s', (_rule, file, exclude, path, isDirectory, ignored) => {
    expect(compileIgnoreRules(file, exclude).ignores(path, isDirectory)).toBe(ignored);
  });
});

describe('addExcludeValue: a repeatable option that also takes comma lists', () => {
  test.each<[string, string[], string, string[]]>([
    ['the first value', [], 'docs/', ['docs/']],
    ['a repeated value adds up', ['docs/'], '*.md', ['docs/', '*.md']],
    ['a comma list is split and trimmed', [], 'docker-compose.yml, ci/ ,*.md', ['docker-compose.yml', 'ci/', '*.md']],
    ['blank items are dropped', ['a'], ',, ,', ['a']],
  ])('%s', (_rule, previous, value, expected) => {
    expect(addExcludeValue(value, previous)).toEqual(expected);
  });
});
