// `npm run screenshot`: regenerates docs/dashboard.png from a running example. It builds dist/ when
// stale, copies manifests/ to two temp folders, runs the daemon on a config file of two environments
// (`staging` and `production`, each against its own embedded emulator), waits until both are ready and
// in sync, changes web-2's image in production (a create-only field: web-2 is blocked there), and
// photographs the dashboard of production in headless Chromium (Debian's, or CHROMIUM_PATH): the
// environments' summary, the switcher and the table, then web-2's detail view.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const out = 'docs/dashboard.png';
const detailOut = 'docs/dashboard-detail.png';
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const waitMs = 60_000;

await import('./build-if-needed.mjs');
const root = await mkdtemp(join(tmpdir(), 'rr-screenshot-'));
const environments = ['staging', 'production'];
for (const name of environments) await cp('manifests', join(root, name), { recursive: true });
const config = join(root, 'rr.yaml');
await writeFile(config, `environments:\n${environments.map((name) => `  - name: ${name}\n    manifests: ${name}\n`).join('')}`);

const daemon = spawn(process.execPath, ['dist/cli.js', 'run', '--config', config, '--state-dir', join(root, 'state'), '--listen', '127.0.0.1:0', '--log-format', 'json'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let browser;
try {
  const url = await statusUrl(daemon);
  const summaries = async () => (await (await fetch(`${url}/status`)).json()).environments.map((environment) => environment.summary);
  await until(async () => {
    const all = await summaries();
    return all.length === environments.length && all.every((counts) => counts.total > 0 && counts['in-sync'] === counts.total);
  });
  const web = join(root, 'production', 'web.yaml');
  await writeFile(web, (await readFile(web, 'utf8')).replace(/(name: web-2[\s\S]*?imageUuid: )docker:nginx:1\.25/, '$1docker:nginx:1.27'));
  await until(async () => (await summaries())[1].blocked === 1);

  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, colorScheme: 'light', deviceScaleFactor: 1 });
  await page.goto(`${url}/#env=production`);
  await page.locator('#instances tbody tr[data-name="web-2"][data-phase="blocked"]').waitFor({ timeout: waitMs });
  await page.screenshot({ path: out });
  await page.locator('#instances tbody tr[data-name="web-2"]').click();
  await page.locator('#detail-changes tr[data-field="imageUuid"]').waitFor({ timeout: waitMs });
  await page.screenshot({ path: detailOut });
  process.stdout.write(`wrote ${out} and ${detailOut}\n`);
} finally {
  await browser?.close();
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));
  await rm(root, { recursive: true, force: true });
}

/** The status server's URL, from the daemon's `status server listening` log line. */
function statusUrl(child) {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'status server listening') resolve(entry.url);
      } catch {
        // not a log line: ignore
      }
    });
    child.once('exit', (code) => reject(new Error(`the daemon exited (${code}) before its status server listened`)));
  });
}

/** Polls `probe` until it is true; the example needs a few seconds to converge. */
async function until(probe) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error('the example did not get there in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
