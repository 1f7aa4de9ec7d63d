/**
 * The emulator's data file format (emulator extension, `--data FILE`): one JSON document holding the
 * sequences, the hosts and every container with all its fields, plus the sequence each transitioning
 * container is in. Pure: building and checking a snapshot; the file I/O is in `store-file.ts`.
 */
import { ReconcilerError } from '../errors.js';
import { healthStates } from './health.js';
import type { InFlight } from './lifecycle.js';
import { instanceStates, transitioningStates, type InstanceState } from './state-machine.js';
import type { EmulatorStore, HostRecord, InstanceRecord, StoreSequences } from './store.js';

/** One saved container: the record, plus its sequence in flight when transitioning. */
export type SavedContainer = InstanceRecord & { transition?: InFlight };

/** The whole saved store. */
export type StoreSnapshot = Readonly<{
  format: 'rancher-reconciler-emulator';
  version: 1;
  sequences: StoreSequences;
  hosts: readonly HostRecord[];
  containers: readonly SavedContainer[];
}>;

/** Builds the snapshot of a store; `inFlight` tells the sequence a container is in (from the lifecycle). */
export function snapshotOf(store: EmulatorStore, inFlight: (id: number) => InFlight | undefined): StoreSnapshot {
  return {
    format: 'rancher-reconciler-emulator',
    version: 1,
    sequences: store.sequences(),
    hosts: store.hosts,
    containers: store.records().map((record) => {
      const transition = inFlight(record.id);
      return transition === undefined ? record : { ...record, transition };
    }),
  };
}

const states = new Set<string>(instanceStates);
const healths = new Set<string>(healthStates);
const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const isInt = (value: unknown, min: number): value is number => typeof value === 'number' && Number.isInteger(value) && value >= min;
const isNullable = (value: unknown, check: (value: unknown) => boolean): boolean => value === null || check(value);
const isString = (value: unknown): boolean => typeof value === 'string';
const isNumber = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);

function checkTransition(value: unknown, state: string): string | undefined {
  if (!isObject(value) || !isObject(value['transition'])) return 'transition must be {transition, index}';
  const { steps, final, failed } = value['transition'];
  if (!Array.isArray(steps) || !steps.every((step) => states.has(step as string))) return 'transition.steps must be states';
  if (!states.has(final as string) || typeof failed !== 'boolean') return 'transition needs a final state and failed';
  if (!isInt(value['index'], 0) || steps[value['index']] !== state) return `transition.index must point at its state ${state}`;
  const message = value['transition']['message'];
  if (message !== undefined && typeof message !== 'string') return 'transition.message must be a string';
  return undefined;
}

/** The first problem of one saved container, or undefined. */
function containerProblem(value: unknown, hostIds: ReadonlySet<number>): string | undefined {
  if (!isObject(value)) return 'not an object';
  const checks: [string, boolean][] = [
    ['id', isInt(value['id'], 1)], ['projectId', isString(value['projectId'])], ['uuid', isString(value['uuid'])],
    ['kind', value['kind'] === 'container' || value['kind'] === 'virtualMachine'], ['created', isNumber(value['created'])], ['createIndex', isInt(value['createIndex'], 1)],
    ['name', isNullable(value['name'], isString)], ['description', isNullable(value['description'], isString)],
    ['state', states.has(value['state'] as string)], ['transitioningError', typeof value['transitioningError'] === 'boolean'],
    ['transitioningMessage', isNullable(value['transitioningMessage'], isString)],
    ['hostId', isNullable(value['hostId'], (id) => hostIds.has(id as number))],
    ['externalId', isNullable(value['externalId'], isString)], ['primaryIpAddress', isNullable(value['primaryIpAddress'], isString)],
    ['firstRunning', isNullable(value['firstRunning'], isNumber)], ['removed', isNullable(value['removed'], isNumber)],
    ['startCount', isInt(value['startCount'], 0)], ['fields', isObject(value['fields'])],
    // absent in files saved before it was kept (loaded as null)
    ['healthState', value['healthState'] === undefined || isNullable(value['healthState'], (health) => healths.has(health as string))],
  ];
  const bad = checks.find(([, ok]) => !ok);
  if (bad) return `bad ${bad[0]} ${JSON.stringify(value[bad[0]])}`;
  const state = value['state'] as InstanceState;
  if (value['transition'] !== undefined) return checkTransition(value['transition'], state);
  // a sequence cannot be guessed back from its state alone (stop or stop-and-remove?)
  if (transitioningStates.has(state)) return `state ${state} without its transition`;
  return undefined;
}

/** The problems of a parsed data file, or an empty list. */
function problemsOf(value: unknown): string[] {
  if (!isObject(value) || value['format'] !== 'rancher-reconciler-emulator') return ['not an emulator data file (no "format")'];
  if (value['version'] !== 1) return [`unsupported version ${JSON.stringify(value['version'])}`];
  const problems: string[] = [];
  const sequences = value['sequences'];
  if (!isObject(sequences) || !isInt(sequences['nextId'], 1) || !isInt(sequences['nextCreateIndex'], 1)) problems.push('bad sequences');
  const hosts = Array.isArray(value['hosts']) ? value['hosts'] : [];
  if (!Array.isArray(value['hosts']) || !hosts.every((host: unknown) => isObject(host) && isInt(host['id'], 1)
    && isString(host['uuid']) && isNumber(host['created']) && isString(host['hostname']))) problems.push('bad hosts');
  const hostIds = new Set(hosts.map((host: Record<string, unknown>) => host['id'] as number));
  const containers = value['containers'];
  if (!Array.isArray(containers)) return [...problems, 'no containers array'];
  let lastId = 0;
  for (const [index, container] of containers.entries()) {
    const problem = containerProblem(container, hostIds);
    if (problem !== undefined) problems.push(`containers[${index}]: ${problem}`);
    const { id, createIndex } = (isObject(container) ? container : {}) as { id?: number; createIndex?: number };
    if (problem === undefined && id !== undefined && id <= lastId) problems.push(`containers[${index}]: ids not ascending`);
    lastId = id ?? lastId;
    if (problem === undefined && isObject(sequences) && (id! >= (sequences['nextId'] as number)
      || createIndex! >= (sequences['nextCreateIndex'] as number))) problems.push(`containers[${index}]: beyond the sequences`);
  }
  return problems;
}

/**
 * Parses a data file's text. Throws ReconcilerError `ERR_EMULATOR` naming `file` and the first problems
 * when it is not valid JSON or not a consistent snapshot (never starts empty on a corrupt file).
 */
export function parseSnapshot(text: string, file: string): StoreSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    throw new ReconcilerError('ERR_EMULATOR', `emulator data file ${file} is corrupt: not JSON`, { cause: error });
  }
  const problems = problemsOf(value);
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : '');
    throw new ReconcilerError('ERR_EMULATOR', `emulator data file ${file} is corrupt: ${shown}`);
  }
  return value as StoreSnapshot;
}
