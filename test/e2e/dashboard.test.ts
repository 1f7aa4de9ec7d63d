/**
 * The web dashboard (`GET /`) in headless Chromium against a daemon wired in-process in run mode and
 * the emulator over real HTTP: it loads without console errors, lists the instances, filters them,
 * follows a manifest edit without a reload, and shows a blocked instance's declared and live fields
 * (secret-looking values masked); behind `--ui-token-file`, the login form leads to it; with two
 * environments, a summary row each and a switcher whose choice the URL's hash keeps. Skipped
 * visibly when Chromium is not installed (test/helpers/browser.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { browserUnavailable, launchBrowser, pageWithErrors } from '../helpers/browser.js';
import { get, startTestEmulator } from '../helpers/emulator.js';
import { waitForEvent } from '../helpers/events.js';
import { captureLogger } from '../helpers/log-sink.js';
import { instanceYaml, makeWorkspace } from '../helpers/manifest-tree.js';
import { startEnvironmentsDaemon, type EnvironmentsDaemon } from '../helpers/environments-daemon.js';

const unavailable = browserUnavailable();
const browserDescribe = unavailable === undefined ? describe : describe.skip;
if (unavailable !== undefined) console.warn(`dashboard browser tests skipped: ${unavailable}`);

/** Page conditions on a loaded machine: generous, never a sleep. */
const waitMs = 20_000;
const secretOld = 'old-s3cret-value';
const secretNew = 'new-s3cret-value';

/** An instance whose create-only fields change below: blocked (the default policy, said explicitly). */
const lockedYaml = (image: string, token: string): string =>
  instanceYaml({ name: 'locked', image, extra: `  onImmutableChange: block\n  environment:\n    API_TOKEN: "${token}"\n    TZ: UTC` });

