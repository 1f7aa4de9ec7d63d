/**
 * Keeps the README's configuration table equal to the option table in src/config/options.ts:
 * same options, same order, same short flag, env var, default, commands and meaning.
 */
import { expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { optionSpecs } from '../../../src/config.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

function configurationRows(): string[] {
  const start = readme.indexOf('\n## Configuration\n');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(-1);
  return readme
    .slice(start, end === -1 ? undefined : end)
    .split('\n')
    .filter((line) => /^\| `--?[a-zA-Z]/.test(line));
}

it('lists every option exactly as config.ts defines it', () => {
  const expected = optionSpecs.map((spec) => {
    const flag = `\`${spec.short ? `-${spec.short}, ` : ''}--${spec.name}${spec.valueName ? ` ${spec.valueName}` : ''}\``;
    return `| ${flag} | \`${spec.env}\` | ${spec.defaultText} | ${spec.commands.join(', ')} | ${spec.description} |`;
  });
  expect(configurationRows()).toEqual(expected);
});

