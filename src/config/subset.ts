/**
 * The subset slice of the configuration (`--only`, `--selector`, plan and apply only): the names as a
 * list and the selector parsed, a bad selector reported as one issue naming its source and the bad term.
 */
import { parseSelector } from '../domain/selector.js';
import type { Subset } from '../controller/subset.js';
import type { RawValue } from './raw-values.js';
import type { Values } from './secrets.js';

type Inputs = Readonly<{ values: Values; raws: ReadonlyMap<string, RawValue>; issues: string[] }>;

/**
 * `--only` as its distinct names (a comma list; repeated flags were joined into one) and `--selector`
 * parsed (repeated flags are joined by commas too, so their terms add up). Neither set: the whole tree.
 */
export function subsetFrom(inputs: Inputs): Subset {
  const { values, raws, issues } = inputs;
  const onlyText = values.get('only');
  const only = typeof onlyText === 'string' ? [...new Set(onlyText.split(',').map((n) => n.trim()).filter((n) => n !== ''))] : [];
  if (typeof onlyText === 'string' && only.length === 0) issues.push(`${raws.get('only')?.label ?? '--only'}: expected instance names (a comma list), got \`${onlyText}\``);
  const selectorText = values.get('selector');
  if (typeof selectorText !== 'string') return { only, selector: undefined };
  const parsed = parseSelector(selectorText);
  if (parsed.ok) return { only, selector: parsed.selector };
  issues.push(`${raws.get('selector')?.label ?? '--selector'}: ${parsed.issue}`);
  return { only, selector: undefined };
}
