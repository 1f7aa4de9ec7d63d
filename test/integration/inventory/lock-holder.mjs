// Child process for state-lock.test.ts: takes the state lock, prints one line, then obeys stdin lines.
// argv: <transpiled state-lock module URL> <state dir>
// stdout: `locked <pid>`, or `failed <code> <message>` (then exits 0); `released` after a release.
// stdin: `release` (release, then wait for more), `exit` (process.exit(0) while holding or not).
import { createInterface } from 'node:readline';

const [moduleUrl, stateDir] = process.argv.slice(2);
const { StateLock } = await import(moduleUrl);

const log = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child: () => log };
const lock = new StateLock({ stateDir, log });
try {
  await lock.acquire();
  process.stdout.write(`locked ${process.pid}\n`);
} catch (e) {
  process.stdout.write(`failed ${e.code} ${e.message}\n`);
  process.exit(0);
}
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'release') {
    await lock.release();
    process.stdout.write('released\n');
  } else if (line === 'exit') {
    process.exit(0);
  }
}
