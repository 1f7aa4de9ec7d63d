/**
 * String comparison as Rancher's MySQL database does it. Cattle's database is created with the
 * `utf8_general_ci` collation, so `name=Web` finds `web`, and filters become SQL `=` / `LIKE` on it
 * (docs/rancher-v1.md#filters). Pure functions; no I/O.
 */

/**
 * The collation key of one character: the base letter without accents, upper-cased, as
 * `utf8_general_ci` weighs Latin letters (`é` = `E`, `ß` = `S`). Other scripts fold by case only.
 * An approximation of MySQL's weight table, close enough for names and labels.
 */
function foldChar(char: string): string {
  if (char === 'ß') return 'S';
  const base = char.normalize('NFD').replace(/\p{M}/gu, '') || char;
  const upper = base.toUpperCase();
  // a character whose upper case is longer (e.g. a ligature) keeps its own weight
  return [...upper].length === 1 ? upper : base;
}

/** The collation key of a string: equal keys compare equal under `utf8_general_ci`. */
export function foldCi(text: string): string {
  let out = '';
  for (const char of text) out += foldChar(char);
  return out;
}

/**
 * `=` under a PAD SPACE collation: trailing spaces do not count (`'web' = 'web  '` is true in MySQL
 * 5.x), then the case- and accent-insensitive keys must match.
 */
export function equalsCi(a: string, b: string): boolean {
  return collationKey(a) === collationKey(b);
}

/** The key under which `=` groups strings (PAD SPACE, then {@link foldCi}): an index key for name lookups. */
export function collationKey(text: string): string {
  return foldCi(text.replace(/ +$/, ''));
}

/** One parsed LIKE pattern element: a literal character or a wildcard. */
type LikeToken = { kind: 'char'; key: string } | { kind: 'one' } | { kind: 'any' };

/** Splits a LIKE pattern: `%` any run, `_` one character, `\` escapes the next one (MySQL's default escape). */
function tokenize(pattern: string): LikeToken[] {
  const chars = [...pattern];
  const tokens: LikeToken[] = [];
  for (let index = 0; index < chars.length; index += 1) {
    const char = chars[index]!;
    if (char === '\\' && index + 1 < chars.length) {
      index += 1;
      tokens.push({ kind: 'char', key: foldChar(chars[index]!) });
    } else if (char === '%') tokens.push({ kind: 'any' });
    else if (char === '_') tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', key: foldChar(char) });
  }
  return tokens;
}

/**
 * A matcher for `value LIKE pattern` with MySQL semantics on `utf8_general_ci`: case- and
 * accent-insensitive, `%`/`_` wildcards, `\` escape (a trailing `\` is a literal backslash), and no
 * PAD SPACE (trailing spaces count in LIKE). Matching is iterative with backtracking on the last `%`,
 * so a pattern cannot blow up the way a naive regular expression can.
 */
export function likeMatcher(pattern: string): (value: string) => boolean {
  const tokens = tokenize(pattern);
  return (value: string): boolean => {
    const keys = [...value].map(foldChar);
    let t = 0;
    let v = 0;
    let starT = -1;
    let starV = 0;
    while (v < keys.length) {
      const token = tokens[t];
      if (token?.kind === 'any') {
        starT = t++;
        starV = v;
      } else if (token && (token.kind === 'one' || token.key === keys[v])) {
        t += 1;
        v += 1;
      } else if (starT >= 0) {
        t = starT + 1;
        v = ++starV;
      } else return false;
    }
    while (tokens[t]?.kind === 'any') t += 1;
    return t === tokens.length;
  };
}
