/**
 * Checking an `Authorization: Bearer <token>` header against the configured token in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * True when `header` is `Bearer <token>` (scheme case-insensitive) with exactly the expected token.
 * Both sides are hashed first so the comparison takes the same time whatever the lengths, and neither
 * value is ever logged or echoed.
 */
export function hasBearerToken(header: string | undefined, expected: string): boolean {
  const match = /^bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = match?.[1] ?? '';
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  // evaluate the constant-time compare even for an empty token, so a missing header costs the same
  return timingSafeEqual(a, b) && given !== '';
}
