/**
 * Which environment values `plan`, status and logs may show: everything in clear except names that look
 * secret (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*KEY*`, ...) and names the manifest lists in
 * `sensitiveEnvironment`. Pure.
 */
import type { FieldChange } from './plan.js';

/** Name fragments that mark a value as secret, matched case-insensitively anywhere in the name. */
export const secretNameFragments: readonly string[] = ['PASSWORD', 'PASSWD', 'PASS', 'SECRET', 'TOKEN', 'KEY', 'CREDENTIAL', 'PRIVATE', 'AUTH', 'CERT', 'SALT', 'DSN'];

/** True when an environment variable named `name` looks like it holds a secret. */
export function looksSecret(name: string): boolean {
  const upper = name.toUpperCase();
  return secretNameFragments.some((fragment) => upper.includes(fragment));
}

/** `changes` with the values of secret-looking or listed environment entries replaced by `(sensitive)`. */
export function maskSecrets(changes: readonly FieldChange[], listed: readonly string[] = []): FieldChange[] {
  return changes.map((change) => {
    if (!change.field.startsWith('environment.')) return change;
    const name = change.field.slice('environment.'.length);
    if (!looksSecret(name) && !listed.includes(name)) return change;
    return { field: change.field, from: change.from === null ? null : '(sensitive)', to: '(sensitive)', sensitive: true };
  });
}
