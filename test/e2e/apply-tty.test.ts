/**
 * `apply` on a real pseudo-terminal (util-linux `script`): the built CLI against the embedded emulator,
 * its output played onto a model terminal (test/helpers/terminal-screen.ts) and read as a person
 * would read it. Logs must sit above the bar, never inside it; the bar must end at N/N on a line of
 * its own; the table must start on a clean line; pretty logs take one line per event; NO_COLOR and
 * FORCE_COLOR decide the colour. Issue 13 item 6.
 */
import { afterAll, beforeAll, describe, expect, it, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { runCli, builtCli } from '../helpers/cli.js';
import { makeWorkspace, writeManifestFile } from '../helpers/manifest-tree.js';
import { renderScreen } from '../helpers/terminal-screen.js';

type Workspace = Awaited<ReturnType<typeof makeWorkspace>>;

const names = ['cache', 'db', 'web-1', 'web-2'];
const deadlineMs = 90_000;
const colour = /\x1b\[[0-9;]*m/;
const logRow = /^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): \S/;
const finalBar = new RegExp(`^converging \\[${'█'.repeat(30)}\\] 4/4 instances( \\| .+)?$`);
const anyBar = /^converging \[[█░]{30}\] \d+\/\d+ instances?( \| [^\r\n\x1b]+)?$/;

/** Fails loudly, never skips: without `script` these checks would pass by not running. */
function requireScript(): void {
  const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(`util-linux \`script\` is needed for the pseudo-terminal tests and was not found (${probe.error?.message ?? probe.stderr}): install bsdutils/util-linux`);
  }
}

/** Writes `declared` as the whole tree; `db` is declared stopped. */
async function declare(ws: Workspace, declared: readonly string[]): Promise<void> {
  await writeManifestFile(ws.manifests, 'app.yaml', declared.map((name) => ({ name, state: name === 'db' ? ('stopped' as const) : undefined })));
}

async function workspace(): Promise<Workspace> {
  const ws = await makeWorkspace('rr-tty-');
  await declare(ws, names);
  return ws;
}

/** Runs `apply` in a 120-column pseudo-terminal; resolves with its exit code and everything it drew. */
function applyInPty(ws: Workspace, env: Record<string, string>, extraArgs = ''): Promise<{ code: number | null; output: string }> {
  const command = `stty cols 120 rows 40; exec '${process.execPath}' '${builtCli()}' apply --manifests '${ws.manifests}' --state-dir '${ws.state}' --timeout 60 --emulator-transition-ms 50 ${extraArgs}`;
  // only what the test gives: no NO_COLOR or FORCE_COLOR leaks in from the machine running it
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ws.root, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`apply in a pty did not exit within ${deadlineMs} ms; output so far:\n${output}`));
    }, deadlineMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The bar frames as drawn: each is the text after an erase-line, up to the next carriage return. */
function barFrames(output: string): string[] {
  return output.split('\x1b[2K').map((chunk) => chunk.split('\r')[0] ?? '').filter((frame) => frame.includes('converging'));
}

/** Log lines above the bar, the bar alone at 4/4, the table of `shownNames` below it on lines of its own. */
function expectCleanScreen(rows: readonly string[], shownNames: readonly string[]): void {
  const shown = `screen:\n${rows.join('\n')}`;
  const barAt = rows.findIndex((row) => row.includes('converging'));
  expect({ barAt, rows: rows.filter((row) => row.includes('converging')).length, shown }).toEqual({ barAt: expect.any(Number), rows: 1, shown });
  expect(rows[barAt]).toMatch(finalBar);
  // every row above the bar is one whole log line: none cut by the bar, none spread over lines
  for (const row of rows.slice(0, barAt)) expect({ row, shown }).toEqual({ row: expect.stringMatching(logRow), shown });
  // the table starts on a line of its own below the bar (after any log line of the shutdown), whole
  const tableAt = rows.findIndex((row) => row.startsWith('NAME'));
  expect({ below: tableAt > barAt, between: rows.slice(barAt + 1, tableAt).filter((row) => !logRow.test(row)), shown }).toEqual({ below: true, between: [], shown });
  expect(rows.slice(tableAt, tableAt + 2 + shownNames.length)).toEqual([
    expect.stringMatching(/^NAME +ID +PHASE +REASON +MESSAGE$/),
    ...shownNames.map((name) => expect.stringMatching(new RegExp(`^${name} +1i\\d+ +in-sync +InSync +live state matches the manifest$`))),
    '4 instances: 4 in sync, 0 progressing, 0 waiting, 0 blocked, 0 failed',
  ]);
}

