/**
 * Reading a running daemon's status for `status` and `events`: `GET /status` (every environment:
 * `{ ready, notReady, environments: [{ name, ...StatusDocument }] }`) or, for `--env NAME`,
 * `GET /status/<name>` per name. The answer comes from another process, possibly of another version,
 * so it is checked for shape here, once: a daemon from before issue 15 answers `/status` with one bare
 * status document, read as the one environment `default` (what that daemon managed).
 */
import { ConfigError, ReconcilerError } from '../errors.js';
import { defaultEnvironmentName } from '../config/environments.js';
import { displayUrl, getDaemon } from './daemon-client.js';

type Doc = Readonly<Record<string, unknown>>;

/** What a read gives: the text to print for `-o json`, and the environments' documents in order. */
export type StatusRead = Readonly<{
  /** `-o json`: `/status` as sent, or `{"environments": [...]}` of the names asked for. */
  text: string;
  /** Each environment's document, with its `name`. */
  environments: readonly Doc[];
  /** The environments that are not ready: the daemon's `notReady`, or those whose document says so. */
  notReady: readonly string[];
  /** Whether the daemon answered with environments (false: one bare document of an older daemon). */
  named: boolean;
}>;

/** Whether `doc` looks like a rancher-reconciler status document (and not some other service's JSON). */
export function isStatusDocument(doc: unknown): doc is Doc {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const record = doc as Record<string, unknown>;
  return Array.isArray(record['instances']) && record['summary'] !== null && typeof record['summary'] === 'object';
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // not JSON: some other service answers there; the shape checks say so
    return undefined;
  }
}

const notReadyOf = (environments: readonly Doc[]): string[] => environments.filter((doc) => doc['ready'] !== true).map((doc) => String(doc['name']));

/** `/status` as a read: the daemon's environments, or an older daemon's one document as `default`. */
function fromDaemon(text: string, url: string): StatusRead {
  const doc = parse(text);
  const record = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  const list = record['environments'];
  if (Array.isArray(list) && list.every((entry) => isStatusDocument(entry) && typeof entry['name'] === 'string')) {
    const environments = list as Doc[];
    const notReady = Array.isArray(record['notReady']) ? record['notReady'].filter((name): name is string => typeof name === 'string') : notReadyOf(environments);
    return { text, environments, notReady, named: true };
  }
  if (isStatusDocument(doc)) {
    const environments = [{ name: defaultEnvironmentName, ...doc }];
    return { text, environments, notReady: notReadyOf(environments), named: false };
  }
  throw new ReconcilerError('ERR_DAEMON', `${url} is not a rancher-reconciler: its /status is not a status document (--daemon URL, the daemon's --listen)`);
}

/** The ERR_DAEMON for an answer other than 200 (401: how to send the token). */
function refused(url: string, path: string, status: number): ReconcilerError {
  if (status === 401) return new ReconcilerError('ERR_DAEMON', `the daemon at ${url} needs a token for ${path} (401): --ui-token-file PATH (the file the daemon reads)`);
  return new ReconcilerError('ERR_DAEMON', `${url} answered ${status} for ${path}: not a rancher-reconciler status server? (--daemon URL, the daemon's --listen)`);
}

export type StatusRequest = Readonly<{
  daemonUrl: string;
  signal: AbortSignal;
  token?: string;
  /** `--env`: only these environments, in this order (`GET /status/<name>` each); empty or absent: every one. */
  environments?: readonly string[];
}>;

/**
 * Reads the status once. Every failure to get a status is an ERR_DAEMON naming the URL (never its
 * credentials); a name the daemon does not manage is a ConfigError (`--env: ...` with the names it
 * does, every unknown name at once), the command's usage error.
 */
export async function readStatus(request: StatusRequest): Promise<StatusRead> {
  const { daemonUrl, signal, token, environments: names = [] } = request;
  const url = displayUrl(daemonUrl);
  const read = (path: string) => getDaemon({ daemonUrl, path, signal, ...(token === undefined ? {} : { token }) });
  if (names.length === 0) {
    const answer = await read('/status');
    if (answer.status !== 200) throw refused(url, '/status', answer.status);
    return fromDaemon(answer.text, url);
  }
  const answers = await Promise.all(names.map(async (name) => ({ name, answer: await read(`/status/${encodeURIComponent(name)}`) })));
  const unknown: string[] = [];
  const environments: Doc[] = [];
  for (const { name, answer } of answers) {
    const doc = parse(answer.text);
    const error = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>)['error'] : undefined;
    if (answer.status === 404 && typeof error === 'string' && error.startsWith('no environment')) unknown.push(`--env: the daemon at ${url} has ${error}`);
    else if (answer.status === 404) throw new ReconcilerError('ERR_DAEMON', `the daemon at ${url} has no /status/${name}: it manages one environment (upgrade it for --env)`);
    else if (answer.status !== 200) throw refused(url, `/status/${name}`, answer.status);
    else if (!isStatusDocument(doc)) throw new ReconcilerError('ERR_DAEMON', `${url} is not a rancher-reconciler: its /status/${name} is not a status document`);
    else environments.push({ ...doc, name });
  }
  if (unknown.length > 0) throw new ConfigError(unknown);
  return { text: `${JSON.stringify({ environments }, null, 2)}\n`, environments, notReady: notReadyOf(environments), named: true };
}

/**
 * `--env` values as one list: each value may be a comma list, and a repeated flag adds to it (as the
 * option table's repeatable options do); blanks and repeats are left out.
 */
export function environmentNames(values: readonly string[] | undefined, fromEnv: string | undefined): string[] {
  const given = values !== undefined && values.length > 0 ? values : fromEnv === undefined ? [] : [fromEnv];
  return [...new Set(given.flatMap((value) => value.split(',')).map((name) => name.trim()).filter((name) => name !== ''))];
}
