/**
 * How the git source authenticates, and the environment that makes a git process do it. Pure: nothing
 * here reads files or the process environment, so every row is table-tested
 * (test/unit/source/git-auth.test.ts).
 *
 * Credentials never go into argv (visible in `ps` to every user of the host) or into a URL (git writes
 * remote URLs into FETCH_HEAD and config files). https credentials travel as an `http.extraHeader` set
 * through git's `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_<n>`/`GIT_CONFIG_VALUE_<n>` environment (git >= 2.31),
 * which only the process itself and root can read.
 */
import { assertNever } from '../../errors.js';

/**
 * Credentials for the git remote.
 * - `none`: anonymous (public https, git://, file://);
 * - `basic`: https user and password (a personal access token as the password for most forges);
 * - `bearer`: https `Authorization: Bearer <token>`;
 * - `ssh`: a private key file; `knownHostsFile` holds the accepted host keys. With
 *   `acceptNewHostKeys` false (strict) and no `knownHostsFile`, every host is unknown and every
 *   connection fails with `host-key`: config validation must reject that combination, not this module.
 *   With it true, unknown hosts are accepted (and not saved when there is no file); a changed key still fails.
 */
export type GitAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'ssh'; keyFile: string; knownHostsFile: string | undefined; acceptNewHostKeys: boolean };

/** ssh's ConnectTimeout, seconds: the TCP connect and handshake; the whole git run has its own timeout. */
const sshConnectTimeoutS = 30;

/**
 * The environment variables that make git use `auth`, to be merged over runGit's base environment.
 * `none` gives `{}`. Throws RangeError for an ssh path ssh cannot take (a `"` or a line break in it).
 */
export function gitAuthEnv(auth: GitAuth): Record<string, string> {
  switch (auth.kind) {
    case 'none':
      return {};
    case 'basic':
      return extraHeaderEnv(`Authorization: Basic ${basicToken(auth.username, auth.password)}`);
    case 'bearer':
      return extraHeaderEnv(`Authorization: Bearer ${auth.token}`);
    case 'ssh':
      return { GIT_SSH_COMMAND: sshCommand(auth) };
    default:
      return assertNever(auth, 'git auth kind');
  }
}

/**
 * Every secret value `auth` puts into a git process (password, token, the base64 credentials, the
 * header), for scrubbing git's output before it goes into a message. Empty for `none` and `ssh`: an
 * ssh key never appears in git's output, only its path does, which is not a secret.
 */
export function gitAuthSecrets(auth: GitAuth): string[] {
  switch (auth.kind) {
    case 'none':
    case 'ssh':
      return [];
    case 'basic':
      return [basicToken(auth.username, auth.password), auth.password].filter((s) => s !== '');
    case 'bearer':
      return auth.token === '' ? [] : [auth.token];
    default:
      return assertNever(auth, 'git auth kind');
  }
}

function basicToken(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

function extraHeaderEnv(header: string): Record<string, string> {
  return { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: header };
}

/**
 * The `GIT_SSH_COMMAND`, which git runs through `sh -c`. `-F /dev/null` keeps the user's ~/.ssh/config
 * out, as GIT_CONFIG_GLOBAL keeps ~/.gitconfig out; BatchMode turns every prompt into a failure.
 */
function sshCommand(auth: Extract<GitAuth, { kind: 'ssh' }>): string {
  const words = [
    'ssh',
    '-F', '/dev/null',
    '-i', shellQuote(sshPath(auth.keyFile)),
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', `StrictHostKeyChecking=${auth.acceptNewHostKeys ? 'accept-new' : 'yes'}`,
    '-o', shellQuote(`UserKnownHostsFile="${sshPath(auth.knownHostsFile ?? '/dev/null')}"`),
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', `ConnectTimeout=${sshConnectTimeoutS}`,
  ];
  return words.join(' ');
}

/**
 * A path as ssh reads it: ssh expands `%` tokens in IdentityFile and UserKnownHostsFile (so `%` is
 * written `%%`) and splits option values on spaces unless double-quoted (so a `"` cannot be written).
 */
function sshPath(path: string): string {
  if (/["\r\n]/.test(path)) throw new RangeError(`ssh cannot use a path with a double quote or line break: ${JSON.stringify(path)}`);
  return path.replace(/%/g, '%%');
}

/** POSIX single-quoting: safe for any byte string but NUL. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