/** No frame of the bar ever carried anything but the bar, and the last one is 4/4. */
function expectBarFrames(output: string): void {
  const frames = barFrames(output);
  for (const frame of frames) expect(frame).toMatch(anyBar);
  expect(frames.at(-1)).toMatch(finalBar);
}

/** The ```text block that follows `marker` in the README. */
function readmeBlock(marker: string): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('```text\n', readme.indexOf(marker));
  expect(readme.indexOf(marker)).toBeGreaterThan(-1);
  return readme.slice(start + '```text\n'.length, readme.indexOf('\n```', start)).split('\n');
}

beforeAll(() => {
  requireScript();
  builtCli();
});

describe('apply on a terminal', () => {
  const spaces: Workspace[] = [];

  afterAll(async () => {
    await Promise.all(spaces.map((ws) => ws.cleanup()));
  });

  test.each<[string, Record<string, string>, boolean]>([
    ['colours the pretty logs by default', {}, true],
    ['writes no colour at all with NO_COLOR=1', { NO_COLOR: '1' }, false],
    ['writes no colour at all with FORCE_COLOR=0', { FORCE_COLOR: '0' }, false],
  ])('keeps logs around the bar, ends it at 4/4 and prints the table on a clean line; %s', async (_rule, env, coloured) => {
    const ws = await workspace();
    spaces.push(ws);
    const { code, output } = await applyInPty(ws, env);
    expect({ code, output }).toEqual({ code: 0, output });
    const rows = renderScreen(output);
    expectCleanScreen(rows, names);
    expectBarFrames(output);
    // one line per event: every create has its own line, with its key on it
    expect(rows.filter((row) => / INFO: action succeeded key=/.test(row)).length).toBeGreaterThanOrEqual(names.length);
    if (coloured) expect(output).toContain('\x1b[32mINFO\x1b[39m');
    else expect(output).not.toMatch(colour);
  }, deadlineMs + 30_000);
});

describe('apply on a terminal, pruning', () => {
  it('ends the bar at 2/2 when two of four instances are removed (they leave the count)', async () => {
    const ws = await workspace();
    try {
      expect((await applyInPty(ws, { NO_COLOR: '1' })).code).toBe(0);
      await declare(ws, names.slice(0, 2));
      const { code, output } = await applyInPty(ws, { NO_COLOR: '1' }, '--prune --max-delete 5 --log-level warn');
      expect({ code, output }).toEqual({ code: 0, output });
      const rows = renderScreen(output);
      expect(rows.filter((row) => row.includes('converging'))).toEqual([expect.stringMatching(new RegExp(`^converging \\[${'█'.repeat(30)}\\] 2/2 instances( \\| .+)?$`))]);
      expect(rows).toContain('2 instances: 2 in sync, 0 progressing, 0 waiting, 0 blocked, 0 failed');
    } finally {
      await ws.cleanup();
    }
  }, 2 * deadlineMs + 30_000);
});

describe('the README', () => {
  it('shows apply on a terminal as it is drawn', () => {
    expectCleanScreen(readmeBlock('**`apply` on a terminal**'), ['cache', 'ticker', 'web-1', 'web-2']);
  });

  it('shows pretty log lines as they are written', () => {
    for (const row of readmeBlock('#### Pretty logs and colour')) expect(row).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO: [a-z ]+ key=\S+ instanceId=\S+ (action|phase)=/);
  });
});

describe('apply off a terminal', () => {
  it('colours pretty logs with FORCE_COLOR=1 (the format stays what --log-format says)', async () => {
    const ws = await workspace();
    try {
      const forced = await runCli(['apply', '--manifests', ws.manifests, '--state-dir', ws.state, '--timeout', '60', '--log-format', 'pretty'], { cwd: ws.root, env: { FORCE_COLOR: '1' } });
      expect(forced.code).toBe(0);
      expect(forced.stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3} \x1b\[32mINFO\x1b\[39m: /m);
      // no bar off a terminal: one plain line per action, then the table
      expect(forced.stdout).not.toContain('converging');
      expect(forced.stdout).toMatch(/^4 instances: 4 in sync/m);
      const plain = await runCli(['apply', '--manifests', ws.manifests, '--state-dir', ws.state, '--timeout', '60', '--log-format', 'pretty'], { cwd: ws.root, env: {} });
      expect(plain.code).toBe(0);
      expect(plain.stderr).not.toMatch(colour);
      expect(plain.stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO: configuration loaded command=apply /m);
    } finally {
      await ws.cleanup();
    }
  }, 2 * deadlineMs);
});
