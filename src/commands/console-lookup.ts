/**
 * What `console` decides, apart from the command plumbing: find the instance by Rancher id or name in
 * `/v1/instances` (which lists containers and virtual machines alike), then either call `console`
 * through the resource's own action link or say why it cannot be called.
 */
import { ApiError } from '../errors.js';
import type { HttpClient } from '../rancher/http.js';

/** The fields of an instance resource `console` looks at. */
type InstanceResource = Readonly<{ id: string; type: string; name: string | null; state: string; removed: unknown; actions: Readonly<Record<string, string>> }>;

/** The outcome: the action's answer, or the one-line reason it was not called. */
export type ConsoleOutcome =
  | Readonly<{ kind: 'opened'; instance: InstanceResource; access: Readonly<Record<string, unknown>> }>
  | Readonly<{ kind: 'refused'; reason: string }>;

/** The message for a container: Rancher 1.x offers `console` to virtual machines only. */
export const containerRefusal = 'containers have no console in Rancher 1.x; use execute';

function asInstance(value: unknown): InstanceResource | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record['id'] !== 'string' || typeof record['type'] !== 'string' || typeof record['state'] !== 'string') return undefined;
  const actions = record['actions'] !== null && typeof record['actions'] === 'object' ? (record['actions'] as Record<string, string>) : {};
  return { id: record['id'], type: record['type'], name: typeof record['name'] === 'string' ? record['name'] : null, state: record['state'], removed: record['removed'] ?? null, actions };
}

/** `1i42`-shaped arguments are Rancher ids; anything else is a name (as the Rancher CLI tells them apart). */
function isRancherId(target: string): boolean {
  return /^1i\d+$/.test(target);
}

/** The instance `target` names, or a refusal saying why there is none (none, or several by that name). */
async function findInstance(http: HttpClient, target: string, signal: AbortSignal): Promise<InstanceResource | string> {
  if (isRancherId(target)) {
    try {
      const found = asInstance((await http.request({ method: 'GET', path: `instances/${target}`, signal })).body);
      if (found) return found;
    } catch (e: unknown) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
    return `no instance with id ${target}`;
  }
  const page = (await http.request({ method: 'GET', path: 'instances', searchParams: { name: target, limit: 100 }, signal })).body as { data?: unknown[] };
  const matches = (page.data ?? []).map(asInstance).filter((i): i is InstanceResource => i !== undefined && i.name === target && i.removed === null);
  if (matches.length === 0) return `no instance named "${target}"`;
  if (matches.length > 1) return `${matches.length} instances are named "${target}" (${matches.map((i) => i.id).join(', ')}); give the id`;
  return matches[0]!;
}

/** Why `console` is not offered on `instance` (its `actions` map lacks it). */
function refusalFor(instance: InstanceResource): string {
  if (instance.type === 'container') return containerRefusal;
  const label = `${instance.type === 'virtualMachine' ? 'virtual machine' : instance.type} ${instance.name === null ? instance.id : `"${instance.name}" (${instance.id})`}`;
  return `${label} is ${instance.state}: console is offered only while it is running`;
}

/**
 * Looks `target` up and calls `console` when the instance's `actions` offer it. The action is posted to
 * the link Rancher gave (its path and query only; the HTTP client keeps host and credentials its own).
 */
export async function openConsole(http: HttpClient, target: string, signal: AbortSignal): Promise<ConsoleOutcome> {
  const found = await findInstance(http, target, signal);
  if (typeof found === 'string') return { kind: 'refused', reason: found };
  const link = found.actions['console'];
  if (link === undefined) return { kind: 'refused', reason: refusalFor(found) };
  const answer = await http.request({ method: 'POST', path: link, json: {}, signal });
  const access = answer.body !== null && typeof answer.body === 'object' ? (answer.body as Record<string, unknown>) : {};
  return { kind: 'opened', instance: found, access };
}
