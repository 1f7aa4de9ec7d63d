/**
 * DaemonSuspension: the whole daemon suspended during an incident (POST /suspend, `rancher-reconciler
 * suspend`) until POST /resume. While suspended every pass still observes and reports, but a key with
 * work is held (domain/suspension.ts): no Rancher call, no inventory change. A call a pass had already
 * decided on when the suspension arrived still goes out (at most one per key in flight).
 *
 * It survives a restart: an operator who suspended during an incident must not be resumed silently by
 * a crash or a rollout. The state is the file `<state dir>/suspended.json` (written atomically; removed
 * on resume). A file that cannot be read counts as suspended: resuming is the operator's decision.
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SuspensionStatus } from '../domain/status.js';
import { isErrno, writeFileAtomic } from './atomic-file.js';

export const suspensionFileName = 'suspended.json';

/** What POST /suspend may say; both are shown in `/status` and the log as given. */
export type SuspendRequest = Readonly<{ reason?: string; by?: string }>;

/**
 * The answer to a suspend or resume: the state after it, whether it changed anything (suspending a
 * suspended daemon keeps the first `since`, `reason` and `by`), and whether the state dir has it
 * (false: it holds in memory, but a restart would not know).
 */
export type SuspensionChange = Readonly<{ suspended: SuspensionStatus | null; changed: boolean; persisted: boolean }>;

export type DaemonSuspensionDeps = Readonly<{
  stateDir: string;
  clock: Clock;
  log: Logger;
  /** `rancher_reconciler_suspended`. */
  metrics?: Readonly<{ setSuspended(suspended: boolean): void }>;
  /** Called once the daemon is resumed: look at every key again (their held work is pending). */
  onResume: () => void;
}>;

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The file's content; throws on anything that is not `{ since: string, ... }`. */
function parseStatus(text: string): SuspensionStatus {
  const doc = JSON.parse(text) as unknown;
  if (doc === null || typeof doc !== 'object' || typeof (doc as Record<string, unknown>)['since'] !== 'string') throw new Error('expected an object with `since`');
  const fields = doc as Record<string, unknown>;
  return { since: fields['since'] as string, reason: stringOrNull(fields['reason']), by: stringOrNull(fields['by']) };
}

async function removeIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e: unknown) {
    if (!isErrno(e, 'ENOENT')) throw e;
  }
}

export class DaemonSuspension {
  readonly #deps: DaemonSuspensionDeps;
  readonly #path: string;
  #current: SuspensionStatus | null = null;
  /** Writes run one at a time, each writing the state as it is when it runs. */
  #writes: Promise<boolean> = Promise.resolve(true);

  constructor(deps: DaemonSuspensionDeps) {
    this.#deps = deps;
    this.#path = join(deps.stateDir, suspensionFileName);
  }

  /** True while suspended. Cheap: read on every pass. */
  get active(): boolean {
    return this.#current !== null;
  }

  /** The `/status` field: null while reconciling. */
  get status(): SuspensionStatus | null {
    return this.#current;
  }

  /** Reads the state dir's file (call under the state lock, before the controller starts). Never throws. */
  async load(): Promise<void> {
    let text: string | undefined;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (e: unknown) {
      if (!isErrno(e, 'ENOENT')) this.#unreadable(coerceError(e));
    }
    if (text !== undefined) {
      try {
        this.#current = parseStatus(text);
      } catch (e: unknown) {
        this.#unreadable(coerceError(e));
      }
    }
    this.#deps.metrics?.setSuspended(this.active);
    const state = this.#current;
    if (state !== null) this.#deps.log.warn({ since: state.since, reason: state.reason, by: state.by }, 'daemon starts suspended: POST /resume to reconcile again');
  }

  /** Suspends now (in memory at once, then on disk). Already suspended: unchanged. */
  async suspend(request: SuspendRequest, remoteAddress: string | undefined): Promise<SuspensionChange> {
    if (this.#current !== null) return { suspended: this.#current, changed: false, persisted: await this.#writes };
    const state = { since: new Date(this.#deps.clock.now()).toISOString(), reason: request.reason ?? null, by: request.by ?? null };
    this.#current = state;
    this.#deps.metrics?.setSuspended(true);
    this.#deps.log.warn({ since: state.since, reason: state.reason, by: state.by, remoteAddress }, 'daemon suspended');
    return { suspended: state, changed: true, persisted: await this.#persist() };
  }

  /** Resumes now and looks at every key again. Not suspended: unchanged. */
  async resume(remoteAddress: string | undefined): Promise<SuspensionChange> {
    const was = this.#current;
    if (was === null) return { suspended: null, changed: false, persisted: await this.#writes };
    this.#current = null;
    this.#deps.metrics?.setSuspended(false);
    this.#deps.log.info({ since: was.since, suspendedForMs: this.#deps.clock.now() - Date.parse(was.since), remoteAddress }, 'daemon resumed');
    this.#deps.onResume();
    return { suspended: null, changed: true, persisted: await this.#persist() };
  }

  /** A file that is there but unreadable or torn: suspended (the safe reading), said loudly. */
  #unreadable(error: Error): void {
    this.#current = { since: new Date(this.#deps.clock.now()).toISOString(), reason: `the suspension file ${this.#path} cannot be read (${error.message}): POST /resume to reconcile again`, by: null };
    this.#deps.log.error({ file: this.#path, err: error }, 'suspension file unreadable: starting suspended');
  }

  #persist(): Promise<boolean> {
    this.#writes = this.#writes.then(() => this.#write());
    return this.#writes;
  }

  async #write(): Promise<boolean> {
    const state = this.#current;
    try {
      if (state === null) await removeIfThere(this.#path);
      else await writeFileAtomic(this.#path, `${JSON.stringify(state, null, 2)}\n`);
      return true;
    } catch (e: unknown) {
      // memory already holds the new state; only a restart would lose it, which the answer says
      this.#deps.log.error({ file: this.#path, err: coerceError(e), suspended: state !== null }, 'suspension state not saved');
      return false;
    }
  }
}
