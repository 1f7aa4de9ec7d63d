/**
 * `environments` (issue 15): 10 environments x 1,000 new instances managed by ONE `run --config FILE`
 * daemon, each environment with its own emulator process (own rate limit, own counters). Three phases,
 * each with fresh emulators, manifests and state dir:
 * - `alone`: the same daemon with one environment of 1,000 (the baseline);
 * - `quiet`: all 10 environments; their emulators have no rate limit (cattle has none);
 * - `storm`: the same, but environment 0's emulator answers 429 above `stormRps` (10 x below its qps)
 *   for the whole phase, and the phase ends when the 9 quiet ones have converged.
 *
 * Converge time per environment is the `durationMs` of the daemon's `revision converged` line for it:
 * from the first read of that environment's manifests to every instance in sync (the daemon's own
 * clock; nothing polls the daemon, so the bench adds no load to it). The wall time from spawning the
 * daemon to that line is in the notes. Peak RSS is the daemon's VmHWM; CPU is its utime + stime from
 * /proc, over the converge and over `steadyS` seconds after it, with `resync` equal to the window so
 * each environment re-lists once in it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnCli } from '../lib/cli-process.mjs';
import { startEmulatorProcess } from '../lib/emulator-process.mjs';
import { atMost, exactly, figure, format, percentile } from '../lib/figures.mjs';
import { busyCores, cpuSecondsOf, loadAverage, machineCpu, rssOf } from '../lib/proc-stats.mjs';
import { makeWorkspace, names, writeTree } from '../lib/workspace.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const envName = (i) => `env-${String(i).padStart(2, '0')}`;

/** The sizes of a run: `quick` is a smoke test (3 x 200), not a measurement. */
function sizes(quick) {
  // qps 10: converging costs the daemon ~5 ms of CPU per instance on one event loop (the figure below),
  // so 10 x 50 qps would need ~2.5 cores of a 2-core machine; 10 x 10 needs ~0.5
  return { envs: quick ? 3 : 10, count: quick ? 200 : 1000, qps: 10, stormRps: 1, steadyS: quick ? 5 : 30 };
}

/** `config.yaml` for `envs` environments, one folder and one emulator each. */
function configYaml(urls, { qps, steadyS }) {
  const lines = [`qps: ${qps}`, `resync: ${steadyS}`, 'environments:'];
  urls.forEach((url, i) => lines.push(`  - name: ${envName(i)}`, `    url: ${url}`, `    manifests: envs/${envName(i)}`));
  return `${lines.join('\n')}\n`;
}

/**
 * One phase: `envs` emulators (the one at `stormIndex` capped at `stormRps`, the others at `qps`), the
 * daemon over all of them, until every environment but the storm's has converged; then, unless there is
 * a storm, `steadyS` seconds of steady state. Stops every process it started, whatever happens.
 */
async function phase({ envs, count, qps, stormRps, steadyS, stormIndex = -1 }) {
  const ws = await makeWorkspace('rr-bench-envs-');
  const emulators = [];
  let cli;
  try {
    emulators.push(...await Promise.all(Array.from({ length: envs }, (_, i) =>
      // only the storm's emulator has a cap: cattle itself has none, and a quiet one's 429 would pause it
      startEmulatorProcess(['--transition-ms', '100', ...(i === stormIndex ? ['--rate-limit', String(stormRps)] : []), '--log-level', 'warn']))));
    for (let i = 0; i < envs; i++) {
      const dir = join(ws.root, 'envs', envName(i));
      await mkdir(dir, { recursive: true });
      await writeTree(dir, names('app', count));
    }
    const config = join(ws.root, 'config.yaml');
    await writeFile(config, configYaml(emulators.map((e) => e.url), { qps, steadyS }));
    const converged = new Map();
    let resyncs = 0;
    const cpuBefore = machineCpu();
    const emulatorCpuBefore = emulators.map((e) => cpuSecondsOf(e.child.pid));
    const spawnedAt = Date.now();
    cli = spawnCli(['run', '--config', config, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--log-level', 'info'], { cwd: ws.root, onLine: (e) => {
      if (e.msg === 'revision converged' && !converged.has(e.environment)) converged.set(e.environment, { durationMs: e.durationMs, wallMs: Date.parse(e.time) - spawnedAt });
      else if (e.msg === 'resync') resyncs += 1;
    } });
    const served = await cli.waitForLine((e) => e.msg === 'status and metrics served', 60_000);
    const quiet = Array.from({ length: envs }, (_, i) => envName(i)).filter((_, i) => i !== stormIndex);
    const deadline = Date.now() + 600_000;
    while (quiet.some((name) => !converged.has(name))) {
      if (Date.now() > deadline) throw new Error(`not converged within 600 s: ${quiet.filter((n) => !converged.has(n)).join(', ')}; output tail:\n${cli.output().slice(-2000)}`);
      if (cli.child.exitCode !== null) throw new Error(`daemon exited ${cli.child.exitCode}: ${cli.output().slice(-2000)}`);
      await sleep(100);
    }
    const convergeS = (performance.now() - cpuBefore.atMs) / 1000;
    const during = {
      seconds: convergeS,
      machineCores: busyCores(cpuBefore, machineCpu()),
      daemonCpuS: cpuSecondsOf(cli.child.pid),
      emulatorsCpuS: emulators.reduce((sum, e, i) => sum + cpuSecondsOf(e.child.pid) - (emulatorCpuBefore[i] ?? 0), 0),
      load: loadAverage(),
    };
    during.loopLag = await eventLoopLag(new URL(served.metrics));
    // the status document confirms what the log line says, and counts the storm's progress
    const summaries = new Map();
    for (let i = 0; i < envs; i++) summaries.set(envName(i), (await (await fetch(`${served.status}/${envName(i)}`)).json()).summary);
    const steady = stormIndex < 0 ? await measureSteady(cli.child.pid, steadyS, () => resyncs) : undefined;
    const requests = await Promise.all(emulators.map((e) => requestFacts(e.origin)));
    return { converged, summaries, during, steady, requests, rss: rssOf(cli.child.pid) };
  } finally {
    await cli?.stop();
    await Promise.allSettled(emulators.map((e) => e.stop()));
    await ws.cleanup();
  }
}

