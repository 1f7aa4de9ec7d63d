import { describe, expect, test, beforeAll, afterAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseInventory } from '../../../src/controller/inventory-file.js';
import { transpileForChild } from '../../helpers/transpile.js';

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(here, '../../../src');
const entries = 300;
const trials = 24;

/** Resolves with the child's first stdout line, or rejects when it exits or stays silent for 10 s. */
function firstLine(child: ReturnType<typeof spawn>, stderr: () => string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`child silent for 10 s: ${stderr()}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      if (buffer.includes('\n')) {
        clearTimeout(timer);
        resolvePromise(buffer.split('\n')[0]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before ready: ${stderr()}`));
    });
  });
}

let work: string;
let modulePath: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'inventory-crash-'));
  modulePath = await transpileForChild(join(srcRoot, 'controller/inventory.ts'), join(work, 'build'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('inventory writes under SIGKILL', () => {
  test(`a write killed at a random moment leaves the old or the new file, never a torn one (${trials} trials)`, async () => {
    const stateDir = join(work, 'state');
    const generations: number[] = [];
    for (let trial = 0; trial < trials; trial++) {
      let stderr = '';
      const child = spawn(process.execPath, [join(here, 'crash-writer.mjs'), pathToFileURL(modulePath).href, stateDir, String(entries)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
      try {
        expect(await firstLine(child, () => stderr)).toBe('ready');
        // The kill point is the thing under test: anywhere in the write/fsync/rename/fsync cycle.
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      } finally {
        // also when the child never got ready: a writer left running would load the next trials and files
        child.kill('SIGKILL');
        await exited;
      }

      const text = await readFile(join(stateDir, 'inventory.json'), 'utf8');
      const loaded = parseInventory(text, 'inventory.json');
      expect(loaded.size).toBe(entries);
      const tokens = new Set([...loaded.values()].map((e) => e.restartToken));
      expect(tokens.size).toBe(1);
      generations.push(Number([...tokens][0]!.slice('gen-'.length)));
    }
    // The kills landed while generations were being rewritten, not only before the first write.
    expect(Math.max(...generations)).toBeGreaterThan(1);
    // Each new child loaded the previous file (onCorrupt: 'throw') and cleaned temp files at load.
    const leftovers = (await readdir(stateDir)).filter((n) => n.includes('.corrupt-'));
    expect(leftovers).toEqual([]);
    // each trial may wait up to 10 s for its child's first line (firstLine): 24 x 10 s plus the transpile
  }, trials * 10_000 + 60_000);
});
