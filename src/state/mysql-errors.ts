/**
 * mysql2 errors → {@link StateStoreError}, once, at the mysql store's boundary. Server errors carry a
 * numeric `errno`; client-side failures (refused, reset, lost, timed out) a string `code`. Messages name
 * the store by its description and never carry the password (mysql2's own messages do not either, but a
 * password is scrubbed from them all the same).
 */
import { StateStoreError, type StateStoreErrorCode } from './state-store.js';

/** Server error numbers that mean the credentials do not allow the operation. */
const deniedErrnos: ReadonlySet<number> = new Set([
  1044, // ER_DBACCESS_DENIED_ERROR: no access to the database
  1045, // ER_ACCESS_DENIED_ERROR: wrong user or password
  1142, // ER_TABLEACCESS_DENIED_ERROR: e.g. INSERT with SELECT-only grants
  1143, // ER_COLUMNACCESS_DENIED_ERROR
  1227, // ER_SPECIFIC_ACCESS_DENIED_ERROR
  1290, // ER_OPTION_PREVENTS_STATEMENT: a --read-only server (a replica)
  1370, // ER_PROCACCESS_DENIED_ERROR
  1698, // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
  1792, // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  1836, // ER_READ_ONLY_MODE
  4151, // MariaDB ER_ACCOUNT_HAS_BEEN_LOCKED
]);

/** Server error numbers that mean the tables are missing or not shaped as this build expects. */
const schemaErrnos: ReadonlySet<number> = new Set([
  1146, // ER_NO_SUCH_TABLE
  1054, // ER_BAD_FIELD_ERROR
  1406, // ER_DATA_TOO_LONG: a key or name longer than its column (strict mode)
]);

/** Errors after which the same transaction, tried again, may succeed at once. */
export const retriedErrnos: ReadonlySet<number> = new Set([
  1213, // ER_LOCK_DEADLOCK: InnoDB rolled the transaction back
  1062, // ER_DUP_ENTRY: two replicas created the same lease row at once; the retry finds it
]);

type DriverError = Error & { errno?: number; code?: string; sqlMessage?: string };

export function errnoOf(e: unknown): number | undefined {
  return e instanceof Error && typeof (e as DriverError).errno === 'number' ? (e as DriverError).errno : undefined;
}

function codeFor(errno: number | undefined): StateStoreErrorCode {
  if (errno !== undefined && deniedErrnos.has(errno)) return 'ERR_STATE_STORE_DENIED';
  if (errno !== undefined && schemaErrnos.has(errno)) return 'ERR_STATE_STORE_SCHEMA';
  // everything else: refused, reset, lost, timed out, too many connections, lock wait timeout, ...
  return 'ERR_STATE_STORE_UNAVAILABLE';
}

/**
 * Translates anything a mysql2 call threw into a StateStoreError naming `description` and `what` was
 * being done; a StateStoreError passes through. `secret` (the password) is scrubbed from the message.
 */
export function toStateStoreError(e: unknown, description: string, what: string, secret: string | undefined): StateStoreError {
  if (e instanceof StateStoreError) return e;
  const driver = e instanceof Error ? (e as DriverError) : undefined;
  const errno = errnoOf(e);
  const code = codeFor(errno);
  let detail = driver?.sqlMessage ?? driver?.message ?? String(e);
  if (secret !== undefined && secret !== '') detail = detail.split(secret).join('***');
  const tag = driver?.code !== undefined ? ` (${driver.code}${errno === undefined ? '' : ` ${errno}`})` : '';
  const hint = code === 'ERR_STATE_STORE_SCHEMA' && errno !== 1406 ? ': the tables are missing or of another version' : '';
  // the cause is the driver's error: it carries the server's message and the SQL text, never the password
  return new StateStoreError(code, `${description}: ${what} failed: ${detail}${tag}${hint}`, { cause: e });
}
