/**
 * `rancher-reconciler status` and `events` (in-process through runProgram) against a daemon running
 * in-process over real HTTP, with the emulator behind it: the table, `-o json`, `--watch` after a
 * manifest change, `events` and `events --follow`, and the failures. `events` is also tested against a
 * small real SSE server (test/helpers/events-server.ts) for its filters and resume after a drop.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App } from '../../../src/app.js';
import type { CliContext } from '../../../src/commands/context.js';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { runProgram } from '../../../src/program.js';
import { runCli, TextSink } from '../../helpers/cli.js';
import { get, startTestEmulator } from '../../helpers/emulator.js';
import { startEventsServer, type EventsServer } from '../../helpers/events-server.js';
import { waitForEvent } from '../../helpers/events.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { instanceYaml, makeWorkspace } from '../../helpers/manifest-tree.js';
import { until } from '../../helpers/until.js';
import { closedPort } from '../../helpers/ports.js';

/** A long-running command in-process: its output so far, a stop (SIGINT), and its exit code. */
function startCli(args: string[], cwd: string, isTTY = false): { stdout: TextSink; stderr: TextSink; stop(): void; exited: Promise<number> } {
  const stdout = new TextSink();
  stdout.isTTY = isTTY;
  const stderr = new TextSink();
  const shutdown = new AbortController();
  let code = -1;
  const ctx: CliContext = { env: {}, stdout, stderr, shutdown: shutdown.signal, cwd, onHangup: () => () => undefined, setExitCode: (c) => (code = c) };
  const exited = runProgram(ctx, args).then(() => code);
  return { stdout, stderr, stop: () => shutdown.abort(new Error('received SIGINT')), exited };
}

/** The rows of the last table in `text` (after the last header), as cells. */
function lastTable(text: string): string[][] {
  const table = text.slice(text.lastIndexOf('NAME   '));
  return table.split('\n\n')[0]!.split('\n').slice(1).map((line) => line.split(/ {3,}/));
}

