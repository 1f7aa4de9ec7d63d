/** Child process of the `plan-tree` benchmark: loadTree on a folder, printing parse time and peak RSS as JSON. */
import { loadTree } from '../../dist/manifest/load-tree.js';

const dir = process.argv[2];
const t0 = performance.now();
const snapshot = await loadTree(dir);
const parseMs = performance.now() - t0;
let instances = 0;
for (const file of snapshot.files.values()) instances += file.instances.length;
process.stdout.write(`${JSON.stringify({ parseMs, files: snapshot.files.size, instances, complete: snapshot.complete, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
