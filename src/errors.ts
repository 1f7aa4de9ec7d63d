/**
 * The one error hierarchy of rancher-reconciler.
 *
 * Every error we throw is a {@link ReconcilerError} with a stable `code` (got style, `ERR_<AREA>_<WHAT>`),
 * a `retryable` flag decided once where the error is created, and the original error as `cause`.
 * Messages name the thing and the operation and never contain credentials.
 */

export type ErrorCode =
  | 'ERR_CONFIG_INVALID'
  | 'ERR_MANIFEST_INVALID'
  | 'ERR_MANIFEST_DUPLICATE_KEY'
  | 'ERR_API_BAD_REQUEST'
  | 'ERR_API_UNAUTHORIZED'
  | 'ERR_API_FORBIDDEN'
  | 'ERR_API_NOT_FOUND'
  | 'ERR_API_METHOD_NOT_ALLOWED'
  | 'ERR_API_CONFLICT'
  | 'ERR_API_UNPROCESSABLE'
  | 'ERR_API_RATE_LIMITED'
  | 'ERR_API_UNAVAILABLE'
  | 'ERR_API_SERVER'
  | 'ERR_API_TIMEOUT'
  | 'ERR_API_NETWORK'
  | 'ERR_API_TLS'
  | 'ERR_API_INVALID_RESPONSE'
  | 'ERR_API_ABORTED'
  | 'ERR_WAIT_TIMEOUT'
  | 'ERR_INSTANCE_ERROR'
  | 'ERR_PLAN_BLOCKED'
  | 'ERR_INVENTORY_CORRUPT'
  | 'ERR_INVENTORY_IO'
  | 'ERR_STATE_LOCKED'
  | 'ERR_STATE_LOCK_LOST'
  | 'ERR_STATE_STORE_UNAVAILABLE'
  | 'ERR_STATE_STORE_DENIED'
  | 'ERR_STATE_STORE_SCHEMA'
  | 'ERR_STATE_STORE_CORRUPT'
  | 'ERR_STATE_FENCED'
  | 'ERR_EMULATOR'
  | 'ERR_GIT'
  | 'ERR_WEBHOOK'
  | 'ERR_DAEMON'
  | 'ERR_INTERNAL';

export class ReconcilerError extends Error {
  override name = 'ReconcilerError';
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Bad flags, env values or config file: fatal at startup. `issues` lists every problem, one line each. */
export class ConfigError extends ReconcilerError {
  override name = 'ConfigError';
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super('ERR_CONFIG_INVALID', `invalid configuration: ${issues.join('; ')}`);
    this.issues = issues;
  }
}

/** A manifest problem located in a file. Not retryable: the key is looked at again when its file changes. */
export class ManifestError extends ReconcilerError {
  override name = 'ManifestError';
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Field path such as `spec.environment.FOO`, or '' for the document itself. */
  readonly path: string;

  constructor(
    code: 'ERR_MANIFEST_INVALID' | 'ERR_MANIFEST_DUPLICATE_KEY',
    where: { file: string; line: number; col: number; path: string },
    message: string,
  ) {
    super(code, `${where.file}:${where.line}:${where.col}: ${message}`);
    this.file = where.file;
    this.line = where.line;
    this.col = where.col;
    this.path = where.path;
  }
}

/** Facts about one failed Rancher API call. `url` never carries credentials. */
export type ApiErrorContext = Readonly<{
  status?: number;
  /** The Rancher error body's `code`, e.g. `MissingRequired`, `ActionNotAvailable`. */
  apiCode?: string;
  fieldName?: string;
  method: string;
  url: string;
  detail?: string;
  /** Delay the server asked for (Retry-After), in ms. */
  retryAfterMs?: number;
}>;

/** A failed Rancher API call, translated once from got's errors in `src/rancher/`. */
export class ApiError extends ReconcilerError {
  override name = 'ApiError';
  readonly status: number | undefined;
  readonly apiCode: string | undefined;
  readonly fieldName: string | undefined;
  readonly method: string;
  readonly url: string;
  readonly detail: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, context: ApiErrorContext, options: { retryable: boolean; cause?: unknown }) {
    super(code, message, options);
    this.status = context.status;
    this.apiCode = context.apiCode;
    this.fieldName = context.fieldName;
    this.method = context.method;
    this.url = context.url;
    this.detail = context.detail;
    this.retryAfterMs = context.retryAfterMs;
  }
}

/** The diff said `blocked`: nothing is done for the key until its manifest or live state changes. */
export class PlanBlockedError extends ReconcilerError {
  override name = 'PlanBlockedError';
  readonly reason: string;

