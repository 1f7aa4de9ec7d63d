/**
 * Keeps the README's "The emulator" section true: its flags are the command's flags, its fault effects
 * are the effects the emulator knows, and every `/_emulator/*` route it lists is served.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { CliContext } from '../../../src/commands/context.js';
import { emulatorCommand } from '../../../src/commands/emulator.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { faultEffects } from '../../../src/emulator/fault-plan-check.js';
import { startTestEmulator } from '../../helpers/emulator.js';
import { originOf } from './support.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const start = readme.indexOf('\n## The emulator\n');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const tableRows = section.split('\n').filter((line) => line.startsWith('| '));

let emulator: EmulatorHandle;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => emulator.close());

it('documents exactly the flags of `rancher-reconciler emulator`', () => {
  const flagRows = tableRows.filter((row) => row.startsWith('| `--'));
  const documented = new Set(flagRows.flatMap((row) => [...row.matchAll(/--[a-z][a-z-]*/g)].map((match) => match[0])));
  const flags = emulatorCommand({} as CliContext).options.map((option) => option.long!);
  expect([...documented].sort()).toEqual([...flags].sort());
});

it('documents exactly the fault effects the emulator knows', () => {
  const documented = tableRows.map((row) => /^\| `([a-z-]+)`/.exec(row)?.[1]).filter((name) => name !== undefined);
  expect(documented.sort()).toEqual([...faultEffects].sort());
});

it('serves every /_emulator route it lists, with the methods it lists', async () => {
  const routes = tableRows.flatMap((row) => {
    const match = /^\| `((?:GET|PUT|POST|DELETE)(?:`\/`(?:GET|PUT|POST|DELETE))*) (\/_emulator\/[a-z/]+)/.exec(row);
    return match ? match[1]!.split('`/`').map((method) => [method, match[2]!] as const) : [];
  });
  expect(routes.map(([method, path]) => `${method} ${path}`)).toContain('GET /_emulator/requests');
  for (const [method, path] of routes) {
    const body = method === 'POST' && path.endsWith('/partition') ? '{"durationMs":0}' : method === 'PUT' ? '{}' : undefined;
    const response = await fetch(`${originOf(emulator)}${path}`, { method, ...(body === undefined ? {} : { body }) });
    expect([method, path, response.status]).toEqual([method, path, 200]);
  }
});
