/**
 * Count words in the program's output (`1 instance`, `2 instances`, `1 removal exceeds`): the one
 * place that picks a singular or a plural, so that no message says `1 errors`. English only, as the
 * rest of the output is; Intl.PluralRules decides (0 and 1.5 are plural, 1 is singular).
 *
 * It lives at the top of src/ rather than in commands/ because the controller's messages (the delete
 * budget, /healthz) count things too and must not import from commands/.
 */

const rules = new Intl.PluralRules('en');

/**
 * The form of `singular` that goes with `n`: `singular` for one, else `plural` (default: `singular`
 * plus `s`). For a verb, pass both forms: `pluralWord(n, 'exceeds', 'exceed')`.
 */
export function pluralWord(n: number, singular: string, plural = `${singular}s`): string {
  return rules.select(n) === 'one' ? singular : plural;
}

/**
 * `n` and the form of the noun that goes with it.
 *
 * @example
 * plural(1, 'instance'); // '1 instance'
 * plural(0, 'error');    // '0 errors'
 * plural(2, 'match', 'matches'); // '2 matches'
 */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${pluralWord(n, singular, pluralForm)}`;
}
