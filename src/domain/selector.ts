/**
 * Label selectors as `kubectl -l` reads them, over a manifest's `spec.labels`. Pure.
 *
 * Terms are joined by commas and all of them must hold (AND):
 *
 * | term | holds when |
 * |---|---|
 * | `k=v`, `k==v` | label `k` is `v` |
 * | `k!=v` | label `k` is not `v`, or there is no label `k` (as kubectl) |
 * | `k in (a,b)` | label `k` is `a` or `b` |
 * | `k notin (a,b)` | label `k` is neither, or there is none |
 * | `k` | there is a label `k` |
 * | `!k` | there is no label `k` |
 *
 * Keys and values are any text without spaces, commas, `=`, `!` or parentheses (Rancher keys such as
 * `io.rancher.scheduler.affinity:host_label` included); a value may be empty (`k=`). A value a selector
 * cannot spell (a space, a comma) cannot be selected on: name the instances with `--only` instead.
 */

/** One term of a selector. */
export type SelectorTerm =
  | Readonly<{ op: 'equals' | 'not-equals'; key: string; value: string }>
  | Readonly<{ op: 'in' | 'not-in'; key: string; values: readonly string[] }>
  | Readonly<{ op: 'exists' | 'not-exists'; key: string }>;

/** A parsed selector; `text` is what was given (trimmed), for messages. */
export type LabelSelector = Readonly<{ text: string; terms: readonly SelectorTerm[] }>;

export type SelectorParse = Readonly<{ ok: true; selector: LabelSelector }> | Readonly<{ ok: false; issue: string }>;

const word = String.raw`[^\s,=!()]+`;
const keyOnly = new RegExp(`^(${word})$`);
const notExists = new RegExp(String.raw`^!\s*(${word})$`);
const compare = new RegExp(String.raw`^(${word})\s*(==|=|!=)\s*([^\s,=!()]*)$`);
const inSet = new RegExp(String.raw`^(${word})\s+(in|notin)\s*\(([^()]*)\)$`);

const expected = 'expected key=value, key!=value, key in (a,b), key notin (a,b), key or !key';

/** The terms of `text` split on the commas outside parentheses, each trimmed. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (char === ',' && depth === 0) {
      terms.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  terms.push(text.slice(start).trim());
  return terms;
}

function parseTerm(term: string): SelectorTerm | undefined {
  const set = inSet.exec(term);
  if (set !== null) {
    const values = (set[3] ?? '').split(',').map((v) => v.trim());
    if (values.some((v) => !keyOnly.test(v))) return undefined;
    return { op: set[2] === 'in' ? 'in' : 'not-in', key: set[1] ?? '', values };
  }
  const cmp = compare.exec(term);
  if (cmp !== null) return { op: cmp[2] === '!=' ? 'not-equals' : 'equals', key: cmp[1] ?? '', value: cmp[3] ?? '' };
  const absent = notExists.exec(term);
  if (absent !== null) return { op: 'not-exists', key: absent[1] ?? '' };
  const present = keyOnly.exec(term);
  return present === null ? undefined : { op: 'exists', key: present[1] ?? '' };
}

/**
 * Parses a selector. The issue of a bad one names the first bad term and the forms allowed, e.g.
 * ``bad term `tier=web=x`: expected key=value, ...``; an empty selector or an empty term is an issue.
 */
export function parseSelector(input: string): SelectorParse {
  const text = input.trim();
  if (text === '') return { ok: false, issue: `empty selector: ${expected}` };
  const terms: SelectorTerm[] = [];
  for (const raw of splitTerms(text)) {
    const term = raw === '' ? undefined : parseTerm(raw);
    if (term === undefined) return { ok: false, issue: raw === '' ? `empty term in \`${text}\` (a stray comma?)` : `bad term \`${raw}\`: ${expected}` };
    terms.push(term);
  }
  return { ok: true, selector: { text, terms } };
}

function holds(term: SelectorTerm, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, term.key);
  const value = labels[term.key];
  switch (term.op) {
    case 'equals':
      return has && value === term.value;
    case 'not-equals':
      return !has || value !== term.value;
    case 'in':
      return has && term.values.includes(value ?? '');
    case 'not-in':
      return !has || !term.values.includes(value ?? '');
    case 'exists':
      return has;
    case 'not-exists':
      return !has;
  }
}

/** Whether every term holds for `labels` (absent labels = none). */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  return selector.terms.every((term) => holds(term, labels ?? {}));
}
