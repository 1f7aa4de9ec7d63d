/**
 * The `hostAccess` answers of the actions without a process (execute, logs, proxy, console), shaped as
 * cattle's action handlers build them (docs/rancher-v1.md#host-access-tokens): a token whose claims name
 * what the host agent should do, and the agent's websocket URL on the API server's own origin.
 */
import { ApiFailure } from './api-failure.js';
import type { SchemaRegistry } from './schemas.js';
import type { EmulatorStore, InstanceRecord } from './store.js';
import type { HostAccessTokens, TokenClaims } from './tokens.js';
import { validateCreate, type JsonBody } from './validation.js';

/** The actions that answer a hostAccess. */
export type HostAccessAction = 'execute' | 'logs' | 'proxy' | 'console';

/**
 * Websocket paths of the host agent per claim kind (cattle `exec.agent.path` and `host.logs.path`; the
 * agent's handler table has `/v1/console/` and `/v1/container-proxy/`). The emulator serves them itself.
 */
export const hostAccessPaths = {
  exec: '/v1/exec/',
  logs: '/v1/logs/',
  console: '/v1/console/',
  proxy: '/v1/container-proxy/',
} as const;

/** The claim that carries an action's data (the top-level key cattle's handlers put in the token). */
export type HostAccessKind = keyof typeof hostAccessPaths;

/**
 * Token lifetime in seconds. cattle reads `jwt.default.expiration.seconds` and, for proxy,
 * `host.proxy.jwt.expiration.seconds`; their shipped values were not found, so this is an emulator choice.
 */
export const tokenLifetimeSec = 300;

const actionKinds: Readonly<Record<HostAccessAction, HostAccessKind>> = { execute: 'exec', logs: 'logs', proxy: 'proxy', console: 'console' };

/** Whether `action` is one that answers a hostAccess. */
export function isHostAccessAction(action: string): action is HostAccessAction {
  return Object.hasOwn(actionKinds, action);
}

/** Dependencies of {@link hostAccessBody}. */
export type HostAccessDeps = Readonly<{ schemas: SchemaRegistry; store: EmulatorStore; tokens: HostAccessTokens }>;

/** The per-action claim data, from the validated action input (schema defaults applied). */
function claimData(action: HostAccessAction, record: InstanceRecord, input: Record<string, unknown>): TokenClaims {
  const container = record.externalId;
  switch (action) {
    case 'execute':
      return { AttachStdin: input['attachStdin'], AttachStdout: input['attachStdout'], Tty: input['tty'], Cmd: input['command'], Container: container };
    case 'logs':
      return { Container: container, Lines: input['lines'], Follow: input['follow'] };
    case 'proxy':
      return { Container: container, scheme: input['scheme'], address: `${record.primaryIpAddress ?? ''}:${String(input['port'])}` };
    case 'console':
      // lower-case `container` here, as InstanceConsoleActionHandler writes it
      return { container };
  }
}

/** The input schema of each action (instanceConsoleInput has no fields). */
const inputTypes: Readonly<Record<HostAccessAction, string>> = {
  execute: 'containerExec', logs: 'containerLogs', proxy: 'containerProxy', console: 'instanceConsoleInput',
};

/**
 * The hostAccess body of `action` on `record`. `apiBase` is the request's API base (its origin becomes
 * the websocket origin, as cattle swaps `http` for `ws` in the response URL base). Throws a 422 for an
 * input the action's schema refuses (e.g. execute without `command`).
 */
export function hostAccessBody(deps: HostAccessDeps, action: HostAccessAction, record: InstanceRecord, body: JsonBody, apiBase: string): Record<string, unknown> {
  const input = validateCreate(deps.schemas, inputTypes[action], body);
  const host = deps.store.hosts.find((candidate) => candidate.id === record.hostId);
  // cattle's handlers return null when the instance has no host; a running instance here always has one
  if (!host) throw ApiFailure.status(500);
  const kind = actionKinds[action];
  const token = deps.tokens.sign({ [kind]: claimData(action, record, input), hostUuid: host.uuid }, tokenLifetimeSec);
  const wsOrigin = new URL(apiBase).origin.replace(/^http/, 'ws');
  // proxy answers an http URL: ContainerProxyActionHandler swaps the scheme back
  const origin = kind === 'proxy' ? wsOrigin.replace(/^ws/, 'http') : wsOrigin;
  return { id: null, type: 'hostAccess', links: {}, actions: {}, baseType: 'hostAccess', token, url: `${origin}${hostAccessPaths[kind]}` };
}