browserDescribe('the web dashboard in Chromium', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-dashboard-');
    await writeFile(join(ws.root, 'reconcile-token'), 'reconcile-token-0123456789\n');
    await writeFile(join(ws.manifests, 'web.yaml'), `${instanceYaml({ name: 'web-1', description: 'one' })}---\n${instanceYaml({ name: 'web-2', description: 'two' })}`);
    await writeFile(join(ws.manifests, 'locked.yaml'), lockedYaml('docker:nginx:1.25', secretOld));
    const config = loadConfig({
      command: 'run',
      argv: ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--qps', '500', '--reconcile-token-file', join(ws.root, 'reconcile-token')],
      env: {},
      cwd: ws.root,
    });
    app = await createApp(config, 'run', { log: captureLogger('info').log });
    const converged = waitForEvent(app.events, 'revision:converged', undefined, waitMs);
    await app.start();
    await converged;
    url = app.statusUrl()!;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await emu?.close();
    await ws?.cleanup();
  });

  const rows = (page: Page) => page.locator('#instances tbody tr');
  const row = (page: Page, name: string) => page.locator(`#instances tbody tr[data-name="${name}"]`);
  const names = async (page: Page) => Promise.all((await rows(page).all()).map((tr) => tr.getAttribute('data-name')));
  /** Waits for an element to show up: locators, because the page's CSP forbids the eval a polled page function needs. */
  const until = (page: Page, selector: string, hasText?: RegExp) => page.locator(selector, hasText === undefined ? {} : { hasText }).first().waitFor({ timeout: waitMs });
  const threeRows = '#instances tbody tr:nth-child(3)';

  it('serves the page and its assets from the daemon only, with a CSP that allows nothing else', async () => {
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).toContain('data-reconcile="on"');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ['/ui/dashboard.js', '/ui/dashboard.css']) {
      const answer = await fetch(`${url}${asset}`);
      expect([asset, answer.status]).toEqual([asset, 200]);
      expect(await answer.text()).not.toMatch(/(src|href|url)\(?\s*=?\s*["']?https?:/);
    }
  });

  it('loads without console errors and lists every instance with its Rancher id, state and phase', async () => {
    const { page, errors } = await pageWithErrors(browser);
    try {
      await page.goto(`${url}/`);
      await until(page, threeRows);
      expect(await names(page)).toEqual(['locked', 'web-1', 'web-2']);
      const cells = await row(page, 'web-1').locator('td').allTextContents();
      expect(cells[0]).toBe('web-1');
      expect(cells[1]).toMatch(/^1i\d+$/);
      expect(cells.slice(2, 4)).toEqual(['running', 'in-sync']);
      expect(await page.locator('#ready').textContent()).toBe('ready');
      expect(await page.locator('#revision').textContent()).not.toBe('–');
      expect(await page.locator('#counts').textContent()).toContain('in-sync 3');
      expect(await page.locator('#reconcile').isVisible()).toBe(true);
      // one environment: no switcher and no summary per environment
      expect(await page.locator('#env-switch').isVisible()).toBe(false);
      expect(await page.locator('#environments').isVisible()).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('narrows the table with the text filter and the phase filter', async () => {
    const { page, errors } = await pageWithErrors(browser);
    try {
      await page.goto(`${url}/`);
      await until(page, threeRows);
      await page.fill('#text-filter', 'web');
      expect(await names(page)).toEqual(['web-1', 'web-2']);
      await page.fill('#text-filter', 'web-2');
      expect(await rows(page).count()).toBe(1);
      await page.fill('#text-filter', '');
      await page.selectOption('#phase-filter', 'blocked');
      expect(await rows(page).count()).toBe(0);
      expect(await page.locator('#empty').isVisible()).toBe(true);
      await page.selectOption('#phase-filter', 'in-sync');
      expect(await rows(page).count()).toBe(3);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('shows a manifest edit live, without a reload, and a blocked change in the detail view with secrets masked', async () => {
    const { page, errors } = await pageWithErrors(browser);
    try {
      await page.goto(`${url}/`);
      await until(page, threeRows);
      await page.evaluate('window.notReloaded = true');
      // with an event history the page follows /events/stream; without one it polls /status every 5 s
      if ((await page.getAttribute('html', 'data-events')) === 'on') await until(page, '#live', /live/);

      await writeFile(join(ws.manifests, 'web.yaml'), `${instanceYaml({ name: 'web-1', description: 'one, edited' })}---\n${instanceYaml({ name: 'web-2', description: 'two' })}`);
      await writeFile(join(ws.manifests, 'locked.yaml'), lockedYaml('docker:nginx:1.26', secretNew));
      await until(page, '#instances tbody tr[data-name="web-1"] td:nth-child(6)', /^update$/);
      await until(page, '#instances tbody tr[data-name="locked"][data-phase="blocked"]');
      expect(await page.evaluate('window.notReloaded')).toBe(true);
      expect(await page.locator('#counts').textContent()).toContain('blocked 1');

      // keyboard: focus the row, Enter opens the detail view
      await row(page, 'locked').focus();
      await page.keyboard.press('Enter');
      await page.locator('#detail').waitFor({ state: 'visible', timeout: waitMs });
      expect(await page.locator('#detail-name').textContent()).toContain('locked');
      const image = await page.locator('#detail-changes tr[data-field="imageUuid"] td').allTextContents();
      expect(image).toEqual(['imageUuid', 'docker:nginx:1.26', 'docker:nginx:1.25']);
      const token = await page.locator('#detail-changes tr[data-field="environment.API_TOKEN"] td').allTextContents();
      expect(token).toEqual(['environment.API_TOKEN', '(sensitive)', '(sensitive)']);
      expect(await page.locator('#detail-fields').textContent()).toContain('ImmutableFieldChanged');
      const everything = await page.content();
      expect(everything).not.toContain('s3cret');
      expect(JSON.stringify((await get(`${url}/status`)).body)).not.toContain('s3cret');
      await page.keyboard.press('Escape');
      await page.locator('#detail').waitFor({ state: 'hidden', timeout: waitMs });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('is readable on a phone-sized screen: no sideways scrolling, the rows still open', async () => {
    const { page, errors } = await pageWithErrors(browser, { width: 375, height: 740 });
    try {
      await page.goto(`${url}/`);
      await until(page, threeRows);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await row(page, 'web-2').click();
      await page.locator('#detail').waitFor({ state: 'visible', timeout: waitMs });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

browserDescribe('the web dashboard behind --ui-token-file, in Chromium', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App;
  let browser: Browser;
  let url: string;
  const uiToken = 'ui-token-for-the-browser-2718';

  beforeAll(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-dashboard-login-');
    await writeFile(join(ws.root, 'ui-token'), `${uiToken}\n`);
    await writeFile(join(ws.manifests, 'web.yaml'), `${instanceYaml({ name: 'web-1' })}---\n${instanceYaml({ name: 'web-2' })}`);
    const config = loadConfig({
      command: 'run',
      argv: ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--ui-token-file', join(ws.root, 'ui-token')],
      env: {},
      cwd: ws.root,
    });
    app = await createApp(config, 'run', { log: captureLogger('info').log });
    const converged = waitForEvent(app.events, 'revision:converged', undefined, waitMs);
    await app.start();
    await converged;
    url = app.statusUrl()!;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await emu?.close();
    await ws?.cleanup();
  });

  it('sends the browser to the login form; the right token opens the dashboard, which lists the instances live', async () => {
    const { page, errors } = await pageWithErrors(browser);
    try {
      await page.goto(`${url}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.fill('#ui-token', uiToken);
      await Promise.all([page.waitForURL(`${url}/`, { timeout: waitMs }), page.click('#login-send')]);
      await page.locator('#instances tbody tr:nth-child(2)').waitFor({ timeout: waitMs });
      const names = await Promise.all((await page.locator('#instances tbody tr').all()).map((tr) => tr.getAttribute('data-name')));
      expect(names).toEqual(['web-1', 'web-2']);
      // the event stream goes through with the cookie too
      await page.locator('#live', { hasText: /live/ }).first().waitFor({ timeout: waitMs });
      expect((await page.context().cookies()).map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([['rr_ui', true, 'Strict']]);
      expect(await page.content()).not.toContain(uiToken);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

browserDescribe('the web dashboard of a daemon of two environments, in Chromium', () => {
  let daemon: EnvironmentsDaemon;
  let browser: Browser;

  beforeAll(async () => {
    daemon = await startEnvironmentsDaemon('rr-dashboard-envs-', waitMs * 3);
    browser = await launchBrowser();
  }, waitMs * 5);

  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
  });

  const names = async (page: Page) => (await Promise.all((await page.locator('#instances tbody tr').all()).map((tr) => tr.getAttribute('data-name')))).sort();
  const until = (page: Page, selector: string, hasText?: RegExp) => page.locator(selector, hasText === undefined ? {} : { hasText }).first().waitFor({ timeout: waitMs });

  it('summarises every environment, shows the first, and switches with the select; the hash keeps the choice', async () => {
    const { page, errors } = await pageWithErrors(browser);
    try {
      await page.goto(`${daemon.url}/`);
      await until(page, '#env-table tbody tr[data-environment="prod"]');
      await until(page, '#instances tbody tr[data-name="dev-web"]');
      expect(await page.locator('#env-switch').isVisible()).toBe(true);
      expect(await page.getByLabel('Environment', { exact: true }).inputValue()).toBe('dev');
      expect(await page.locator('#env-select option').allTextContents()).toEqual(['dev', 'prod']);
      const summary = async (name: string) => page.locator(`#env-table tbody tr[data-environment="${name}"] > *`).allTextContents();
      expect(await summary('dev')).toEqual(['dev', 'ready', '1', 'in-sync 1', 'ok']);
      expect(await summary('prod')).toEqual(['prod', 'ready', '2', 'in-sync 2', 'ok']);
      expect(await page.locator('#env-table tr[aria-current="true"]').getAttribute('data-environment')).toBe('dev');
      expect(await names(page)).toEqual(['dev-web']);

      await page.getByLabel('Environment', { exact: true }).selectOption('prod');
      await until(page, '#instances tbody tr[data-name="prod-api"]');
      expect(await names(page)).toEqual(['prod-api', 'prod-web']);
      expect(new URL(page.url()).hash).toBe('#env=prod');
      expect(await page.locator('#counts').textContent()).toContain('in-sync 2');
      // the events panel is the chosen environment's only
      await until(page, '#event-list .key', /prod-/);
      expect(await page.locator('#event-list').textContent()).not.toContain('dev-web');

      // a summary row's name is a link to its environment
      await page.getByRole('link', { name: 'show environment dev' }).click();
      await until(page, '#instances tbody tr[data-name="dev-web"]');
      expect(new URL(page.url()).hash).toBe('#env=dev');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('opens the environment a link names', async () => {
    const { page, errors } = await pageWithErrors(browser);
    try {
      await page.goto(`${daemon.url}/#env=prod`);
      await until(page, '#instances tbody tr[data-name="prod-web"]');
      expect(await names(page)).toEqual(['prod-api', 'prod-web']);
      expect(await page.getByLabel('Environment', { exact: true }).inputValue()).toBe('prod');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
