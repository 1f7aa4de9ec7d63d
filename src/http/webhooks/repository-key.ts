/**
 * Repository identity for webhook matching: which of the names a push payload gives for its repository
 * (clone URLs in every transport, or a bare `org/repo` full name) name the repository the git source
 * follows. Pure: no I/O, clock or logger.
 */

/** Default port per git transport; a URL that names its default port is the same as one that does not. */
const defaultPorts: Readonly<Record<string, string>> = {
  'http:': '80',
  'https:': '443',
  'ssh:': '22',
  'git+ssh:': '22',
  'ssh+git:': '22',
  'git:': '9418',
};

/**
 * git's scp-like syntax, `[user@]host:path`: a colon before any slash and not followed by `//` (which
 * would make it a URL). An IPv6 host comes in brackets (`[::1]:org/repo`).
 */
const scpLike = /^(?:[^@/\s]+@)?(\[[^\]\s]+\]|[^:/\s[\]]+):(?!\/\/)(.*)$/;

/** A full name as GitHub, GitLab and Gitea give it: `org/repo`, `group/subgroup/repo`; no scheme, host or spaces. */
const fullName = /^[^\s:@/]+(?:\/[^\s:@/]+)+\/?$/;

/**
 * The identity of a git remote: `host[:port]/path` for a network URL and `file://<path>` for a local one;
 * undefined when `url` is not a git URL at all (a full name, an empty string, an unknown scheme).
 *
 * Normalised so that every transport of one repository gives the same key: the scheme and userinfo are
 * dropped, a default port is dropped (`ssh://git@host:22/org/repo` = `https://host/org/repo`), the host
 * is lower-cased, duplicate, leading and trailing slashes and a trailing `.git` go. The path is
 * lower-cased too: GitHub, GitLab and Gitea resolve repository paths case-insensitively, so two spellings
 * are one repository there, and a false match only costs one extra poll while a false mismatch loses the
 * webhook. Local repositories (`file:///srv/repo.git`, `/srv/repo.git`) are only equal to the identical path.
 *
 * @example
 * repositoryKey('git@GitHub.com:Org/Repo.git'); // 'github.com/org/repo'
 * repositoryKey('ssh://git@host:2222/org/repo'); // 'host:2222/org/repo'
 */
export function repositoryKey(url: string): string | undefined {
  const text = url.trim();
  if (text === '') return undefined;
  if (text.startsWith('/')) return `file://${text}`;
  const scp = scpLike.exec(text);
  if (scp) return remoteKey(scp[1] ?? '', scp[2] ?? '');
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    // neither scp-like nor a URL: not a git remote (a full name is handled by isSameRepository)
    return undefined;
  }
  if (parsed.protocol === 'file:') return `file://${decodePath(parsed.pathname)}`;
  const defaultPort = defaultPorts[parsed.protocol];
  if (defaultPort === undefined || parsed.hostname === '') return undefined;
  // WHATWG URL keeps the port of a non-special scheme (ssh:, git:) even when it is the default
  const port = parsed.port === '' || parsed.port === defaultPort ? '' : `:${parsed.port}`;
  return remoteKey(`${parsed.hostname}${port}`, decodePath(parsed.pathname));
}

/**
 * True when `theirs` (a URL in any transport, or a bare full name such as `org/repo`) names the
 * repository at `ours` (the configured `--git-url`). A full name matches when it equals the path of
 * `ours` whatever the host; it never matches a local repository.
 */
export function isSameRepository(theirs: string, ours: string): boolean {
  const ourKey = repositoryKey(ours);
  if (ourKey === undefined) return false;
  const theirKey = repositoryKey(theirs);
  if (theirKey !== undefined) return theirKey === ourKey;
  const name = theirs.trim();
  if (!fullName.test(name) || ourKey.startsWith('file://')) return false;
  return ourKey.slice(ourKey.indexOf('/') + 1) === normalisePath(name);
}

function remoteKey(host: string, path: string): string | undefined {
  const normalised = normalisePath(path);
  return host === '' || normalised === '' ? undefined : `${host.toLowerCase()}/${normalised}`;
}

function normalisePath(path: string): string {
  const parts = path.split('/').filter((part) => part !== '');
  const last = parts.pop()?.replace(/\.git$/i, '');
  if (last !== undefined && last !== '') parts.push(last);
  return parts.join('/').toLowerCase();
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    // a stray `%` that is no escape: compare the path as written
    return path;
  }
}
