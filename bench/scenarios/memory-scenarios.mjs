/**
 * `scale` (100,000 desired vs 100,000 live through diff and the plan report, in a fresh child process) and
 * `plan-tree` (`plan` on a 10,000-file tree: loadTree alone in a child process, then the real `plan`
 * command under /usr/bin/time for wall time and peak RSS).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cliPath } from '../lib/cli-process.mjs';
import { startEmulatorProcess } from '../lib/emulator-process.mjs';
import { atMost, figure } from '../lib/figures.mjs';
import { instanceYaml, makeWorkspace, names } from '../lib/workspace.mjs';

const run = promisify(execFile);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** `scale`: one child process builds the inputs, then times DesiredStore+index, buildPlanReport and diff alone. */
export async function runScale({ quick }) {
  const count = quick ? 20_000 : 100_000;
  const { stdout } = await run(process.execPath, [here('./scale-worker.mjs'), String(count)], { maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout);
  const planS = (r.indexMs + r.planMs) / 1000;
  return {
    figures: [
      atMost(`scale ${count} vs ${count}: index + diff + plan report`, planS, 's', 1, `indexing ${Math.round(r.indexMs)} ms, plan report ${Math.round(r.planMs)} ms; the pure diff alone ${Math.round(r.diffOnlyMs)} ms; plan: ${r.summary.update} update, ${r.summary.stop} stop, ${r.summary.inSync} in sync`),
      atMost(`scale ${count} vs ${count}: peak RSS of the process`, r.peakRssMb, 'MB', 512, `${Math.round(r.rssInputsMb)} MB after building the inputs (desired + live objects)`),
    ],
    raw: r,
  };
}

function maxRssMbFromTime(stderr) {
  const match = stderr.match(/Maximum resident set size \(kbytes\): (\d+)/);
  return match ? Number(match[1]) / 1024 : NaN;
}

/** `plan-tree`: 10,000 one-document files against an empty emulator (so the plan creates all of them). */
export async function runPlanTree({ quick }) {
  const files = quick ? 2000 : 10_000;
  const ws = await makeWorkspace();
  const emu = await startEmulatorProcess(['--transition-ms', '10', '--log-level', 'warn']);
  try {
    const keys = names('app', files);
    for (let i = 0; i < files; i += 200) {
      await Promise.all(keys.slice(i, i + 200).map((name, j) => writeFile(join(ws.manifests, `f-${String(i + j).padStart(5, '0')}.yaml`), instanceYaml({ name, description: `d-${name}` }))));
    }
    const parse = JSON.parse((await run(process.execPath, [here('./load-tree-worker.mjs'), ws.manifests])).stdout);
    const planArgs = [cliPath(), 'plan', '--url', emu.url, '--manifests', ws.manifests, '--state-dir', ws.state, '--output', 'json', '--log-level', 'warn', '--qps', '1000'];
    const useTime = existsSync('/usr/bin/time');
    const t0 = performance.now();
    let planOut;
    try {
      planOut = useTime ? await run('/usr/bin/time', ['-v', process.execPath, ...planArgs], { maxBuffer: 64 << 20 }) : await run(process.execPath, planArgs, { maxBuffer: 64 << 20 });
    } catch (e) {
      planOut = e; // exit 2 = changes: still a result
    }
    const planS = (performance.now() - t0) / 1000;
    const report = JSON.parse(planOut.stdout);
    return {
      figures: [
        figure(`plan-tree ${files} files: parse (loadTree) time`, parse.parseMs / 1000, 's', { note: `${parse.instances} instances, complete ${parse.complete}; peak RSS of that process ${Math.round(parse.peakRssMb)} MB` }),
        figure(`plan-tree ${files} files: \`plan --output json\` wall time (process start to exit)`, planS, 's', { note: `${report.summary.create} to create (empty emulator), exit code ${planOut.code ?? 0}` }),
        figure(`plan-tree ${files} files: \`plan\` peak RSS`, useTime ? maxRssMbFromTime(planOut.stderr) : NaN, 'MB', { note: useTime ? 'from /usr/bin/time -v' : '/usr/bin/time missing: not measured' }),
      ],
      raw: { parse, planS },
    };
  } finally {
    await emu.stop();
    await ws.cleanup();
  }
}
