#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark scenario, prints each figure with its target and verdict, and
 * writes BENCHMARKS.md. Options: `--only name[,name]` (scenarios below), `--quick` (smaller sizes, for a
 * smoke test; does not write BENCHMARKS.md unless `--write`), `--out FILE`, `--contended` (each scenario
 * runs a second time with two CPU-bound processes beside it: bench/lib/contention.mjs; the report shows
 * both columns side by side).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runConverge, runConverge10k, runConvergePolling } from './scenarios/converge.mjs';
import { runDrift, runLatency, runSteady } from './scenarios/daemon-scenarios.mjs';
import { runEnvironments } from './scenarios/environments-scenarios.mjs';
import { runGitPolling, runGitTree, runGitWebhook } from './scenarios/git-scenarios.mjs';
import { runPlanTree, runScale } from './scenarios/memory-scenarios.mjs';
import { runNotifyHang } from './scenarios/notify-scenarios.mjs';
import { runFailover, runStoreThroughput } from './scenarios/replica-scenarios.mjs';
import { runStartup } from './scenarios/startup-scenarios.mjs';
import { consoleLines, renderMarkdown } from './lib/report.mjs';
import { contendedVerdict, startContention } from './lib/contention.mjs';

const scenarios = {
  converge: runConverge,
  'converge-10k': runConverge10k,
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
  environments: runEnvironments,
  startup: runStartup,
  failover: runFailover,
  'store-throughput': runStoreThroughput,
};

function parseArgs(argv) {
  const options = { only: Object.keys(scenarios), quick: false, contended: false, write: undefined, out: fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url)) };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--write') options.write = true;
    else if (arg === '--contended') options.contended = true;
    else if (arg === '--only') options.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--out') options.out = argv[++i];
    else throw new Error(`unknown argument ${arg}; use --only ${Object.keys(scenarios).join(',')} [--quick] [--contended] [--write] [--out FILE]`);
  }
  const unknown = options.only.filter((name) => !(name in scenarios));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  options.write ??= !options.quick && options.only.length === Object.keys(scenarios).length;
  return options;
}

const options = parseArgs(process.argv.slice(2));
const startedAt = new Date();
const results = [];

/** One run of `name`: its figures, or the error it failed with. */
async function runOnce(name) {
  try {
    const { figures } = await scenarios[name]({ quick: options.quick });
    return { figures };
  } catch (e) {
    console.log(`[MISS] ${name}: failed to run: ${e instanceof Error ? e.stack : e}`);
    return { figures: [], error: e instanceof Error ? e.message.slice(0, 500) : String(e) };
  }
}

/** The contended run of `name`, two busy loops beside it, always stopped. */
async function runContended(name) {
  const contention = await startContention(2);
  try {
    return await runOnce(name);
  } finally {
    await contention.stop();
  }
}

for (const name of options.only) {
  const t0 = performance.now();
  const quiet = await runOnce(name);
  for (const line of consoleLines(name, quiet.figures)) console.log(line);
  const result = { scenario: name, ...quiet };
  if (options.contended) {
    const contended = await runContended(name);
    for (const line of consoleLines(`${name} (busy)`, contended.figures)) console.log(line);
    result.contended = contended;
  }
  results.push(result);
  console.log(`       ${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const durationS = (Date.now() - startedAt.getTime()) / 1000;
const contendedMisses = (r) => (r.contended?.figures ?? [])
  .filter((c) => contendedVerdict(r.figures.find((f) => f.name === c.name), c) === false)
  .map((c) => `${c.name} (busy: over its ratio to quiet)`);
const misses = results.flatMap((r) => (r.error ? [r.scenario] : [...r.figures.filter((f) => f.pass === false).map((f) => f.name), ...contendedMisses(r)]));
console.log(`\n${misses.length} figure(s) missed their target${misses.length ? `:\n  ${misses.join('\n  ')}` : ''}`);
if (options.write) {
  const analysis = await readFile(fileURLToPath(new URL('./analysis.md', import.meta.url)), 'utf8');
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  await writeFile(options.out, renderMarkdown({ command, startedAt, durationS, results, analysis }));
  console.log(`wrote ${options.out}`);
}