describe('the status command against a running daemon', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App;
  let url: string;

  beforeAll(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-status-cli-');
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1' }) + '---\n' + instanceYaml({ name: 'db', state: 'stopped' }));
    const argv = ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0'];
    app = await createApp(loadConfig({ command: 'run', argv, env: {}, cwd: ws.root }), 'run', { log: captureLogger('info').log });
    const converged = waitForEvent(app.events, 'revision:converged');
    await app.start();
    await converged;
    url = app.statusUrl()!;
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await emu?.close();
    await ws?.cleanup();
  });

  it('prints a table of the instances with their Rancher ids and phases, then the summary', async () => {
    const result = await runCli(['status', '--daemon', url], { cwd: ws.root });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^NAME +ID +STATE +PHASE +REASON +LAST ACTION +AGE$/);
    const rows = lastTable(result.stdout);
    expect(rows.map(([name, id, , phase]) => [name, id?.startsWith('1i'), phase])).toEqual(
      expect.arrayContaining([['web-1', true, 'in-sync'], ['db', true, 'in-sync']]),
    );
    expect(rows).toHaveLength(2);
    expect(lines.at(-2)).toMatch(/^2 instances: 2 in-sync; revision \S+; ready$/);
  });

  it('-o json prints the /status document as the daemon sends it', async () => {
    const result = await runCli(['status', '--daemon', url, '-o', 'json'], { cwd: ws.root });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual((await get(`${url}/status`)).body);
  });

  it('--watch prints a new table after a manifest change, and ends with exit 0 on SIGINT', async () => {
    const cli = startCli(['status', '--daemon', url, '--watch'], ws.root);
    try {
      await until(async () => cli.stdout.text, (text) => text.includes('2 instances'), 30_000);
      await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', state: 'stopped' }) + '---\n' + instanceYaml({ name: 'db', state: 'stopped' }));
      // the polling fallback (no /events/stream yet) or the stream brings the stop within a few seconds
      await until(async () => cli.stdout.text, (text) => lastTable(text).some(([name, , , , , action]) => name === 'web-1' && action === 'stop'), 30_000);
      expect(cli.stdout.text.split('NAME   ').length - 1).toBeGreaterThanOrEqual(2);
    } finally {
      cli.stop();
    }
    expect(await cli.exited).toBe(0);
    expect(cli.stderr.text).toBe('');
  }, 60_000);

  it('--watch on a terminal clears the screen before each table', async () => {
    const cli = startCli(['status', '--daemon', url, '--watch'], ws.root, true);
    try {
      await until(async () => cli.stdout.text, (text) => text.includes('instances'), 30_000);
    } finally {
      cli.stop();
    }
    expect(await cli.exited).toBe(0);
    expect(cli.stdout.text.startsWith('\x1b[H\x1b[2JNAME ')).toBe(true);
  }, 60_000);

  it('a daemon that is not there is exit 1 naming the URL without its credentials', async () => {
    const port = await closedPort();
    const result = await runCli(['status', '--daemon', `http://ann:s3cret@127.0.0.1:${port}`], { cwd: ws.root });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: cannot reach the daemon at http://127.0.0.1:${port} (ECONNREFUSED): is \`rancher-reconciler run\` listening there? (--daemon URL)\n`,
    });
  });

  it('something that is not a rancher-reconciler is exit 1 saying so', async () => {
    const result = await runCli(['status', '--daemon', emu.url], { cwd: ws.root });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: ${emu.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (answered \\d+ for /status: not a rancher-reconciler status server|is not a rancher-reconciler)`));
  });

  it('events prints the daemon\'s history, then --follow prints what a manifest change does, live', async () => {
    const history = await runCli(['events', '--daemon', url, '-o', 'json'], { cwd: ws.root });
    expect(history.code).toBe(0);
    const kinds = history.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { kind: string }).kind);
    expect(kinds).toEqual(expect.arrayContaining(['revision-seen', 'action-succeeded', 'revision-converged']));
    const cli = startCli(['events', '--daemon', url, '--follow', '--key', 'db'], ws.root);
    try {
      await until(async () => cli.stdout.text, (text) => text.includes('action-succeeded'), 30_000);
      const before = cli.stdout.text.split('\n').length;
      await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', state: 'stopped' }) + '---\n' + instanceYaml({ name: 'db', state: 'stopped', description: 'followed' }));
      await until(async () => cli.stdout.text, (text) => text.split('\n').slice(before - 1).some((line) => line.includes('action-succeeded') && line.includes('db')), 30_000);
    } finally {
      cli.stop();
    }
    expect(await cli.exited).toBe(0);
    expect(cli.stderr.text).toBe('');
  }, 60_000);

  it('events names a daemon without /events and exits 1', async () => {
    const result = await runCli(['events', '--daemon', emu.url], { cwd: ws.root });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `error: the daemon at ${emu.url} has no /events: upgrade it\n` });
  });
});

describe('the events command', () => {
  let server: EventsServer;

  beforeAll(async () => {
    server = await startEventsServer();
    server.record({ kind: 'revision-seen', message: 'revision r1 seen', revision: 'r1' });
    server.record({ kind: 'action-succeeded', key: 'web-1', instanceId: '1i1', message: 'created 1i1', action: 'create' });
    server.record({ kind: 'action-failed', severity: 'error', key: 'db', message: 'start failed: 422' });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('prints one line per event, oldest first', async () => {
    const result = await runCli(['events', '--daemon', server.url], { cwd: '/' });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').slice(0, -1).map((l) => l.split(/ {2,}/).slice(1))).toEqual([
      ['info', 'revision-seen', '-', 'revision r1 seen'],
      ['info', 'action-succeeded', 'web-1', 'created 1i1'],
      ['error', 'action-failed', 'db', 'start failed: 422'],
    ]);
  });

  it('sends the filters and prints JSON lines with -o json', async () => {
    const result = await runCli(['events', '--daemon', server.url, '--severity', 'error', '--since', '1h', '-o', 'json'], { cwd: '/' });
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).message)).toEqual(['start failed: 422']);
    const byKey = await runCli(['events', '--daemon', server.url, '--key', 'web-1'], { cwd: '/' });
    expect(byKey.stdout).toContain('created 1i1');
    expect(byKey.stdout.split('\n')).toHaveLength(2);
  });

  it('reports every bad flag value at once', async () => {
    const result = await runCli(['events', '--daemon', server.url, '--kind', 'nope', '--since', 'later', '--limit', '0'], { cwd: '/' });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').slice(0, -1)).toEqual([
      expect.stringMatching(/^error: --kind: expected kinds among revision-seen, .*, got `nope`$/),
      'error: --limit: expected a whole number above 0, got `0`',
      'error: --since: expected a duration (30s, 10m, 2h, 1d) or an ISO time, got `later`',
    ]);
  });

  it('--follow prints live events, resumes after a drop from the last id without duplicates or gaps', async () => {
    const opened = server.resumes.length;
    const cli = startCli(['events', '--daemon', server.url, '--follow', '--key', 'web-1'], '/');
    try {
      await server.streamsOpened(opened + 1);
      expect(server.resumes.at(-1)).toBe('3');
      server.record({ kind: 'drift-detected', key: 'web-1', message: 'live one' });
      server.record({ kind: 'drift-detected', key: 'db', message: 'not for web-1' });
      await until(async () => cli.stdout.text, (t) => t.includes('live one'), 15_000);
      server.drop();
      // recorded while the client is away: it must come with the resume
      server.record({ kind: 'drift-healed', key: 'web-1', message: 'while away' });
      await server.streamsOpened(opened + 2);
      expect(server.resumes.at(-1)).toBe('5');
      server.record({ kind: 'action-succeeded', key: 'web-1', message: 'after resume' });
      await until(async () => cli.stdout.text, (t) => t.includes('after resume'), 15_000);
    } finally {
      cli.stop();
    }
    expect(await cli.exited).toBe(0);
    expect(cli.stdout.text.split('\n').slice(0, -1).map((l) => l.split(/ {2,}/).at(-1))).toEqual(['created 1i1', 'live one', 'while away', 'after resume']);
  }, 60_000);
});
