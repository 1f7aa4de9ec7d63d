/**
 * Child process of the `scale` benchmark: 100,000 desired vs 100,000 live in memory, through the real
 * DesiredStore, StaticLiveView and buildPlanReport (which calls the pure diff once per key) from dist/.
 * Prints one JSON line: timings and this process's peak RSS. Run alone so the RSS is its own.
 */
import { diff } from '../../dist/domain/diff.js';
import { DesiredStore } from '../../dist/manifest/store.js';
import { StaticLiveView } from '../../dist/controller/static-live-view.js';
import { buildPlanReport } from '../../dist/controller/plan-report.js';

const count = Number(process.argv[2] ?? 100_000);
const perFile = 100;
const key = (i) => `app-${String(i).padStart(6, '0')}`;

// Desired: `count` instances in files of 100; every 100th has a new description, every 100th+1 is stopped.
const files = new Map();
for (let f = 0; f * perFile < count; f++) {
  const instances = [];
  for (let i = f * perFile; i < Math.min(count, (f + 1) * perFile); i++) {
    instances.push({
      key: key(i),
      spec: { name: key(i), description: i % 100 === 0 ? 'changed' : `d-${i}`, imageUuid: 'docker:nginx:1.25', environment: { A: '1' } },
      state: i % 100 === 1 ? 'stopped' : 'running',
      onImmutableChange: 'block',
      source: { file: `group-${f}.yaml`, line: 1, col: 1 },
    });
  }
  files.set(`group-${f}.yaml`, { instances, issues: [] });
}
const live = [];
const entries = [];
for (let i = 0; i < count; i++) {
  const id = `1i${i + 1}`;
  live.push({
    id, uuid: `uuid-${i}`, name: key(i), description: `d-${i}`, state: 'running', transitioning: 'no', transitioningMessage: null,
    actions: new Set(['stop', 'restart', 'update', 'remove']), hostId: '1h1', externalId: null, removed: false, createdMs: 1,
    fields: { imageUuid: 'docker:nginx:1.25', environment: { A: '1', RANCHER_ADDED: 'x' } },
  });
  entries.push({ key: key(i), id, uuid: `uuid-${i}`, name: key(i), origin: 'created' });
}
const byKey = new Map(entries.map((e) => [e.key, e]));
const ownerById = new Map(entries.map((e) => [e.id, e.key]));
// the slice of Inventory that buildPlanReport reads (the real class would write a 100,000-entry file)
const inventory = { get: (k) => byKey.get(k), ownerOf: (id) => ownerById.get(id), entries: () => entries, get size() { return entries.length; } };
const api = { get: async () => undefined };
const rssInputsMb = process.memoryUsage().rss / 2 ** 20;

const t0 = performance.now();
const store = new DesiredStore();
store.apply({ revision: 'bench', root: '/bench', complete: true, files, issues: [] });
const view = new StaticLiveView(live);
const t1 = performance.now();
const report = await buildPlanReport({ desired: store, inventory, live: view, api, prune: false, maxDelete: undefined });
const t2 = performance.now();
// the pure diff alone, one call per key, over the same indexes
let acted = 0;
for (const instance of live) {
  const desired = store.get(instance.name);
  const plan = diff({ key: instance.name, desired, owned: { entry: byKey.get(instance.name), live: view.get(instance.id) }, named: view.byName(instance.name) });
  if (plan.kind === 'act') acted += 1;
}
const t3 = performance.now();
process.stdout.write(`${JSON.stringify({
  count,
  indexMs: t1 - t0,
  planMs: t2 - t1,
  diffOnlyMs: t3 - t2,
  summary: report.summary,
  acted,
  rssInputsMb,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
})}\n`);
