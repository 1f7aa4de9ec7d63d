import { describe, expect, test } from '@jest/globals';
import { chooseEnvironment, type EnvironmentChoice, type ProjectSummary } from '../../../src/rancher/environment-resolve.js';

const projects: ProjectSummary[] = [
  { id: '1a5', name: 'Default' },
  { id: '1a7', name: 'staging' },
  { id: '1a9', name: 'prod' },
  { id: '1a11', name: 'prod' },
  { id: '1a12', name: null },
  { id: '1a13', name: '1a99' },
];

describe('chooseEnvironment', () => {
  test.each<[string, string, readonly ProjectSummary[], EnvironmentChoice]>([
    ['an id picks that project', '1a7', projects, { kind: 'found', projectId: '1a7' }],
    ['a unique name picks its project', 'staging', projects, { kind: 'found', projectId: '1a7' }],
    ['names match exactly, case included', 'Staging', projects,
      { kind: 'none', message: 'environment `Staging` not found: the key sees `Default` (1a5), `staging` (1a7), `prod` (1a9), `prod` (1a11), `(no name)` (1a12), `1a99` (1a13)' }],
    ['an id-shaped value is an id only (as the Rancher CLI takes it), never a name', '1a99', projects,
      { kind: 'none', message: 'environment `1a99` not found: the key sees `Default` (1a5), `staging` (1a7), `prod` (1a9), `prod` (1a11), `(no name)` (1a12), `1a99` (1a13)' }],
    ['a name two environments share is ambiguous', 'prod', projects,
      { kind: 'none', message: 'environment name `prod` is ambiguous: 1a9, 1a11 are all named so; give the id instead (e.g. --environment 1a9)' }],
    ['a key that sees nothing says so', 'Default', [], { kind: 'none', message: 'environment `Default` not found: the key sees no environment' }],
  ])('%s', (_rule, wanted, list, expected) => expect(chooseEnvironment(wanted, list)).toEqual(expected));

  test('names at most 20 environments and counts the rest', () => {
    const many = Array.from({ length: 23 }, (_, i) => ({ id: `1a${i + 100}`, name: `env-${i}` }));
    const choice = chooseEnvironment('missing', many);
    expect(choice.kind === 'none' && choice.message).toMatch(/`env-19` \(1a119\), and 3 more$/);
  });
});
