/** Benchmark figures: one measured value with its target and verdict. */

/**
 * A figure. `target` is a human string ('<= 5.75 s'), `pass` true/false when there is a target, null when
 * the figure is informational. `value` is rounded for display by `format`.
 */
export function figure(name, value, unit, { target = null, pass = null, note = '', contendedRatio = undefined } = {}) {
  return { name, value, unit, target, pass, note, ...(contendedRatio === undefined ? {} : { contendedRatio }) };
}

/** `value <= limit` as a figure verdict. */
export function atMost(name, value, unit, limit, note = '', extra = {}) {
  return figure(name, value, unit, { target: `<= ${format(limit)} ${unit}`.trim(), pass: value <= limit, note, ...extra });
}

/** `value === expected` as a figure verdict. */
export function exactly(name, value, unit, expected, note = '') {
  return figure(name, value, unit, { target: `= ${format(expected)} ${unit}`.trim(), pass: value === expected, note });
}

/** A compact number: integers as is, others to 3 significant digits (2 decimals at most). */
export function format(value) {
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toFixed(Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2)));
}

/** p-th percentile (0..100) of numbers, nearest-rank. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
