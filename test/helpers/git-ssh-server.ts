/**
 * An sshd for git-over-ssh tests: OpenSSH's own server on 127.0.0.1 and a free port, run in the
 * foreground as the current user with a temporary config, host key and authorized client key. git
 * runs `git-upload-pack '<path>'` through it, as on any ssh git host.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { gitEnv } from '../../src/source/git/git-cli.js';
import { awaitLine, freePort, stopProcess } from './git-processes.js';

const sshdPath = '/usr/sbin/sshd';

/** A running sshd serving the bare repositories under its root by absolute path. */
export type SshGitServer = Readonly<{
  /** `ssh://<user>@127.0.0.1:<port><root>/<repo>`. */
  url(repo: string): string;
  /** A known_hosts file with the server's real key for `[127.0.0.1]:<port>`. */
  knownHostsFile: string;
  /** A known_hosts file naming `[127.0.0.1]:<port>` with another key: a changed host key. */
  wrongKnownHostsFile: string;
  /** The private key the server authorises. */
  clientKeyFile: string;
  /** A private key the server does not authorise. */
  unauthorizedKeyFile: string;
  stop(): Promise<void>;
}>;

/**
 * Starts sshd serving `root`, or returns `{ unavailable }` when OpenSSH's server is not installed (the
 * caller skips its ssh tests visibly). Any other start-up failure throws: an installed sshd that does not
 * start is a broken test setup, not a reason to skip.
 */
export async function startSshGitServer(options: { root: string }): Promise<SshGitServer | { unavailable: string }> {
  if (!existsSync(sshdPath)) return { unavailable: 'sshd not installed (apt-get install openssh-server)' };
  const dir = await mkdtemp(join(tmpdir(), 'git-sshd-'));
  for (const key of ['host_key', 'wrong_host_key', 'client_key', 'unauthorized_key']) await keygen(join(dir, key));
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')));
  // sshd started by root insists on its privilege separation folder, which only a booted system has
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    await writeFile(join(dir, 'sshd_config'), sshdConfig(dir, port));
    const child = spawn(sshdPath, ['-D', '-e', '-f', join(dir, 'sshd_config')], { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: gitEnv() });
    const ready = await awaitLine(child, /Server listening on 127\.0\.0\.1 port/);
    if (ready.ok) {
      const stop = async (): Promise<void> => {
        await stopProcess(child, 'SIGKILL', { group: true });
        await rm(dir, { recursive: true, force: true });
      };
      return await describeServer(dir, options.root, port, stop);
    }
    if (attempt >= 5 || !/in use/i.test(ready.output)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start: ${ready.output}`);
    }
  }
}

async function keygen(file: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'git-test', '-f', file], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`ssh-keygen ${file} exited ${code}`))));
  });
}

function sshdConfig(dir: string, port: number): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PrintMotd no',
    // protocol v2 over ssh: git sends GIT_PROTOCOL with SendEnv
    'AcceptEnv GIT_PROTOCOL',
    '',
  ].join('\n');
}

async function describeServer(dir: string, root: string, port: number, stop: () => Promise<void>): Promise<SshGitServer> {
  const hostLine = async (pub: string): Promise<string> => {
    const [type, key] = (await readFile(join(dir, pub), 'utf8')).trim().split(/\s+/);
    return `[127.0.0.1]:${port} ${type} ${key}\n`;
  };
  await writeFile(join(dir, 'known_hosts'), await hostLine('host_key.pub'));
  await writeFile(join(dir, 'wrong_known_hosts'), await hostLine('wrong_host_key.pub'));
  const user = userInfo().username;
  return {
    url: (repo) => `ssh://${user}@127.0.0.1:${port}${root}/${repo}`,
    knownHostsFile: join(dir, 'known_hosts'),
    wrongKnownHostsFile: join(dir, 'wrong_known_hosts'),
    clientKeyFile: join(dir, 'client_key'),
    unauthorizedKeyFile: join(dir, 'unauthorized_key'),
    stop,
  };
}
