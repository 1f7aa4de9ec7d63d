/**
 * `converge` and `converge-polling`: N new instances with `apply` (child process) against the emulator (own
 * process) capped at 200 req/s (429 + Retry-After above it), transitions of 100 ms. Wall time is measured
 * from spawning `apply` to its exit (process start-up, first list and the last instance seen running
 * included). 429s = the emulator's logged answers with status 429 (a websocket upgrade is counted as a request but
 * never logged as served, so `counted - served` would report it as a 429).
 */
import { emulatorClient, mutationsOf, readsOf, startEmulatorProcess } from '../lib/emulator-process.mjs';
import { spawnCli } from '../lib/cli-process.mjs';
import { atMost, exactly, figure } from '../lib/figures.mjs';
import { makeWorkspace, names, writeTree } from '../lib/workspace.mjs';
import { rssOf } from '../lib/proc-stats.mjs';

const defaultRps = 200;

/** Samples the peak RSS (VmHWM) of `pid` until `done` settles; the last sample is the peak up to ~250 ms before exit. */
function peakRssWhile(pid, done) {
  let peakMb = NaN;
  const sample = () => {
    const { peakMb: now } = rssOf(pid);
    if (!Number.isNaN(now)) peakMb = Number.isNaN(peakMb) ? now : Math.max(peakMb, now);
  };
  const timer = setInterval(sample, 250);
  return done.then(() => {
    clearInterval(timer);
    return peakMb;
  });
}

/** Runs one converge at `capRps`; `polling` refuses the event stream (fault `rejectSubscriptions`). */
export async function converge({ count, polling, concurrency = 16, capRps = defaultRps }) {
  const emu = await startEmulatorProcess(['--transition-ms', '100', '--rate-limit', String(capRps), '--log-level', 'debug'], { keepLog: true });
  const api = emulatorClient(emu.url);
  const ws = await makeWorkspace();
  try {
    await writeTree(ws.manifests, names('app', count));
    if (polling) await api.setFaults({ rateLimit: { rps: capRps }, rejectSubscriptions: true });
    const started = performance.now();
    const cli = spawnCli(['apply', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', String(capRps), '--concurrency', String(concurrency), '--log-level', 'warn', '--timeout', '300'], { cwd: ws.root });
    const peakRssMb = peakRssWhile(cli.child.pid, cli.exited);
    const code = await cli.exited;
    const wallMs = performance.now() - started;
    const counters = await api.counters();
    const served = emu.takeRequestLog();
    await api.setFaults({});
    const live = (await api.listAll()).filter((c) => c.removed == null);
    const perName = new Map();
    for (const c of live) perName.set(c.name, (perName.get(c.name) ?? 0) + 1);
    const duplicates = [...perName.values()].filter((n) => n > 1).length;
    const running = live.filter((c) => c.state === 'running').length;
    return { code, wallMs, peakRssMb: await peakRssMb, capRps, counters, served: served.length, throttled: served.filter((entry) => entry.status === 429).length, mutationSpanMs: mutationSpan(served), live: live.length, running, duplicates, output: cli.output() };
  } finally {
    await emu.stop();
    await ws.cleanup();
  }
}

/** Time from the first to the last successful mutating request the emulator answered (its own clock). */
function mutationSpan(served) {
  const times = served.filter((entry) => entry.method !== 'GET' && entry.status < 400).map((entry) => entry.time);
  return times.length < 2 ? 0 : Math.max(...times) - Math.min(...times);
}

/** Figures of one converge run against the targets of issue 7. */
export function convergeFigures(result, count, label, { comparison = false } = {}) {
  const { capRps } = result;
  const idealS = count / capRps;
  const wallS = result.wallMs / 1000;
  const notes = result.code === 0 ? '' : `apply exited ${result.code}: ${result.output.slice(-300)}`;
  const wallName = `${label}: wall time (ideal ${idealS} s = ${count} mutations / ${capRps} rps)`;
  const wallNote = `${(wallS / idealS).toFixed(2)} x ideal`;
  const requestsName = `${label}: requests per converged instance`;
  const requestsNote = `${result.counters.total} requests: ${mutationsOf(result.counters)} mutating, ${readsOf(result.counters)} GET (incl. refused)`;
  // The polling run is the comparison ("to show what it saves"): its time and requests have no target.
  const perInstance = result.counters.total / count;
  return [
    figure(`${label}: apply exit code / instances running / duplicates`, `${result.code} / ${result.running} / ${result.duplicates}`, '', { target: `0 / ${count} / 0`, pass: result.code === 0 && result.running === count && result.duplicates === 0, note: notes }),
    comparison ? figure(wallName, wallS, 's', { note: `${wallNote}; comparison run, no target` }) : atMost(wallName, wallS, 's', idealS * 1.1, wallNote, { contendedRatio: 2.5 }),
    comparison ? figure(requestsName, perInstance, '', { note: `${requestsNote}; comparison run, no target` }) : atMost(requestsName, perInstance, '', 1.1, requestsNote),
    exactly(`${label}: 429 answers with --qps ${capRps}`, result.throttled, '', 0),
    figure(`${label}: first to last mutation (the rate-bound phase)`, result.mutationSpanMs / 1000, 's', {
      note: `${((result.mutationSpanMs / 1000) / idealS).toFixed(2)} x ideal; the rest of the wall time is process start, the first list and the last instances' transitions`,
    }),
    figure(`${label}: apply peak RSS`, result.peakRssMb, 'MB', { note: 'VmHWM of the apply process, sampled every 250 ms' }),
  ];
}

/** The `converge` scenario (event stream on). */
export async function runConverge({ quick }) {
  const count = quick ? 200 : 1000;
  const result = await converge({ count, polling: false });
  return { figures: convergeFigures(result, count, `converge ${count}`), raw: { ...result, output: undefined } };
}

/** `converge-10k`: 10,000 new instances at 500 rps (issue 17: within 1.10 x ideal, peak RSS reported). */
export async function runConverge10k({ quick }) {
  const count = quick ? 2000 : 10_000;
  const result = await converge({ count, polling: false, capRps: 500, concurrency: 32 });
  return { figures: convergeFigures(result, count, `converge ${count} at 500 rps`), raw: { ...result, output: undefined } };
}

/** The `converge-polling` scenario (event stream refused: the polling fallback). */
export async function runConvergePolling({ quick }) {
  const count = quick ? 200 : 1000;
  const result = await converge({ count, polling: true });
  return { figures: convergeFigures(result, count, `converge ${count}, no event stream`, { comparison: true }), raw: { ...result, output: undefined } };
}
