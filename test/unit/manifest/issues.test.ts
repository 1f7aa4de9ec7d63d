import { describe, expect, test } from '@jest/globals';
import { displayPath } from '../../../src/manifest/issues.js';

describe('displayPath: relative to the working directory inside it, absolute outside it', () => {
  test.each<[string, string, string, string, string]>([
    ['a file under a root inside the cwd', '/work/repo', '/work/repo/manifests', 'apps/web.yaml', 'manifests/apps/web.yaml'],
    ['a relative root is taken from the cwd', '/work/repo', 'manifests', 'web.yaml', 'manifests/web.yaml'],
    ['the root itself, inside the cwd', '/work/repo', '/work/repo/manifests', '.', 'manifests'],
    ['the root that is the cwd', '/work/repo', '/work/repo', '.', '.'],
    ['a file directly in the cwd', '/work/repo', '.', 'web.yaml', 'web.yaml'],
    ['a missing root outside the cwd is absolute, never ../../nonexistent', '/work/repo', '/nonexistent', '.', '/nonexistent'],
    ['a file under a root outside the cwd', '/work/repo', '/srv/manifests', 'apps/web.yaml', '/srv/manifests/apps/web.yaml'],
    ['a sibling folder of the cwd is outside it', '/work/repo', '../other', 'web.yaml', '/work/other/web.yaml'],
    ['the parent of the cwd is outside it', '/work/repo', '..', '.', '/work'],
    ['a folder whose name starts with two dots is inside', '/work/repo', '..data', 'a.yaml', '..data/a.yaml'],
  ])('%s', (_rule, cwd, root, file, shown) => {
    expect(displayPath(cwd, root, file)).toBe(shown);
  });
});
