/**
 * The one writer of a terminal while a status line (apply's progress bar) sits at its bottom. Log
 * lines are written through it too (it is the logger's destination): each one erases the status
 * line, takes its place and the status line is drawn again below it. A log line never lands inside
 * the bar, and the bar never stays behind in the middle of the screen.
 *
 * Why not cli-progress, which apply used before: SingleBar saves the cursor position when it starts
 * and restores it when it stops (ESC 7 / ESC 8). Once log lines have scrolled the screen, that
 * restore sends the cursor back up into them, and the table printed next overwrites them: the
 * corrupted first row of issue 13. MultiBar's `log()` holds lines until its next 100 ms redraw, drops
 * what it still holds at `stop()`, and redraws an unchanged bar only with `forceRedraw` on every
 * frame. One line needs neither a timer nor cursor bookkeeping: this draws synchronously, in the
 * order things happen, with two sequences every terminal knows (`\r` and erase-line, `ESC [2K`).
 */
import type { Writable } from 'node:stream';

/** A stream that may be a terminal: `process.stderr`, or a test's fake with `isTTY` and `columns`. */
export type TerminalStream = Writable & { isTTY?: boolean; columns?: number };

const eraseLine = '\r\x1b[2K';
const fallbackColumns = 80;

export class StatusLine {
  readonly #out: TerminalStream;
  /** The status text on screen; undefined while none is drawn. */
  #status: string | undefined;
  /** The start of a log line whose newline has not arrived yet (held while a status is drawn). */
  #partial = '';

  constructor(out: TerminalStream) {
    this.#out = out;
  }

  /**
   * Draws `text` as the status line, replacing the one on screen. The text is cut to one character
   * less than the terminal width: a status that wrapped onto a second row could not be erased.
   */
  draw(text: string): void {
    this.#status = this.#fit(text);
    this.#out.write(`${eraseLine}${this.#status}`);
  }

  /**
   * Writes log text above the status line (pino's destination interface). While a status is drawn,
   * only whole lines are written, each batch followed by the status line again; with none drawn,
   * text passes straight through.
   */
  write(text: string): boolean {
    if (this.#status === undefined) return this.#out.write(text);
    this.#partial += text;
    const end = this.#partial.lastIndexOf('\n');
    if (end < 0) return true;
    const lines = this.#partial.slice(0, end + 1);
    this.#partial = this.#partial.slice(end + 1);
    return this.#out.write(`${eraseLine}${lines}${this.#status}`);
  }

  /**
   * Leaves the last status on its own line and ends it, so that whatever comes next (the table)
   * starts on a clean line. Later writes pass straight through. Safe to call twice, or with no
   * status drawn.
   */
  stop(): void {
    if (this.#status === undefined) return;
    this.#status = undefined;
    const held = this.#partial;
    this.#partial = '';
    this.#out.write(`\n${held}`);
  }

  #fit(text: string): string {
    const columns = this.#out.columns !== undefined && this.#out.columns > 1 ? this.#out.columns : fallbackColumns;
    const chars = [...text];
    return chars.length < columns ? text : `${chars.slice(0, columns - 2).join('')}…`;
  }
}