/**
 * From an emulator's request log (`GET /_emulator/requests`: every API request with the status it was
 * answered, faults included; the `request served` log line misses the fault plan's 429s): the 429s, the
 * requests in all, and the first-to-last span of its successful creates (the rate-bound phase).
 */
async function requestFacts(origin) {
  const entries = await (await fetch(`${origin}/_emulator/requests`)).json();
  const creates = entries.filter((r) => r.method === 'POST' && r.path === '/v1/containers' && r.action === null && r.status === 201).map((r) => r.at);
  const createSpanS = creates.length < 2 ? NaN : (Math.max(...creates) - Math.min(...creates)) / 1000;
  return { throttled: entries.filter((r) => r.status === 429).length, total: entries.length, creates: creates.length, createSpanS, peakRps: peakPerSecond(entries.map((r) => r.at)) };
}

/** The most arrivals in any 1 s window (times in ms). */
function peakPerSecond(times) {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= 1000) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/** The daemon's event-loop delay since its start (prom-client's default metrics): mean and p99, in ms. */
async function eventLoopLag(metricsUrl) {
  const text = await (await fetch(metricsUrl)).text();
  const seconds = (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return { meanMs: seconds('nodejs_eventloop_lag_mean_seconds') * 1000, p99Ms: seconds('nodejs_eventloop_lag_p99_seconds') * 1000 };
}

/** Daemon CPU seconds and resyncs over `seconds` of steady state, after 2 s for the last events to settle. */
async function measureSteady(pid, seconds, resyncCount) {
  await sleep(2000);
  const cpu0 = cpuSecondsOf(pid);
  const resyncs0 = resyncCount();
  const machine0 = machineCpu();
  await sleep(seconds * 1000);
  return { seconds, cpuS: cpuSecondsOf(pid) - cpu0, resyncs: resyncCount() - resyncs0, machineCores: busyCores(machine0, machineCpu()) };
}

/** Converge times of `names` in seconds, in environment order. */
const timesOf = (result, list) => list.map((name) => (result.converged.get(name)?.durationMs ?? NaN) / 1000);

const describeDuring = (d, emulators) => `daemon ${format(d.daemonCpuS / d.seconds)} cores, ${emulators} emulator(s) ${format(d.emulatorsCpuS / d.seconds)} cores, machine ${format(d.machineCores)} of 2 busy, load ${format(d.load)}; daemon event-loop delay mean ${format(d.loopLag.meanMs)} ms, p99 ${format(d.loopLag.p99Ms)} ms`;

/** p50 and max of the quiet environments' create spans (first to last create, the emulator's clock). */
const spans = (result, from) => {
  const list = result.requests.slice(from).map((r) => r.createSpanS);
  return `creates first to last p50 ${format(percentile(list, 50))} s, max ${format(Math.max(...list))} s`;
};

/** Figures of the three phases against the targets of issue 15. */
function environmentsFigures({ alone, quiet, storm }, { envs, count, qps, stormRps, steadyS }) {
  const all = Array.from({ length: envs }, (_, i) => envName(i));
  const aloneS = timesOf(alone, [envName(0)])[0];
  const quietS = timesOf(quiet, all);
  const stormQuietS = timesOf(storm, all.slice(1));
  const label = `${envs} x ${count}`;
  const idealS = count / qps;
  const ratio = (times) => times.map((t) => t / aloneS);
  const ratioNote = (times, result, from) => `per environment p50 ${format(percentile(ratio(times), 50))} x, max ${format(Math.max(...ratio(times)))} x (p50 ${format(percentile(times, 50))} s, max ${format(Math.max(...times))} s; ${spans(result, from)}); during it: ${describeDuring(result.during, envs)}`;
  const stormName = envName(0);
  const stormSummary = storm.summaries.get(stormName);
  const quietThrottled = [...storm.requests.slice(1), ...quiet.requests].reduce((sum, r) => sum + r.throttled, 0);
  const stormFacts = storm.requests[0];
  const quietPeaks = [...storm.requests.slice(1), ...quiet.requests].map((r) => r.peakRps);
  const inSync = (result, list) => list.filter((name) => result.summaries.get(name)?.['in-sync'] === count && result.summaries.get(name)?.total === count).length;
  return [
    exactly(`${label}: environments all in sync per /status (alone + quiet + storm's quiet ones)`, inSync(alone, [envName(0)]) + inSync(quiet, all) + inSync(storm, all.slice(1)), '', 1 + envs + envs - 1),
    figure(`alone, 1 x ${count} at qps ${qps}: converge (first manifest read to all in sync)`, aloneS, 's', {
      note: `ideal ${idealS} s = ${count} creates / ${qps} qps; ${format(alone.converged.get(envName(0))?.wallMs / 1000)} s from spawning the daemon; ${spans(alone, 0)}; during it: ${describeDuring(alone.during, 1)}`,
    }),
    atMost(`${label}, all quiet: converge / alone, max over ${envs} environments`, Math.max(...ratio(quietS)), 'x', 1.1, ratioNote(quietS, quiet, 0)),
    atMost(`${label}, ${stormName} in a 429 storm (${stormRps} rps < qps ${qps}): quiet ones' converge / alone, max over ${envs - 1}`, Math.max(...ratio(stormQuietS)), 'x', 1.1, ratioNote(stormQuietS, storm, 1)),
    figure(`${label}: quiet environments' peak requests in any 1 s (both phases)`, Math.max(...quietPeaks), 'req', {
      note: `--qps ${qps} each; per environment p50 ${format(percentile(quietPeaks, 50))}; their emulators have no rate limit (cattle has none), so ${quietThrottled} 429s; the limiter spaces starts at 98 % of qps, and a late event loop sends the queued ones together`,
    }),
    figure(`${label}: the storm's environment when the quiet ones had converged`, `${stormSummary?.['in-sync'] ?? '?'}/${count} in sync`, '', {
      note: `its emulator answered ${stormFacts.throttled} of ${stormFacts.total} requests with 429 over ${format(storm.during.seconds)} s (${stormRps} rps allows ~${Math.round(stormRps * storm.during.seconds)}); ${stormFacts.creates} creates went through`,
    }),
    figure(`${label}: daemon CPU per converged instance, all quiet`, (quiet.during.daemonCpuS / (envs * count)) * 1000, 'ms', {
      note: `${format(quiet.during.daemonCpuS)} CPU s from spawn to the last in sync; alone: ${format((alone.during.daemonCpuS / count) * 1000)} ms (start-up and the manifest read included); one event loop at 1 core converges at most ~${Math.round(1000 / ((quiet.during.daemonCpuS / (envs * count)) * 1000))} instances/s, against ${envs} x ${qps} = ${envs * qps} asked`,
    }),
    figure(`${label}: daemon peak RSS per environment`, quiet.rss.peakMb / envs, 'MB', {
      note: `VmHWM ${format(quiet.rss.peakMb)} MB / ${envs}; the single-environment daemon (alone): ${format(alone.rss.peakMb)} MB; the storm phase's daemon: ${format(storm.rss.peakMb)} MB`,
    }),
    figure(`${label}: steady-state daemon CPU per 1,000 managed instances`, (quiet.steady.cpuS / quiet.steady.seconds / (envs * count / 1000)) * 100, '% of a core', {
      note: `${format(quiet.steady.cpuS)} CPU s over ${steadyS} s for ${envs * count} instances (resync ${steadyS} s: ${quiet.steady.resyncs} resyncs in the window); alone: ${format((alone.steady.cpuS / alone.steady.seconds) * 100)} % of a core for ${count} (${alone.steady.resyncs} resyncs); machine ${format(quiet.steady.machineCores)} of 2 cores busy`,
    }),
  ];
}

/** The `environments` scenario: alone, all quiet, one storm; one daemon per phase. */
export async function runEnvironments({ quick }) {
  const s = sizes(quick);
  const alone = await phase({ ...s, envs: 1 });
  const quiet = await phase(s);
  const storm = await phase({ ...s, stormIndex: 0 });
  const strip = ({ converged, ...rest }) => ({ ...rest, converged: Object.fromEntries(converged) });
  return { figures: environmentsFigures({ alone, quiet, storm }, s), raw: { sizes: s, alone: strip(alone), quiet: strip(quiet), storm: strip(storm) } };
}
