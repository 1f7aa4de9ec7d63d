/**
 * Scenarios with the `run` daemon as a child process: `drift` (500 of 1,000 stopped behind its back),
 * `steady` (10,000 managed, compressed resyncs) and `latency` (commit-to-first-call over 50 edits).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { emulatorClient, mutationsOf, startEmulatorProcess } from '../lib/emulator-process.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { startListProxy } from '../lib/list-proxy.mjs';
import { atMost, exactly, figure, percentile } from '../lib/figures.mjs';
import { instanceYaml, makeWorkspace, names, writeTree } from '../lib/workspace.mjs';

async function inParallel(items, width, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Creates `keys` directly through the emulator API (running), faster than converging them. */
async function precreate(api, keys) {
  await inParallel(keys, 32, async (name) => {
    const res = await api.post('/containers', { name, description: `d-${name}`, imageUuid: 'docker:nginx:1.25', startOnCreate: true });
    if (res.status !== 201) throw new Error(`pre-create ${name}: ${res.status}`);
  });
}

/** `drift`: 1,000 managed by the daemon; 500 stopped through the emulator API; time and requests to heal. */
export async function runDrift({ quick }) {
  const count = quick ? 200 : 1000;
  const drifted = count / 2;
  const emu = await startEmulatorProcess(['--transition-ms', '100', '--log-level', 'warn']);
  const api = emulatorClient(emu.url);
  const ws = await makeWorkspace();
  let starts = 0;
  let driftLines = 0;
  let daemon;
  try {
    const keys = names('app', count);
    await writeTree(ws.manifests, keys);
    await precreate(api, keys);
    await api.setFaults({ rateLimit: { rps: 200 } });
    daemon = await startDaemon({ url: emu.url, ws, args: ['--qps', '200', '--concurrency', '16', '--log-level', 'info'], onLine: (e) => {
      if (e.msg === 'action succeeded' && e.action === 'start') starts += 1;
      if (e.msg === 'drift detected') driftLines += 1;
    } });
    await daemon.waitInSync(count);
    // the storm: lift the cap for our own calls only while we inject, then put it back
    const victims = (await api.listAll()).filter((c) => c.removed == null).slice(0, drifted);
    await api.setFaults({});
    await api.resetCounters();
    const started = performance.now();
    await inParallel(victims, 32, async (c) => {
      const res = await api.post(`/containers/${c.id}/?action=stop`, {});
      if (res.status !== 202 && res.status !== 200) throw new Error(`stop ${c.id}: ${res.status}`);
    });
    const injectedMs = performance.now() - started;
    await api.setFaults({ rateLimit: { rps: 200 } });
    // healed: every start issued and every instance back in sync (the daemon's own /status, not counted)
    const deadline = Date.now() + 120_000;
    while (starts < drifted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await daemon.waitInSync(count, 120_000, 50);
    const healMs = performance.now() - started;
    const counters = await api.counters();
    const ours = counters['POST /v1/containers/:id?action=stop'] ?? 0;
    const requests = counters.total - ours;
    const running = (await api.listAll()).filter((c) => c.removed == null && c.state === 'running').length;
    return {
      figures: [
        figure(`drift ${drifted} of ${count}: all running again`, `${running}/${count}`, '', { target: `${count}/${count}`, pass: running === count }),
        figure(`drift ${drifted} of ${count}: time to heal (from the first injected stop)`, healMs / 1000, 's', { contendedRatio: 2.5, note: `injection itself took ${(injectedMs / 1000).toFixed(2)} s; ideal at 200 rps: ${drifted / 200} s` }),
        atMost(`drift ${drifted} of ${count}: requests to heal per drifted instance`, requests / drifted, '', 1.1, `${requests} requests (${mutationsOf(counters) - ours} mutating), ${starts} starts, ${driftLines} 'drift detected' lines`),
      ],
      raw: { counters, healMs, injectedMs, starts, driftLines },
    };
  } finally {
    await daemon?.cli.stop();
    await emu.stop();
    await ws.cleanup();
  }
}

/**
 * `steady`: 10,000 managed, `--resync 1` for N seconds: zero mutations; list pages per live-cache re-list.
 * `--resync` drives two timers: the controller's enqueue-all (its `resync` log line, every period) and the
 * live cache's full re-list (every period from the start of the previous list, back to back when a list
 * takes longer than that). The re-lists are counted at a proxy in front of the emulator (first pages have
 * no `marker`); pages per re-list are taken over the complete ones (a re-list that started in the window
 * and was followed by another).
 */
export async function runSteady({ quick }) {
  const count = quick ? 2000 : 10_000;
  const seconds = quick ? 5 : 30;
  const emu = await startEmulatorProcess(['--transition-ms', '100', '--log-level', 'warn']);
  const api = emulatorClient(emu.url);
  const proxy = await startListProxy(emu.url);
  const ws = await makeWorkspace();
  let resyncs = 0;
  let daemon;
  try {
    const keys = names('app', count);
    await writeTree(ws.manifests, keys, { perFile: 100 });
    await precreate(api, keys);
    daemon = await startDaemon({ url: proxy.url, ws, args: ['--resync', '1', '--qps', '200', '--concurrency', '16', '--log-level', 'info'], onLine: (e) => {
      if (e.msg === 'resync') resyncs += 1;
    } });
    await daemon.waitInSync(count, 180_000, 250);
    await new Promise((r) => setTimeout(r, 1500)); // let adoption writes and the first resync settle
    await api.resetCounters();
    proxy.count(true);
    const resyncsBefore = resyncs;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const counters = await api.counters();
    const elapsedS = (performance.now() - t0) / 1000;
    const observed = resyncs - resyncsBefore;
    const started = proxy.chains.length;
    // the re-list running at the end is complete once the next one starts (at most 60 s more)
    const deadline = performance.now() + 60_000;
    while (proxy.chains.length === started && started > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    proxy.count(false);
    const complete = proxy.chains.slice(0, started).filter((_, i) => i + 1 < proxy.chains.length);
    const pages = complete.map((c) => c.pages);
    const perRelist = pages.length > 0 ? pages.reduce((a, b) => a + b, 0) / pages.length : NaN;
    const periods = complete.map((c, i) => proxy.chains[i + 1].at - c.at);
    const lists = counters['GET /v1/containers'] ?? 0;
    const pagesOfFullList = Math.ceil(count / 1000); // the emulator's largest page is 1000 (Rancher's limit cap)
    return {
      figures: [
        exactly(`steady ${count}: mutations during ${seconds} s of --resync 1`, mutationsOf(counters), '', 0),
        figure(`steady ${count}: controller resyncs observed`, observed, '', { note: `${elapsedS.toFixed(1)} s; enqueue-all \`resync\` log lines; the issue's 5 minutes at --resync 10` }),
        figure(`steady ${count}: live-cache re-lists started`, started, '', { note: `${lists} GET /v1/containers in the window, ${counters.total} requests in all; mean re-list period ${periods.length > 0 ? (periods.reduce((a, b) => a + b, 0) / periods.length / 1000).toFixed(1) : '?'} s (--resync 1: back to back when a list takes longer)` }),
        figure(`steady ${count}: list requests per re-list`, perRelist, '', { target: `= ${pagesOfFullList} (pages of the full list)`, pass: pages.length > 0 && Math.abs(perRelist - pagesOfFullList) < 0.5, note: `over ${pages.length} complete re-list(s): ${pages.join(', ') || 'none'} pages${proxy.otherLists() > 0 ? `; ${proxy.otherLists()} other list requests (pages of the re-list running when the window opened)` : ''}` }),
      ],
      raw: { counters, resyncs: observed, relists: started, pagesPerRelist: pages, relistPeriodsMs: periods.map(Math.round), elapsedS },
    };
  } finally {
    await daemon?.cli.stop();
    await proxy.stop();
    await emu.stop();
    await ws.cleanup();
  }
}

/**
 * `latency`: 50 one-file edits (a description) to a running daemon. Latency = the emulator's log time of the
 * first mutating request after the edit minus the wall-clock time just before the file write (both processes
 * read the same system clock). Cross-check: the daemon's `action succeeded` time minus its durationMs.
 */
export async function runLatency({ quick }) {
  const edits = quick ? 10 : 50;
  const emu = await startEmulatorProcess(['--transition-ms', '100', '--log-level', 'debug'], { keepLog: true });
  const api = emulatorClient(emu.url);
  const ws = await makeWorkspace();
  let daemon;
  const succeeded = [];
  try {
    const keys = names('app', 50);
    await writeTree(ws.manifests, keys, { perFile: 1 });
    daemon = await startDaemon({ url: emu.url, ws, args: ['--qps', '200', '--log-level', 'info'], onLine: (e) => {
      if (e.msg === 'action succeeded' && e.action === 'update') succeeded.push(e);
    } });
    await daemon.waitInSync(50);
    await new Promise((r) => setTimeout(r, 500));
    emu.takeRequestLog();
    const byEmulator = [];
    const byDaemon = [];
    for (let i = 0; i < edits; i++) {
      const name = keys[i % keys.length];
      const file = join(ws.manifests, `group-${String(i % keys.length).padStart(5, '0')}.yaml`);
      const seen = succeeded.length;
      const writtenAt = Date.now();
      await writeFile(file, instanceYaml({ name, description: `edit-${i}` }));
      const deadline = Date.now() + 10_000;
      let first;
      while (!first && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        first = emu.takeRequestLog().find((r) => r.method === 'PUT' || r.method === 'POST');
      }
      if (!first) throw new Error(`edit ${i}: no mutating request within 10 s`);
      byEmulator.push(first.time - writtenAt);
      while (succeeded.length === seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const line = succeeded[seen];
      if (line) byDaemon.push(Date.parse(line.time) - line.durationMs - writtenAt);
      await new Promise((r) => setTimeout(r, 150)); // let the update settle before the next edit
      emu.takeRequestLog();
    }
    const p50 = percentile(byEmulator, 50);
    return {
      figures: [
        atMost(`commit-to-first-call, p50 over ${edits} edits`, p50, 'ms', 300, `daemon-side cross-check p50 ${percentile(byDaemon, 50)} ms; default watcher debounce 200 ms`),
        figure(`commit-to-first-call, p99 over ${edits} edits`, percentile(byEmulator, 99), 'ms', { note: `min ${Math.min(...byEmulator)} ms, max ${Math.max(...byEmulator)} ms` }),
      ],
      raw: { byEmulator, byDaemon },
    };
  } finally {
    await daemon?.cli.stop();
    await emu.stop();
    await ws.cleanup();
  }
}
