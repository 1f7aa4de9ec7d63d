/**
 * Notifications in a real daemon (run mode, in-process, against the emulator over HTTP): the config
 * file's `notifications` section builds a notifier that hears the event history, and a create is
 * posted to a local webhook receiver; the metrics show the provider by name.
 */
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import { startTestEmulator } from '../../helpers/emulator.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { until } from '../../helpers/until.js';
import { instanceYaml, makeWorkspace } from '../../helpers/manifest-tree.js';
import { Receiver } from './receiver.js';

let emu: EmulatorHandle;
let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let receiver: Receiver;
let app: App | undefined;

beforeEach(async () => {
  emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
  ws = await makeWorkspace('rr-notify-');
  receiver = await Receiver.start([200]);
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
  await receiver.close();
  await emu.close();
  await ws.cleanup();
});

it('posts the events a provider asks for to its receiver and counts them by provider name', async () => {
  await writeFile(join(ws.root, 'hook-url'), `${receiver.url}/hooks/rr?token=DAEMONTOKEN\n`);
  await writeFile(join(ws.root, 'config.yaml'), [
    'notifications:',
    '  - name: ci-hook',
    '    kind: webhook',
    '    urlFile: hook-url',
    '    minSeverity: info',
    '    kinds: [action-succeeded]',
    '',
  ].join('\n'));
  await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', description: 'one' }));
  const config = loadConfig({
    command: 'run',
    argv: ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--qps', '500', '--config', join(ws.root, 'config.yaml')],
    env: {},
    cwd: ws.root,
  });
  const { log, sink } = captureLogger('debug');
  app = await createApp(config, 'run', { log });
  await app.start();

  const [request] = await receiver.waitForRequests(1, 30_000);
  expect(request!.path).toBe('/hooks/rr?token=DAEMONTOKEN');
  expect(JSON.parse(request!.body)).toMatchObject({ kind: 'action-succeeded', key: 'web-1', action: 'create', source: 'rancher-reconciler' });

  // notifications belong to the daemon, not to an environment: counted on the process metrics of /metrics,
  // as `sent` once the receiver's answer is in (just after it got the request)
  const sent = (text: string): number => Number(/rancher_reconciler_notifications_total\{provider="ci-hook",result="sent"\} (\d+)/.exec(text)?.[1] ?? 0);
  const metrics = await until(async () => (await fetch(`${app!.statusUrl()!}/metrics`)).text(), (text) => sent(text) >= 1, 30_000);
  expect(metrics).toContain('rancher_reconciler_notifications_total{provider="ci-hook",result="dropped"} 0');
  await app.stop();
  expect(sink.text).not.toContain('DAEMONTOKEN');
  expect(sink.lines.find((l) => l.msg === 'notifications started')).toMatchObject({ component: 'notify', providers: 'ci-hook' });
});
