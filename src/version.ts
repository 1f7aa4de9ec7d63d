/**
 * The program's version, read from package.json: the one place it is written down (npm publishes it,
 * `--version` prints it). src/ and dist/ are both one level below the package root, so the same
 * relative URL finds it from the sources under test and from the built or installed program.
 */
import { readFileSync } from 'node:fs';

/** The `version` field of the package's package.json. Throws when it has none (a broken install). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}
