import type { DesiredInstance } from '../domain/instance.js';

/** JSON with object keys sorted at every level: equal values give equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Whether two desired instances ask for the same thing. `source` is ignored: a whitespace or comment
 * edit, or a document moved to another file, changes where it was declared but not what it asks for.
 */
export function sameDesired(a: DesiredInstance | undefined, b: DesiredInstance | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const { source: _a, ...restA } = a;
  const { source: _b, ...restB } = b;
  return canonicalJson(restA) === canonicalJson(restB);
}
