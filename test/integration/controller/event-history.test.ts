/**
 * The event history of a real daemon (run mode, in-process, against the emulator over HTTP): a manifest
 * change shows in GET /events as revision-seen, action-succeeded and revision-converged, in /status per
 * instance, and live on /events/stream.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import type { EmulatorHandle } from '../../../src/emulator/emulator.js';
import type { ReconcilerEvent } from '../../../src/observability/event-model.js';
import { get, startTestEmulator } from '../../helpers/emulator.js';
import { waitForEvent } from '../../helpers/events.js';
import { captureLogger } from '../../helpers/log-sink.js';
import { instanceYaml, makeWorkspace } from '../../helpers/manifest-tree.js';

/** Resolves with the first journal event `predicate` accepts, recorded from now on; rejects after `timeoutMs`. */
function nextEvent(app: App, predicate: (e: ReconcilerEvent) => boolean, timeoutMs = 20_000): Promise<ReconcilerEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = app.journal.subscribe((e) => {
      if (!predicate(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

describe('the event history of a running daemon', () => {
  let emu: EmulatorHandle;
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let app: App | undefined;

  beforeEach(async () => {
    emu = await startTestEmulator({ transitionMs: 10, eventCoalesceMs: 10 });
    ws = await makeWorkspace('rr-events-');
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', description: 'one' }));
    const config = loadConfig({
      command: 'run',
      argv: ['--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--qps', '500', '--events-history', '500'],
      env: {},
      cwd: ws.root,
    });
    app = await createApp(config, 'run', { log: captureLogger('info').log });
    const converged = waitForEvent(app.events, 'revision:converged', () => true, 30_000);
    await app.start();
    await converged;
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await emu.close();
    await ws.cleanup();
  });

  it('records a manifest change as revision-seen, action-succeeded and revision-converged, and shows it in /status', async () => {
    const url = app!.statusUrl()!;
    const before = (await get(`${url}/events`)).body.events as ReconcilerEvent[];
    expect(before.map((e) => e.kind)).toEqual(expect.arrayContaining(['revision-seen', 'revision-applied', 'action-succeeded', 'revision-converged']));
    const lastId = before.at(-1)!.id;

    const converged = nextEvent(app!, (e) => e.kind === 'revision-converged');
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', description: 'two' }));
    const done = await converged;

    const events = ((await get(`${url}/events`)).body.events as ReconcilerEvent[]).filter((e) => e.id > lastId);
    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe('revision-seen');
    expect(kinds).toContain('action-succeeded');
    expect(kinds.at(-1)).toBe('revision-converged');
    const revision = events[0]!.revision;
    expect(revision).not.toBe(before[0]!.revision);
    const update = events.find((e) => e.kind === 'action-succeeded')!;
    expect(update).toMatchObject({ severity: 'info', key: 'web-1', instanceId: expect.stringMatching(/^1i/), action: 'update', reason: 'Updated', revision });
    expect(done).toMatchObject({ revision, durationMs: expect.any(Number), key: null });
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));

    const doc = (await get(`${url}/status/default`)).body;
    const instance = doc.instances.find((i: { name: string }) => i.name === 'web-1');
    expect(instance.events.length).toBeGreaterThan(0);
    expect(instance.events.length).toBeLessThanOrEqual(5);
    expect(instance.events.at(-1)).toEqual({ id: update.id, time: update.time, kind: 'action-succeeded', severity: 'info', reason: 'Updated', message: update.message });

    const onlyWeb = ((await get(`${url}/events?key=web-1&kind=action-succeeded`)).body.events as ReconcilerEvent[]);
    expect(onlyWeb.every((e) => e.key === 'web-1' && e.kind === 'action-succeeded')).toBe(true);
    expect(onlyWeb.at(-1)!.id).toBe(update.id);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/rancher_reconciler_events_total\{kind="revision-converged",severity="info",environment="default"\} 2/);
  });

  it('streams the events of a manifest change live', async () => {
    const url = app!.statusUrl()!;
    const controller = new AbortController();
    const res = await fetch(`${url}/events/stream?kind=revision-seen,revision-converged`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (done: () => boolean): Promise<void> => {
      while (!done()) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error(`stream ended: ${text}`);
        text += decoder.decode(chunk.value, { stream: true });
      }
    };
    await readUntil(() => text.includes(': connected'));
    await writeFile(join(ws.manifests, 'a.yaml'), instanceYaml({ name: 'web-1', description: 'three' }));
    await readUntil(() => text.includes('event: revision-converged'));
    controller.abort();
    const kinds = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(kinds).toEqual(['revision-seen', 'revision-converged']);
  });
});
