import { describe, expect, test } from '@jest/globals';
import type { GitFailureReason } from '../../../src/errors.js';
import { classifyGitFailure, scrubSecrets } from '../../../src/source/git/git-failure.js';

const sha = '0123456789abcdef0123456789abcdef01234567';
const sshTail = 'fatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n';

describe('classifyGitFailure', () => {
  test.each<[string, string, GitFailureReason, string]>([
    ['a 401 without credentials (prompts disabled) is auth', "fatal: could not read Username for 'http://127.0.0.1:8080/x.git': terminal prompts disabled\n", 'auth', "HTTP 401, credentials missing or rejected: could not read Username for 'http://127.0.0.1:8080/x.git': terminal prompts disabled"],
    ['rejected credentials are auth', "fatal: Authentication failed for 'http://127.0.0.1:8080/x.git/'\n", 'auth', "Authentication failed for 'http://127.0.0.1:8080/x.git/'"],
    ['an HTTP 403 is auth', "fatal: unable to access 'https://git.example/x.git/': The requested URL returned error: 403\n", 'auth', "unable to access 'https://git.example/x.git/': The requested URL returned error: 403"],
    ['an ssh key the server refuses is auth', `root@127.0.0.1: Permission denied (publickey).\r\n${sshTail}`, 'auth', 'root@127.0.0.1: Permission denied (publickey).'],
    ['an unknown ssh host under strict checking is host-key', `No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n${sshTail}`, 'host-key', 'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.'],
    ['a changed ssh host key is host-key, named as such', `@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\nIT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\nHost key verification failed.\r\n${sshTail}`, 'host-key', 'WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!'],
    ['a bare host-key failure is host-key', `Host key verification failed.\r\n${sshTail}`, 'host-key', 'Host key verification failed.'],
    ['an HTTP 404 repository is not-found', "fatal: repository 'http://127.0.0.1:8080/missing.git/' not found\n", 'not-found', "repository 'http://127.0.0.1:8080/missing.git/' not found"],
    ['a missing path (file://, ssh) is not-found', `fatal: '/srv/git/missing.git' does not appear to be a git repository\n${sshTail}`, 'not-found', "'/srv/git/missing.git' does not appear to be a git repository"],
    ['a repository git daemon does not export is not-found', 'fatal: remote error: access denied or repository not exported: /missing.git\n', 'not-found', 'remote error: access denied or repository not exported: /missing.git'],
    ['a deleted branch is ref-not-found', 'fatal: couldn\'t find remote ref refs/heads/gone\n', 'ref-not-found', "couldn't find remote ref refs/heads/gone"],
    ['a sha the server does not have is ref-not-found', `fatal: remote error: upload-pack: not our ref ${sha}\n`, 'ref-not-found', `remote error: upload-pack: not our ref ${sha}`],
    ['a sha a v0 server will not serve is ref-not-found', `error: Server does not allow request for unadvertised object ${sha}\n`, 'ref-not-found', `Server does not allow request for unadvertised object ${sha}`],
    ['a local folder git cannot open is corrupt', "fatal: not a git repository: '/state/git/repo.git'\n", 'corrupt', "not a git repository: '/state/git/repo.git'"],
    ['a damaged loose object is corrupt', `error: inflate: data stream error (incorrect header check)\nerror: unable to unpack ${sha} header\nfatal: loose object ${sha} (stored in /r/objects/01/23) is corrupt\n`, 'corrupt', `loose object ${sha} (stored in /r/objects/01/23) is corrupt`],
    ['a missing object the repository refers to is corrupt', `fatal: bad object ${sha}\n`, 'corrupt', `bad object ${sha}`],
    ['an empty object file is corrupt', 'error: object file /r/objects/01/23 is empty\n', 'corrupt', 'object file /r/objects/01/23 is empty'],
    ['a damaged index is corrupt', 'fatal: index file corrupt\n', 'corrupt', 'index file corrupt'],
    ['an unreadable tree is corrupt', `fatal: unable to read tree ${sha}\n`, 'corrupt', `unable to read tree ${sha}`],
    ['a damaged repository on the server is failed, not corrupt (ours is fine)', `remote: error: object file ./objects/01/23 is empty\nremote: fatal: loose object ${sha} is corrupt\nfatal: early EOF\n`, 'failed', 'early EOF'],
    ['a server that says its repository is damaged is failed, not corrupt', 'fatal: remote error: bad object in the repository\n', 'failed', 'remote error: bad object in the repository'],
    ['a refused http connection is unreachable', "fatal: unable to access 'http://127.0.0.1:9/x.git/': Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server\n", 'unreachable', "unable to access 'http://127.0.0.1:9/x.git/': Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server"],
    ['an unknown host is unreachable', "fatal: unable to access 'https://nohost.invalid/x.git/': Could not resolve host: nohost.invalid\n", 'unreachable', "unable to access 'https://nohost.invalid/x.git/': Could not resolve host: nohost.invalid"],
    ['a TLS failure is unreachable', "fatal: unable to access 'https://git.example/x.git/': SSL certificate problem: self-signed certificate\n", 'unreachable', "unable to access 'https://git.example/x.git/': SSL certificate problem: self-signed certificate"],
    ['an HTTP 5xx is unreachable', "fatal: unable to access 'https://git.example/x.git/': The requested URL returned error: 502\n", 'unreachable', "unable to access 'https://git.example/x.git/': The requested URL returned error: 502"],
    ['a refused git:// connection is unreachable', 'fatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused\n', 'unreachable', '127.0.0.1[0: 127.0.0.1]: errno=Connection refused'],
    ['a refused ssh connection is unreachable', `ssh: connect to host 127.0.0.1 port 1: Connection refused\r\n${sshTail}`, 'unreachable', 'ssh: connect to host 127.0.0.1 port 1: Connection refused'],
    ['a connect timeout is unreachable', `ssh: connect to host 10.0.0.1 port 22: Connection timed out\r\n${sshTail}`, 'unreachable', 'ssh: connect to host 10.0.0.1 port 22: Connection timed out'],
    ['anything else is failed, with git\'s last fatal line', 'hint: some advice\nfatal: protocol error: bad line length character: HTTP\nhint: more advice\n', 'failed', 'protocol error: bad line length character: HTTP'],
    ['no fatal line: the last line that is not a hint', 'warning: something odd\nhint: advice\n', 'failed', 'warning: something odd'],
  ])('%s', (_rule, stderr, reason, detail) => {
    expect(classifyGitFailure(stderr, 128)).toEqual({ reason, detail });
  });

  test.each<[string, number | null, string]>([
    ['an exit code', 128, 'exit code 128, no message'],
    ['a signal', null, 'killed by a signal, no message'],
  ])('an empty stderr is failed and says how the process ended (%s)', (_how, exitCode, detail) => {
    expect(classifyGitFailure('', exitCode)).toEqual({ reason: 'failed', detail });
  });

  test('cuts a very long line', () => {
    const { detail } = classifyGitFailure(`remote: ${'x'.repeat(1000)}\n`, 1);
    expect(detail.length).toBe(300);
    expect(detail.endsWith('…')).toBe(true);
  });

  test('scrubs the secrets it is given from the detail', () => {
    expect(classifyGitFailure('remote: invalid token tok-123 for user\nfatal: Authentication failed\n', 128, ['tok-123'])).toEqual({
      reason: 'auth',
      detail: 'Authentication failed',
    });
    expect(classifyGitFailure('remote: invalid token tok-123 for user\n', 128, ['tok-123']).detail).toBe('remote: invalid token [redacted] for user');
  });
});

describe('scrubSecrets', () => {
  test.each<[string, string, readonly string[], string]>([
    ['redacts an Authorization header value', 'header: Authorization: Basic dXNlcjpwYXNz\nnext', [], 'header: Authorization: [redacted]\nnext'],
    ['redacts a bearer header whatever its case', '> authorization: Bearer abc.def', [], '> authorization: [redacted]'],
    ['strips user:password from a URL', "unable to access 'https://user:s3cret@git.example/x.git/'", [], "unable to access 'https://git.example/x.git/'"],
    ['strips a user name from a URL', 'ssh://git@127.0.0.1:2222/x.git', [], 'ssh://127.0.0.1:2222/x.git'],
    ['redacts every occurrence of a given secret', 'tok-1 and tok-1 again', ['tok-1'], '[redacted] and [redacted] again'],
    ['ignores an empty secret', 'plain text', [''], 'plain text'],
    ['leaves text without secrets alone', "fatal: couldn't find remote ref refs/heads/gone", ['pw'], "fatal: couldn't find remote ref refs/heads/gone"],
  ])('%s', (_rule, text, secrets, expected) => {
    expect(scrubSecrets(text, secrets)).toBe(expected);
  });
});
