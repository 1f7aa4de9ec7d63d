/**
 * What a failed git process means, read from its stderr: the {@link GitFailureReason} the git source
 * reports, and the one line of git's output worth showing, with every credential scrubbed out. Pure, so
 * the whole table is tested row by row (test/unit/source/git-failure.test.ts).
 *
 * git has no machine-readable error codes; its messages are stable under `LC_ALL=C`, which runGit sets.
 * The patterns come from git 2.39, curl, OpenSSH 9 and git daemon as they print them.
 */
import type { GitFailureReason } from '../../errors.js';

/**
 * One classification rule: the first rule (in table order) whose pattern matches any stderr line wins.
 * `explain` goes before git's line where git's own words mislead. A `localOnly` rule ignores lines the
 * server sent (`remote: ...`): a damaged repository on the server is not a reason to re-clone ours.
 */
type FailureRule = Readonly<{ reason: GitFailureReason; pattern: RegExp; explain?: string; localOnly?: boolean }>;

/**
 * The table, most specific first. Order matters where a stderr holds several lines: ssh prints a
 * host-key warning and then "Could not read from remote repository"; curl's "returned error: 404" must
 * not fall through to the generic "unable to access" (unreachable) row.
 */
const failureRules: readonly FailureRule[] = [
  { reason: 'host-key', pattern: /REMOTE HOST IDENTIFICATION HAS CHANGED/ },
  { reason: 'host-key', pattern: /No [A-Z0-9-]+ host key is known for/ },
  { reason: 'host-key', pattern: /Host key verification failed/ },
  { reason: 'auth', pattern: /Authentication failed/i },
  // git's answer to a 401 when it may not prompt, also when the credentials it sent were rejected
  { reason: 'auth', pattern: /could not read (Username|Password)/, explain: 'HTTP 401, credentials missing or rejected' },
  { reason: 'auth', pattern: /Permission denied \(publickey/ },
  { reason: 'auth', pattern: /returned error: 40[13]\b|\bHTTP 40[13]\b/ },
  { reason: 'not-found', pattern: /repository '[^']*' not found/ },
  { reason: 'not-found', pattern: /does not appear to be a git repository/ },
  { reason: 'not-found', pattern: /returned error: 404\b|\bHTTP 404\b/ },
  // git daemon: "access denied or repository not exported", or with --informative-errors "no such repository"
  { reason: 'not-found', pattern: /repository not exported|no such repository/ },
  { reason: 'ref-not-found', pattern: /couldn't find remote ref|not our ref|no such remote ref|does not allow request for unadvertised object/ },
  // the local clone only: the remote side of the same problem reads "does not appear to be", above
  { reason: 'corrupt', pattern: /\bnot a git repository\b/, localOnly: true },
  { reason: 'corrupt', pattern: /bad object|corrupt|unable to read tree|object file .* is empty|packfile .* cannot be accessed|bad packed object/, localOnly: true },
  { reason: 'unreachable', pattern: /Could not resolve host|Connection refused|Failed to connect|Connection timed out|Operation timed out/ },
  { reason: 'unreachable', pattern: /Network is unreachable|No route to host|Connection reset|Connection closed by/ },
  { reason: 'unreachable', pattern: /SSL|TLS|certificate|gnutls/ },
  { reason: 'unreachable', pattern: /returned error: 5\d\d\b|\bHTTP 5\d\d\b|unable to access '/ },
];

/** The outcome of {@link classifyGitFailure}: why, and the line that says so (already scrubbed of secrets). */
export type GitFailure = Readonly<{ reason: GitFailureReason; detail: string }>;

/** Longest detail line kept; git's lines are short, a server's `remote:` message may not be. */
const maxDetailChars = 300;

/**
 * Classifies a failed git process from its stderr and exit code (`null` when a signal ended it). Never
 * returns `timeout` or `aborted`: only the caller knows it killed the process. `detail` is the line that
 * decided the reason, else git's last `fatal:`/`error:` line, else the last line, else the exit status;
 * credentials in it are scrubbed with {@link scrubSecrets} (pass the values you gave git in `secrets`).
 */
export function classifyGitFailure(stderr: string, exitCode: number | null, secrets: readonly string[] = []): GitFailure {
  const lines = stderr.split(/\r?\n|\r/).map(tidyLine).filter((line) => line !== '');
  for (const rule of failureRules) {
    const line = lines.find((candidate) => rule.pattern.test(candidate) && !(rule.localOnly === true && isServerLine(candidate)));
    if (line === undefined) continue;
    const detail = shorten(scrubSecrets(line, secrets));
    return { reason: rule.reason, detail: rule.explain === undefined ? detail : `${rule.explain}: ${detail}` };
  }
  const last = lines.findLast((line) => /^(fatal|error):/.test(line)) ?? lines.findLast((line) => !line.startsWith('hint:'));
  const fallback = exitCode === null ? 'killed by a signal, no message' : `exit code ${exitCode}, no message`;
  return { reason: 'failed', detail: shorten(scrubSecrets(last ?? fallback, secrets)) };
}

/** A line the server sent, which git prefixes with `remote:` (sideband) or `remote error:` (ERR packet). */
function isServerLine(line: string): boolean {
  return /^((fatal|error): )?remote( error)?:/.test(line);
}

/** Drops what carries no meaning: surrounding space and the `@@@` frames ssh draws around warnings. */
function tidyLine(line: string): string {
  return line.replace(/^[@\s]+|[@\s]+$/g, '');
}

function shorten(line: string): string {
  const bare = line.replace(/^(fatal|error): /, '');
  return bare.length > maxDetailChars ? `${bare.slice(0, maxDetailChars - 1)}…` : bare;
}

/**
 * Removes credentials from text meant for a message or a log: the value of any `Authorization:` header,
 * the userinfo of any URL (`https://user:pass@host` → `https://host`), and every string in `secrets`
 * (a password, a token, the base64 of `user:password`) wherever it appears. Empty secrets are ignored.
 */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let scrubbed = text
    .replace(/(authorization:\s*)[^\r\n]*/gi, '$1[redacted]')
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]+@/gi, '$1');
  for (const secret of secrets) {
    if (secret !== '') scrubbed = scrubbed.split(secret).join('[redacted]');
  }
  return scrubbed;
}
