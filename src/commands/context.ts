import type { Writable } from 'node:stream';

/**
 * What the process gives a command: the environment (read here and passed on, never read elsewhere),
 * the output streams, and the process lifecycle. Built once in `cli.ts`; tests can build their own.
 */
export type CliContext = Readonly<{
  env: Readonly<Record<string, string | undefined>>;
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  /** Aborted on the first SIGTERM/SIGINT. A second signal exits the process at once. */
  shutdown: AbortSignal;
  /** Registers a SIGHUP listener (forced re-read); returns a function that removes it. */
  onHangup(listener: () => void): () => void;
  /** Sets the process exit code the command ends with. */
  setExitCode(code: number): void;
  /** Working directory for relative defaults (`./manifests`, `.rancher-reconciler/`). */
  cwd: string;
}>;

/** Exit codes shared by every command. */
export const exitCodes = { ok: 0, error: 1, changes: 2 } as const;
