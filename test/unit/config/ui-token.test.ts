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

const load = (overrides: Partial<LoadConfigInput>) => loadConfig({ command: 'run', argv: [], env: {}, cwd: '/work', readFile: files({ '/s/ui': 'UI-TOKEN\n', '/s/empty': '\n' }), ...overrides });
const issuesOf = (overrides: Partial<LoadConfigInput>): readonly string[] => {
  try {
    load(overrides);
    return [];
  } catch (e: unknown) {
    return e instanceof ConfigError ? e.issues : [String(e)];
  }
};

describe('--ui-token-file', () => {
  it('is off by default', () => {
    expect(load({}).http.uiToken).toBeUndefined();
  });

  it('reads the token from the flag or RECONCILER_UI_TOKEN_FILE, one trailing newline trimmed', () => {
    expect(load({ argv: ['--ui-token-file', '/s/ui'] }).http.uiToken).toBe('UI-TOKEN');
    expect(load({ env: { RECONCILER_UI_TOKEN_FILE: '/s/ui' } }).http.uiToken).toBe('UI-TOKEN');
  });

  it('an empty or missing file is an error naming the option, never the token', () => {
    expect(issuesOf({ argv: ['--ui-token-file', '/s/empty'] })).toEqual(['--ui-token-file: file `/s/empty` is empty']);
    expect(issuesOf({ env: { RECONCILER_UI_TOKEN_FILE: '/s/none' } })).toEqual(['RECONCILER_UI_TOKEN_FILE: cannot read `/s/none` (ENOENT)']);
  });

  it('is for run only', () => {
    expect(issuesOf({ command: 'plan', argv: ['--ui-token-file', '/s/ui'] })).toEqual(['--ui-token-file is not used by plan']);
    expect(issuesOf({ command: 'plan', env: { RECONCILER_UI_TOKEN_FILE: '/s/ui' } })).toEqual([]);
  });

  it('shows only whether it is set in the startup line', () => {
    const line = describeConfig(load({ argv: ['--ui-token-file', '/s/ui'] }));
    expect(line['uiTokenSet']).toBe(true);
    expect(JSON.stringify(line)).not.toContain('UI-TOKEN');
  });
});
