import { Command } from 'commander';
import { parseEmulatorFlags, type EmulatorFlags } from '../emulator/cli-options.js';
import { startEmulator } from '../emulator/emulator.js';
import { createLogger } from '../logger.js';
import { exitCodes, type CliContext } from './context.js';

/**
 * `rancher-reconciler emulator`: serves the Rancher v1 API emulator. When ready it prints exactly one
 * stdout line, the base URL `http://HOST:PORT/v1`; logs (pino JSON) go to stderr. On the first
 * SIGTERM/SIGINT it closes websockets, connections and the server, saves the `--data` file, then exits 0.
 * Bad flags throw a ConfigError listing every problem (exit 1); an unreadable or corrupt data file fails
 * the start with one `error:` line naming the file (exit 1). Flags after `--transition-ms` are emulator
 * extensions.
 */
export function emulatorCommand(ctx: CliContext): Command {
  return new Command('emulator')
    .description('serve the Rancher v1 API emulator (prints its base URL, then runs until SIGTERM)')
    .option('--port <port>', 'listen port, 0 = any free port', '0')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--access-key <key>', 'turn access control on with this API access key (needs --secret-key)')
    .option('--secret-key <key>', 'API secret key (needs --access-key)')
    .option('--hosts <n>', 'number of simulated hosts', '1')
    .option('--transition-ms <ms>', 'duration of each transitioning state', '250')
    .option('--coalesce-ms <ms>', 'extension: resource.change coalescing window (real Rancher: 1000)')
    .option('--ping-interval-ms <ms>', 'extension: websocket ping interval (real Rancher: 5000)')
    .option('--purge-delay-ms <ms>', 'extension: delay from removed to purged (real: random 0-600 s)')
    .option('--projects <ids>', 'extension: comma-separated project ids, the first is the default (default 1a5)')
    .option('--rate-limit <rps>', 'extension: answer 429 with Retry-After above this many requests per second')
    .option('--fail-rate <ratio>', 'extension: answer 503 to this fraction of API requests (0..1)')
    .option('--fail-start-images <list>', 'extension: comma-separated imageUuid values whose start fails')
    .option('--health-images <list>', 'extension: comma-separated imageUuid=healthy|unhealthy|initializing: what their health check reports')
    .option('--latency-ms <ms>', 'extension: add this latency to every API request')
    .option('--seed <n>', 'extension: seed of the fault PRNG')
    .option('--data <file>', 'extension: keep the store in this JSON file (loaded at start, saved on changes and on exit)')
    .option('--log-level <level>', 'log level on stderr', 'info')
    .action(async (flags: EmulatorFlags) => {
      const config = parseEmulatorFlags(flags);
      const logger = createLogger({ level: config.logLevel, pretty: false }, ctx.stderr);
      const emulator = await startEmulator({ ...config.options, logger });
      ctx.stdout.write(`${emulator.url}\n`);
      await new Promise<void>((resolve) => {
        if (ctx.shutdown.aborted) resolve();
        else ctx.shutdown.addEventListener('abort', () => resolve(), { once: true });
      });
      await emulator.close();
      logger.info('emulator stopped');
      ctx.setExitCode(exitCodes.ok);
    });
}
