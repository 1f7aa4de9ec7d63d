/** Running `rancher-reconciler run` as a child process and reading its /status. */
import { spawnCli } from './cli-process.mjs';

/**
 * Starts the daemon against `url` on a free status port; resolves once `status and metrics served` is
 * logged, with `{ cli, statusUrl, status(), waitInSync(count, ms) }`. `source` names the manifests:
 * the workspace folder by default, or e.g. `['--git-url', url]` for the git source.
 */
export async function startDaemon({ url, ws, args = [], onLine, source = ['--manifests', ws.manifests], startTimeoutMs = 30_000 }) {
  const cli = spawnCli(['run', '--url', url, ...source, '--state-dir', ws.state, '--listen', '127.0.0.1:0', ...args], { cwd: ws.root, onLine });
  const served = await cli.waitForLine((e) => e.msg === 'status and metrics served', startTimeoutMs);
  const statusUrl = served.status;
  // the flags define one environment, `default`: its document is `/status/default`
  const status = async () => (await fetch(`${statusUrl}/default`)).json();
  return {
    cli,
    statusUrl,
    status,
    /** Polls /status (the daemon's own server: never counted by the emulator) until `count` instances are in sync. */
    async waitInSync(count, timeoutMs = 120_000, intervalMs = 100) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const doc = await status();
        if (doc.summary?.['in-sync'] === count && doc.summary?.total === count) return doc;
        if (Date.now() > deadline) throw new Error(`not ${count} in sync within ${timeoutMs} ms: ${JSON.stringify(doc.summary)}; output tail:\n${cli.output().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    },
  };
}
