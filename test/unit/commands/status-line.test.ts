/**
 * StatusLine: the one writer of a terminal while apply's bar is drawn. Checked on the screen a
 * person would see (test/helpers/terminal-screen.ts), not on the bytes.
 */
import { describe, expect, it } from '@jest/globals';
import { StatusLine } from '../../../src/commands/status-line.js';
import { TextSink } from '../../helpers/cli.js';
import { renderScreen } from '../../helpers/terminal-screen.js';

function terminal(columns = 80): TextSink & { columns: number } {
  return Object.assign(new TextSink(), { isTTY: true, columns });
}

describe('StatusLine', () => {
  it('writes log lines above the status line and draws it again below them', () => {
    const out = terminal();
    const line = new StatusLine(out);
    line.write('before the bar\n');
    line.draw('bar 0/2');
    line.write('first log\n');
    line.draw('bar 1/2');
    line.write('second log\nthird log\n');
    line.draw('bar 2/2');
    line.stop();
    out.write('TABLE\n');
    expect(renderScreen(out.text)).toEqual(['before the bar', 'first log', 'second log', 'third log', 'bar 2/2', 'TABLE', '']);
  });

  it('holds a log line until its newline arrives, so that the bar never ends up inside it', () => {
    const out = terminal();
    const line = new StatusLine(out);
    line.draw('bar');
    line.write('half a ');
    expect(renderScreen(out.text)).toEqual(['bar']);
    line.write('line\nand the start of another');
    expect(renderScreen(out.text)).toEqual(['half a line', 'bar']);
    line.stop();
    expect(renderScreen(out.text)).toEqual(['half a line', 'bar', 'and the start of another']);
  });

  it('passes text straight through when no status line is drawn, before and after', () => {
    const out = terminal();
    const line = new StatusLine(out);
    line.write('a');
    line.stop();
    line.draw('bar');
    line.stop();
    line.stop();
    line.write('b\n');
    expect(out.text).toBe('a\r\x1b[2Kbar\nb\n');
  });

  it.each([
    ['fits as it is', 20, 'short', 'short'],
    ['is cut one column short of the width, so it can never wrap', 10, 'converging [████] 1/2', 'convergi…'],
    ['falls back to 80 columns when the terminal reports none', 0, 'x'.repeat(100), `${'x'.repeat(78)}…`],
  ])('a status line that %s', (_rule, columns, text, shown) => {
    const out = terminal(columns);
    new StatusLine(out).draw(text);
    expect(renderScreen(out.text)).toEqual([shown]);
  });
});
