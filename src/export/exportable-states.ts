/**
 * Which Rancher container states `export` can turn into a manifest, and the `spec.state` each becomes.
 * A state on its way to running or stopped counts as that end (docs/rancher-v1.md#states); the others
 * (requested, creating, error, migrating, removing, removed, ...) say nothing a manifest could declare,
 * so such containers are never exported. Pure.
 */
import type { RunState } from '../domain/instance.js';

/** Rancher state -> the manifest's `spec.state`, in the order help and errors list them. */
const stateTable = {
  running: 'running',
  stopped: 'stopped',
  starting: 'running',
  stopping: 'stopped',
  restarting: 'running',
  'updating-running': 'running',
  'updating-stopped': 'stopped',
} as const satisfies Readonly<Record<string, RunState>>;

/** The states `--state` accepts. */
export const exportableStates: readonly string[] = Object.keys(stateTable);

/** The states exported when neither `--state` nor `--include-stopped` is given. */
export const defaultExportStates: readonly string[] = ['running'];

/** The manifest state of a container in Rancher state `state`; undefined when it cannot be exported. */
export function manifestStateOf(state: string): RunState | undefined {
  return Object.hasOwn(stateTable, state) ? stateTable[state as keyof typeof stateTable] : undefined;
}
