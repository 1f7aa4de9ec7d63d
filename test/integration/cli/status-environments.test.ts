/**
 * `status` and `events` against a daemon of two environments (issue 15), in-process over real HTTP,
 * each environment with its own embedded emulator: a section per environment and a last line naming
 * the ones not ready, `--env` reading `/status/<name>`, an unknown name as the usage error, `-o json`,
 * and `events` with its environment column and `--env` filter.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../helpers/cli.js';
import { get } from '../../helpers/emulator.js';
import { startEnvironmentsDaemon, type EnvironmentsDaemon } from '../../helpers/environments-daemon.js';

/** The sections of `text`, by environment name, in the order they appear. */
function sections(text: string): [string, string][] {
  const parts = text.split(/^== environment ([a-z0-9-]+) ==\n/m);
  const result: [string, string][] = [];
  for (let i = 1; i < parts.length; i += 2) result.push([parts[i] ?? '', parts[i + 1] ?? '']);
  return result;
}

/** The NAME column of a section's table. */
const namesIn = (section: string): string[] => section.split('\n\n')[0]!.split('\n').slice(1).map((line) => line.split(/ {3,}/)[0]!).sort();

describe('status and events against a daemon of two environments', () => {
  let daemon: EnvironmentsDaemon;
  let url: string;

  beforeAll(async () => {
    daemon = await startEnvironmentsDaemon('rr-status-envs-', 60_000);
    url = daemon.url;
  }, 90_000);

  afterAll(async () => {
    await daemon?.stop();
  });

  it('prints a section per environment, each with its table and summary, then a line counting them', async () => {
    const result = await runCli(['status', '--daemon', url], { cwd: '/' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const found = sections(result.stdout);
    expect(found.map(([name]) => name)).toEqual(['dev', 'prod']);
    expect(namesIn(found[0]![1])).toEqual(['dev-web']);
    expect(namesIn(found[1]![1])).toEqual(['prod-api', 'prod-web']);
    expect(found[0]![1]).toMatch(/^1 instance: 1 in-sync; revision \S+; ready$/m);
    expect(found[1]![1]).toMatch(/^2 instances: 2 in-sync; revision \S+; ready$/m);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('2 environments: 2 ready');
  });

  it('--env reads only the environments named, in that order', async () => {
    const result = await runCli(['status', '--daemon', url, '--env', 'prod'], { cwd: '/' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(sections(result.stdout).map(([name]) => name)).toEqual(['prod']);
    const both = await runCli(['status', '--daemon', url, '--env', 'prod', '--env', 'dev'], { cwd: '/' });
    expect(sections(both.stdout).map(([name]) => name)).toEqual(['prod', 'dev']);
    const listed = await runCli(['status', '--daemon', url], { cwd: '/', env: { RECONCILER_ENV: 'dev' } });
    expect(sections(listed.stdout).map(([name]) => name)).toEqual(['dev']);
  });

  it('an environment the daemon does not manage is the usage error, naming the ones it does', async () => {
    const result = await runCli(['status', '--daemon', url, '--env', 'dev,stage,qa'], { cwd: '/' });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        `error: --env: the daemon at ${url} has no environment "stage": expected one of dev, prod`,
        `error: --env: the daemon at ${url} has no environment "qa": expected one of dev, prod`,
        '',
      ].join('\n'),
    });
    const events = await runCli(['events', '--daemon', url, '--env', 'stage'], { cwd: '/' });
    expect(events.code).toBe(1);
    expect(events.stderr).toContain('has no environment "stage": expected one of dev, prod');
  });

  it('-o json prints /status as sent, or the environments named', async () => {
    const all = await runCli(['status', '--daemon', url, '-o', 'json'], { cwd: '/' });
    expect(JSON.parse(all.stdout)).toEqual((await get(`${url}/status`)).body);
    const one = await runCli(['status', '--daemon', url, '-o', 'json', '--env', 'prod'], { cwd: '/' });
    expect(JSON.parse(one.stdout)).toEqual({ environments: [(await get(`${url}/status/prod`)).body] });
  });

  it('events shows the environment column when two environments have events, and --env filters on the daemon', async () => {
    const all = await runCli(['events', '--daemon', url, '--kind', 'action-succeeded'], { cwd: '/' });
    expect(all.code).toBe(0);
    const rows = all.stdout.trimEnd().split('\n').map((line) => line.split(/ {2,}/).slice(2, 4));
    expect(new Set(rows.map(([, environment]) => environment))).toEqual(new Set(['dev', 'prod']));
    expect(rows).toEqual(expect.arrayContaining([['action-succeeded', 'dev'], ['action-succeeded', 'prod']]));

    const prod = await runCli(['events', '--daemon', url, '--env', 'prod', '-o', 'json'], { cwd: '/' });
    const environments = prod.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { environment?: string }).environment);
    expect(environments.length).toBeGreaterThan(0);
    expect(new Set(environments)).toEqual(new Set(['prod']));
    // one environment: no column, the key follows the kind as before
    const text = await runCli(['events', '--daemon', url, '--env', 'prod', '--kind', 'action-succeeded'], { cwd: '/' });
    expect(text.stdout.trimEnd().split('\n').map((line) => line.split(/ {2,}/)[3])).toEqual(expect.arrayContaining(['prod-api', 'prod-web']));

    const limited = await runCli(['events', '--daemon', url, '--env', 'dev,prod', '--limit', '2', '-o', 'json'], { cwd: '/' });
    const ids = limited.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { id: number }).id);
    const idsOf = async (environment: string): Promise<number[]> => ((await get(`${url}/events?environment=${environment}`)).body as { events: { id: number }[] }).events.map((e) => e.id);
    const newest = [...(await idsOf('dev')), ...(await idsOf('prod'))].sort((a, b) => a - b).slice(-2);
    expect(ids).toEqual(newest);
  });
});