  constructor(reason: string, message: string) {
    super('ERR_PLAN_BLOCKED', message);
    this.reason = reason;
  }
}

/** Who holds a state dir lock, as its owner record says (`since`: ISO time, whole seconds). */
export type StateLockHolder = Readonly<{ pid: number; host: string; since: string }>;

/**
 * Another `run` or `apply` holds the state dir (controller/state-lock.ts). `holder` is undefined when the
 * lock has no owner record of its own (removed by hand, or a taker still writing it). Not retryable.
 */
export class StateLockedError extends ReconcilerError {
  override name = 'StateLockedError';
  readonly stateDir: string;
  readonly holder: StateLockHolder | undefined;

  constructor(stateDir: string, holder: StateLockHolder | undefined, staleAfterMs: number) {
    const who = holder === undefined
      ? `an unknown holder (no owner record; a dead holder's lock expires ${Math.round(staleAfterMs / 1000)} s after its last update)`
      : `pid ${holder.pid} on host ${holder.host} since ${holder.since} (another run or apply)`;
    super('ERR_STATE_LOCKED', `state dir ${stateDir} is locked by ${who}: stop it or use another --state-dir`);
    this.stateDir = stateDir;
    this.holder = holder;
  }
}

/**
 * Why a git operation failed, as the git source reports it (`/status` source.lastError.reason, the
 * `rancher_reconciler_git_fetch_errors_total{reason}` label). Stable strings:
 * - `auth`: credentials missing or rejected (HTTP 401/403, ssh publickey denied);
 * - `host-key`: the ssh host key is unknown or changed (strict checking);
 * - `unreachable`: no connection (refused, no such host, TLS failure, network down);
 * - `not-found`: the repository does not exist at the URL;
 * - `ref-not-found`: the branch or tag is not on the remote (deleted?), or the commit cannot be fetched;
 * - `timeout`: the git process ran longer than `--git-timeout` and was killed;
 * - `corrupt`: the local clone is damaged (it is re-cloned);
 * - `aborted`: stopped by shutdown;
 * - `failed`: anything else (the message has git's own last line).
 */
export type GitFailureReason = 'auth' | 'host-key' | 'unreachable' | 'not-found' | 'ref-not-found' | 'timeout' | 'corrupt' | 'aborted' | 'failed';

/** A git operation failed. The message names the operation and the URL with credentials stripped; never a secret. */
export class GitError extends ReconcilerError {
  override name = 'GitError';
  readonly reason: GitFailureReason;

  constructor(reason: GitFailureReason, message: string, options: { cause?: unknown } = {}) {
    super('ERR_GIT', message, { retryable: reason !== 'aborted', ...options });
    this.reason = reason;
  }
}

/**
 * Connection-level failures that happen before a request is sent: the server cannot have processed it.
 * ERR_STATE_FENCED: a replica's fence refused the call before it left the process (leader/fence.ts).
 */
const notSentCodes: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STATE_FENCED']);

/**
 * True when `error` proves the request never reached the server (connection refused, no such host, no
 * route): nothing was processed, so sending it again cannot do it twice. Looks along the cause chain
 * (got wraps the socket error). A timeout or a reset is not proof: the server may have processed it.
 */
export function neverReachedServer(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && notSentCodes.has(code)) return true;
    current = current.cause;
  }
  return false;
}

/**
 * True when `error` is a mutating call this replica's fence refused before sending it (leader/fence.ts):
 * it says nothing about Rancher, and trying again before the lease is back is refused the same way.
 */
export function fencedByLease(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if ((current as { code?: unknown }).code === 'ERR_STATE_FENCED') return true;
    current = current.cause;
  }
  return false;
}

/** Whether an error is worth retrying with backoff. Unknown errors are not. */
export function isRetryable(error: unknown): boolean {
  return error instanceof ReconcilerError && error.retryable;
}

/** Turns anything thrown into an Error; a non-Error value becomes an ERR_INTERNAL ReconcilerError. */
export function coerceError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new ReconcilerError('ERR_INTERNAL', `non-error thrown: ${String(error)}`);
}

/** Strips user:password from a URL string so it can go into messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '';
      parsed.password = '';
    }
    return parsed.toString();
  } catch {
    // not a URL: drop anything that looks like userinfo
    return url.replace(/\/\/[^/@\s]*@/, '//');
  }
}

/** Exhaustiveness guard for switches over string-literal unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new ReconcilerError('ERR_INTERNAL', `unexpected ${what}: ${JSON.stringify(value)}`);
}
