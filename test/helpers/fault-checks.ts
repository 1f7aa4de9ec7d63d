import type { EmulatorHandle } from '../../src/emulator/emulator.js';
import { get, post, waitForResource } from './emulator.js';

/** The container fields the fault suite compares (as the emulator renders them). */
export type ContainerView = Readonly<{ id: string; name: string | null; state: string; description: string | null; removed: string | null }>;

/** Every container the emulator knows (all pages, removed ones included while not purged). */
export async function listContainers(emu: EmulatorHandle): Promise<ContainerView[]> {
  const all: ContainerView[] = [];
  let next: string | null = `${emu.url}/containers?limit=1000`;
  while (next !== null) {
    const page = await get(next);
    if (page.status !== 200) throw new Error(`GET ${next}: ${page.status}`);
    all.push(...(page.body.data as ContainerView[]));
    next = (page.body.pagination?.next as string | null | undefined) ?? null;
  }
  return all;
}

/**
 * Creates one container behind the reconciler's back (not in any manifest) and returns it once it has
 * settled in `running`, so that any later change to it is somebody else's doing.
 */
export async function createUnmanaged(emu: EmulatorHandle, name: string): Promise<ContainerView> {
  const created = await post(`${emu.url}/containers`, { name, description: 'made by hand', imageUuid: 'docker:busybox:1.36' });
  if (created.status !== 201) throw new Error(`creating ${name}: ${created.status}`);
  return (await waitForResource(`${emu.url}/containers/${created.body.id as string}`, (c) => c?.state === 'running')) as ContainerView;
}

/** What a converged environment looks like, as counted by {@link checkOutcome}. */
export type Outcome = Readonly<{
  /** Declared names with exactly one live (not removed) container. */
  exactlyOne: number;
  /** Declared names with no live container. */
  missing: string[];
  /** Declared names with more than one live container. */
  duplicated: string[];
  /** Declared names whose single container is not in the wanted state. */
  wrongState: string[];
  /** Unmanaged containers whose state, name, description or removed date changed (or that vanished). */
  unmanagedTouched: string[];
}>;

/**
 * Compares the emulator's containers with the declared `names` (each wanted in `state`, except those in
 * `stateExceptions`) and the unmanaged `untouched` snapshots taken before the run.
 */
export async function checkOutcome(
  emu: EmulatorHandle,
  names: readonly string[],
  untouched: readonly ContainerView[],
  options: Readonly<{ state?: string; stateExceptions?: ReadonlySet<string> }> = {},
): Promise<Outcome> {
  const all = await listContainers(emu);
  const live = all.filter((c) => c.removed === null || c.removed === undefined);
  const byName = new Map<string, ContainerView[]>();
  for (const c of live) byName.set(c.name ?? '', [...(byName.get(c.name ?? '') ?? []), c]);
  const missing: string[] = [];
  const duplicated: string[] = [];
  const wrongState: string[] = [];
  let exactlyOne = 0;
  for (const name of names) {
    const found = byName.get(name) ?? [];
    if (found.length === 0) missing.push(name);
    else if (found.length > 1) duplicated.push(name);
    else {
      exactlyOne += 1;
      if (!options.stateExceptions?.has(name) && found[0]!.state !== (options.state ?? 'running')) wrongState.push(`${name}:${found[0]!.state}`);
    }
  }
  const byId = new Map(all.map((c) => [c.id, c]));
  const unmanagedTouched = untouched
    .filter((before) => {
      const after = byId.get(before.id);
      return after === undefined || after.state !== before.state || after.name !== before.name || after.description !== before.description || (after.removed ?? null) !== (before.removed ?? null);
    })
    .map((c) => c.name ?? c.id);
  return { exactlyOne, missing, duplicated, wrongState, unmanagedTouched };
}

/** mulberry32, the emulator's own seeded PRNG: a failing trial replays with the printed seed. */
export { seededRandom } from '../../src/emulator/faults.js';
