/**
 * `startup`: from spawning `run` to its `/readyz` answering 200, with 10,000 managed instances (an
 * inventory and an emulator holding them, made by one `apply` first) and 10,000 manifest files (one
 * instance each). Three restarts; the figure is their median. `/readyz` is the daemon's own server,
 * polled every 20 ms from the bench (the emulator never sees it).
 */
import { emulatorClient, startEmulatorProcess } from '../lib/emulator-process.mjs';
import { spawnCli } from '../lib/cli-process.mjs';
import { atMost, figure, percentile } from '../lib/figures.mjs';
import { makeWorkspace, names, writeTree } from '../lib/workspace.mjs';

const restarts = 3;

/** Spawns `run` and resolves with the ms from spawn to the first 200 of /readyz; stops it (SIGTERM) after. */
async function timeToReady(emuUrl, ws) {
  const started = performance.now();
  const cli = spawnCli(['run', '--url', emuUrl, '--manifests', ws.manifests, '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--qps', '2000', '--log-level', 'info'], { cwd: ws.root });
  try {
    const served = await cli.waitForLine((entry) => entry.msg === 'status and metrics served', 60_000);
    const readyz = served.health.replace(/\/healthz$/, '/readyz');
    for (;;) {
      const status = await fetch(readyz).then((res) => res.status, () => 0);
      if (status === 200) return { ms: performance.now() - started, servedMs: served.time === undefined ? NaN : Date.parse(served.time) };
      if (performance.now() - started > 120_000) throw new Error(`not ready within 120 s: ${cli.output().slice(-1000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    cli.child.kill('SIGTERM');
    await cli.exited;
  }
}

export async function runStartup({ quick }) {
  const count = quick ? 1000 : 10_000;
  const emu = await startEmulatorProcess(['--transition-ms', '0', '--log-level', 'warn']);
  const ws = await makeWorkspace();
  try {
    await writeTree(ws.manifests, names('app', count), { perFile: 1 });
    const apply = spawnCli(['apply', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--qps', '2000', '--concurrency', '32', '--log-level', 'warn', '--timeout', '600'], { cwd: ws.root });
    const code = await apply.exited;
    if (code !== 0) throw new Error(`setup apply exited ${code}: ${apply.output().slice(-1000)}`);
    const running = (await emulatorClient(emu.url).listAll()).filter((c) => c.state === 'running').length;
    const times = [];
    for (let i = 0; i < restarts; i++) times.push((await timeToReady(emu.url, ws)).ms);
    const p50 = percentile(times, 50) / 1000;
    return {
      figures: [
        atMost(`startup with ${count} managed instances and ${count} files: process start to /readyz 200 (median of ${restarts})`, p50, 's', 3,
          `${times.map((t) => (t / 1000).toFixed(2)).join(' / ')} s; ${running} running, one instance per file`),
        figure(`startup with ${count}: slowest of ${restarts}`, Math.max(...times) / 1000, 's'),
      ],
    };
  } finally {
    await emu.stop();
    await ws.cleanup();
  }
}
