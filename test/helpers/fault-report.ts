import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One row of the fault suite's report: a trial, what was injected and how it ended. */
export type FaultTrial = Readonly<{
  trial: string;
  faults: string;
  instances: number;
  /** e.g. 'converged', 'converged after 2 runs', 'NOT converged: ...'. */
  outcome: string;
  /** Extra numbers: requests, runs, kill time. */
  detail: string;
}>;

/**
 * Collects the trials of one fault test file and prints them as a table (and writes them as JSON) at the
 * end, so that the run shows what was injected and how each trial ended even when every test passes.
 */
export class FaultReport {
  readonly #title: string;
  readonly #file: string;
  readonly #rows: FaultTrial[] = [];

  constructor(deps: Readonly<{ title: string; file: string }>) {
    this.#title = deps.title;
    this.#file = deps.file;
  }

  /** Records one trial. */
  add(row: FaultTrial): void {
    this.#rows.push(row);
  }

  /** The rows so far. */
  rows(): readonly FaultTrial[] {
    return this.#rows;
  }

  /** Prints the table with console.log and writes `{title, trials}` to the JSON file given at construction. */
  async publish(): Promise<void> {
    const header = ['trial', 'faults', 'instances', 'outcome', 'detail'] as const;
    const widths = header.map((h) => Math.min(70, Math.max(h.length, ...this.#rows.map((r) => String(r[h]).length))));
    const line = (cells: readonly string[]): string => cells.map((c, i) => c.slice(0, 70).padEnd(widths[i]!)).join(' | ');
    const text = [`${this.#title} (${this.#rows.length} trials)`, line([...header]), widths.map((w) => '-'.repeat(w)).join('-+-'), ...this.#rows.map((r) => line(header.map((h) => String(r[h]))))].join('\n');
    console.log(text);
    await mkdir(dirname(this.#file), { recursive: true });
    await writeFile(this.#file, `${JSON.stringify({ title: this.#title, trials: this.#rows }, null, 2)}\n`);
  }
}
