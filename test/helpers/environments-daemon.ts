/**
 * A daemon of two environments (issue 15), wired in-process in run mode from a config file whose
 * `environments` give no `url`, so each environment gets its own embedded emulator: `dev` with one
 * instance, `prod` with two. Resolves once both have converged; `stop()` stops the app and removes
 * the workspace.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { waitForEvent } from './events.js';
import { captureLogger } from './log-sink.js';
import { makeWorkspace, writeManifestFile } from './manifest-tree.js';

export type EnvironmentsDaemon = Readonly<{
  app: App;
  /** The status server's base URL. */
  url: string;
  /** The instances each environment declares, by environment name. */
  declared: Readonly<Record<'dev' | 'prod', readonly string[]>>;
  stop(): Promise<void>;
}>;

const declared = { dev: ['dev-web'], prod: ['prod-api', 'prod-web'] } as const;

/** Starts the daemon; `extraArgv` is added to `run`'s flags (`--ui-token-file`, ...). */
export async function startEnvironmentsDaemon(prefix: string, timeoutMs: number, extraArgv: readonly string[] = []): Promise<EnvironmentsDaemon> {
  const ws = await makeWorkspace(prefix);
  let app: App | undefined;
  try {
    for (const [name, instances] of Object.entries(declared)) {
      await mkdir(join(ws.root, name));
      await writeManifestFile(join(ws.root, name), `${name}.yaml`, instances.map((instance) => ({ name: instance })));
    }
    await writeFile(join(ws.root, 'rr.yaml'), ['environments:', '  - name: dev', '    manifests: dev', '  - name: prod', '    manifests: prod', ''].join('\n'));
    const argv = ['--config', join(ws.root, 'rr.yaml'), '--state-dir', ws.state, '--listen', '127.0.0.1:0', '--emulator-transition-ms', '10', ...extraArgv];
    app = await createApp(loadConfig({ command: 'run', argv, env: {}, cwd: ws.root }), 'run', { log: captureLogger('info').log });
    const converged = app.environments.map((environment) => waitForEvent(environment.events, 'revision:converged', undefined, timeoutMs));
    await app.start();
    await Promise.all(converged);
  } catch (e: unknown) {
    await app?.stop();
    await ws.cleanup();
    throw e;
  }
  const started = app;
  return {
    app: started,
    url: started.statusUrl()!,
    declared,
    stop: async () => {
      await started.stop();
      await ws.cleanup();
    },
  };
}
