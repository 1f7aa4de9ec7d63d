import { describe, expect, test } from '@jest/globals';
import { formatIssue } from '../../../src/manifest/issues.js';
import { parseManifestFile } from '../../../src/manifest/parse.js';

/** A document whose extra spec lines start at line 7 (after the image line). */
const doc = (extra: string): string => `apiVersion: rancher-reconciler/v1\nkind: Instance\nmetadata:\n  name: web-1\nspec:\n  imageUuid: docker:nginx:1.25\n${extra}`;
const parsed = (extra: string) => parseManifestFile(doc(extra), 'f.yaml');

describe('spec.suspend and spec.prune', () => {
  test.each<[string, string, Record<string, unknown>]>([
    ['neither: not carried (suspend false, prune true)', '', {}],
    ['suspend: true is carried', '  suspend: true\n', { suspend: true }],
    ['suspend: false is the default, not carried', '  suspend: false\n', {}],
    ['prune: false is carried', '  prune: false\n', { prune: false }],
    ['prune: true is the default, not carried', '  prune: true\n', {}],
  ])('%s', (_rule, extra, expected) => {
    const [instance] = parsed(extra).instances;
    expect({ suspend: instance?.suspend, prune: instance?.prune }).toEqual({ suspend: undefined, prune: undefined, ...expected });
  });

  test.each<[string, string, string]>([
    ['suspend must be a boolean, not a YAML 1.1 word', '  suspend: yes\n', 'f.yaml:7:12: spec.suspend: expected a boolean, got a string (write true or false, unquoted)'],
    ['prune must be a boolean, not a quoted one', '  prune: "false"\n', 'f.yaml:7:10: spec.prune: expected a boolean, got a string (write true or false, unquoted)'],
    ['prune must not be null', '  prune:\n', 'f.yaml:7:3: spec.prune: expected a boolean, got null'],
    ['a typo gets a hint', '  suspended: true\n', 'f.yaml:7:3: spec.suspended: unknown field (did you mean "suspend"?)'],
  ])('%s', (_rule, extra, issue) => {
    expect(parsed(extra).issues.map(formatIssue)).toEqual([issue]);
  });
});
