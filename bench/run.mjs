#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark scenario, prints each figure with its target and verdict, and
 * writes BENCHMARKS.md. Options: `--only name[,name]` (scenarios below), `--quick` (smaller sizes, for a
 * smoke test; does not write BENCHMARKS.md unless `--write`), `--out FILE`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runConverge, runConvergePolling } from './scenarios/converge.mjs';
import { runDrift, runLatency, runSteady } from './scenarios/daemon-scenarios.mjs';
import { runGitPolling, runGitTree, runGitWebhook } from './scenarios/git-scenarios.mjs';
import { runPlanTree, runScale } from './scenarios/memory-scenarios.mjs';
import { runNotifyHang } from './scenarios/notify-scenarios.mjs';
import { consoleLines, renderMarkdown } from './lib/report.mjs';

const scenarios = {
  converge: runConverge,
  'converge-polling': runConvergePolling,
  drift: runDrift,
  steady: runSteady,
  scale: runScale,
  'plan-tree': runPlanTree,
  latency: runLatency,
  'git-webhook': runGitWebhook,
  'git-polling': runGitPolling,
  'git-tree': runGitTree,
  'notify-hang': runNotifyHang,
};

function parseArgs(argv) {
  const options = { only: Object.keys(scenarios), quick: false, write: undefined, out: fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url)) };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--write') options.write = true;
    else if (arg === '--only') options.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--out') options.out = argv[++i];
    else throw new Error(`unknown argument ${arg}; use --only ${Object.keys(scenarios).join(',')} [--quick] [--write] [--out FILE]`);
  }
  const unknown = options.only.filter((name) => !(name in scenarios));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  options.write ??= !options.quick && options.only.length === Object.keys(scenarios).length;
  return options;
}

const options = parseArgs(process.argv.slice(2));
const startedAt = new Date();
const results = [];
for (const name of options.only) {
  const t0 = performance.now();
  try {
    const { figures } = await scenarios[name]({ quick: options.quick });
    results.push({ scenario: name, figures });
    for (const line of consoleLines(name, figures)) console.log(line);
  } catch (e) {
    results.push({ scenario: name, figures: [], error: e instanceof Error ? e.message.slice(0, 500) : String(e) });
    console.log(`[MISS] ${name}: failed to run: ${e instanceof Error ? e.stack : e}`);
  }
  console.log(`       ${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const durationS = (Date.now() - startedAt.getTime()) / 1000;
const misses = results.flatMap((r) => (r.error ? [r.scenario] : r.figures.filter((f) => f.pass === false).map((f) => f.name)));
console.log(`\n${misses.length} figure(s) missed their target${misses.length ? `:\n  ${misses.join('\n  ')}` : ''}`);
if (options.write) {
  const analysis = await readFile(fileURLToPath(new URL('./analysis.md', import.meta.url)), 'utf8');
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  await writeFile(options.out, renderMarkdown({ command, startedAt, durationS, results, analysis }));
  console.log(`wrote ${options.out}`);
}
