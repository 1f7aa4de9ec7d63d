/**
 * A small terminal, to assert what a person would see rather than which bytes were written: it plays
 * what a program wrote to a (pseudo-)terminal — `\r`, `\n`, `\b`, CSI cursor moves (`A B C D G`),
 * erases (`K`, `J`), ESC 7 / ESC 8 — onto rows of text. Colours and modes (SGR, `?25l`, `?7l`) and
 * OSC strings are dropped. There is no wrap and no screen height: rows grow as the cursor moves
 * down, so ESC 8 returns to the row ESC 7 saved, as on a terminal that has not scrolled (the
 * harshest case for a program that saves the cursor before its own output scrolls).
 */

type Cursor = { row: number; col: number };

class Screen {
  readonly rows: string[][] = [[]];
  cursor: Cursor = { row: 0, col: 0 };
  saved: Cursor = { row: 0, col: 0 };

  put(char: string): void {
    const row = this.#row();
    while (row.length < this.cursor.col) row.push(' ');
    row[this.cursor.col] = char;
    this.cursor.col += 1;
  }

  moveTo(row: number, col: number): void {
    this.cursor = { row: Math.max(0, row), col: Math.max(0, col) };
    this.#row();
  }

  erase(mode: number): void {
    const row = this.#row();
    if (mode === 0) row.length = Math.min(row.length, this.cursor.col);
    else if (mode === 1) for (let c = 0; c <= this.cursor.col && c < row.length; c += 1) row[c] = ' ';
    else row.length = 0;
  }

  eraseBelow(): void {
    this.erase(0);
    this.rows.length = this.cursor.row + 1;
  }

  #row(): string[] {
    while (this.rows.length <= this.cursor.row) this.rows.push([]);
    return this.rows[this.cursor.row] as string[];
  }
}

function csi(screen: Screen, params: string, final: string): void {
  const n = Number.parseInt(params.replace(/^\?/, ''), 10);
  const count = Number.isNaN(n) ? 1 : Math.max(1, n);
  const { row, col } = screen.cursor;
  if (final === 'A') screen.moveTo(row - count, col);
  else if (final === 'B') screen.moveTo(row + count, col);
  else if (final === 'C') screen.moveTo(row, col + count);
  else if (final === 'D') screen.moveTo(row, col - count);
  else if (final === 'G') screen.moveTo(row, count - 1);
  else if (final === 'K') screen.erase(Number.isNaN(n) ? 0 : n);
  else if (final === 'J') screen.eraseBelow();
  // m (colour), h/l (modes) and the rest change nothing a reader sees
}

/**
 * The rows of text `output` leaves on a terminal, trailing spaces trimmed. `onlcr` (default true):
 * `\n` also returns to column 0, as a pty's line discipline makes it for a program's output (what
 * `script` records has `\r\n` already, which reads the same either way).
 */
export function renderScreen(output: string, options: Readonly<{ onlcr?: boolean }> = {}): string[] {
  const onlcr = options.onlcr ?? true;
  const screen = new Screen();
  const chars = [...output];
  for (let i = 0; i < chars.length; i += 1) {
    const char = chars[i] as string;
    if (char === '\x1b') {
      const next = chars[i + 1];
      if (next === '[') {
        let j = i + 2;
        let params = '';
        while (j < chars.length && /[0-9;?]/.test(chars[j] as string)) params += chars[j++];
        csi(screen, params, chars[j] ?? '');
        i = j;
      } else if (next === ']') {
        // OSC: up to BEL or ESC \
        let j = i + 2;
        while (j < chars.length && chars[j] !== '\x07' && !(chars[j] === '\x1b' && chars[j + 1] === '\\')) j += 1;
        i = chars[j] === '\x07' ? j : j + 1;
      } else {
        if (next === '7') screen.saved = { ...screen.cursor };
        if (next === '8') screen.moveTo(screen.saved.row, screen.saved.col);
        i += 1;
      }
    } else if (char === '\r') screen.moveTo(screen.cursor.row, 0);
    else if (char === '\n') screen.moveTo(screen.cursor.row + 1, onlcr ? 0 : screen.cursor.col);
    else if (char === '\b') screen.moveTo(screen.cursor.row, screen.cursor.col - 1);
    else if (char >= ' ' || char === '\t') screen.put(char);
  }
  return screen.rows.map((row) => row.join('').trimEnd());
}

/** `output` without ANSI escape sequences (CSI, OSC, two-character ESC sequences). */
export function stripAnsi(output: string): string {
  return output.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_78]/g, '');
}
