import { describe, expect, it } from '@jest/globals';
import { describeConfig, loadConfig, type LoadConfigInput } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

function files(contents: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = contents[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}

const load = (overrides: Partial<LoadConfigInput>) => loadConfig({ command: 'run', argv: [], env: {}, cwd: '/work', readFile: files({ '/s/control': 'CONTROL-TOKEN\n', '/s/empty': '\n' }), ...overrides });
const issuesOf = (overrides: Partial<LoadConfigInput>): readonly string[] => {
  try {
    load(overrides);
    return [];
  } catch (e: unknown) {
    return e instanceof ConfigError ? e.issues : [String(e)];
  }
};

describe('--control-token-file', () => {
  it('is off by default', () => {
    expect(load({}).http.controlToken).toBeUndefined();
  });

  it('reads the token from the flag or RECONCILER_CONTROL_TOKEN_FILE, one trailing newline trimmed', () => {
    expect(load({ argv: ['--control-token-file', '/s/control'] }).http.controlToken).toBe('CONTROL-TOKEN');
    expect(load({ env: { RECONCILER_CONTROL_TOKEN_FILE: '/s/control' } }).http.controlToken).toBe('CONTROL-TOKEN');
  });

  it('an empty or missing file is an error naming the option, never the token', () => {
    expect(issuesOf({ argv: ['--control-token-file', '/s/empty'] })).toEqual(['--control-token-file: file `/s/empty` is empty']);
    expect(issuesOf({ env: { RECONCILER_CONTROL_TOKEN_FILE: '/s/none' } })).toEqual(['RECONCILER_CONTROL_TOKEN_FILE: cannot read `/s/none` (ENOENT)']);
  });

  it('is for run only: a flag for plan is an error, the variable is ignored there', () => {
    expect(issuesOf({ command: 'plan', argv: ['--control-token-file', '/s/control'] })).toEqual(['--control-token-file is not used by plan']);
    expect(issuesOf({ command: 'plan', env: { RECONCILER_CONTROL_TOKEN_FILE: '/s/control' } })).toEqual([]);
  });

  it('shows only whether it is set in the startup line', () => {
    const line = describeConfig(load({ argv: ['--control-token-file', '/s/control'] }));
    expect(line['controlTokenSet']).toBe(true);
    expect(JSON.stringify(line)).not.toContain('CONTROL-TOKEN');
  });
});
