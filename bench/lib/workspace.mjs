/** Temp workspaces and generated manifest trees for the benchmarks. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `{ root, manifests, state, cleanup() }` under the OS temp folder. */
export async function makeWorkspace(prefix = 'rr-bench-') {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const manifests = join(root, 'manifests');
  await mkdir(manifests);
  return { root, manifests, state: join(root, 'state'), cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** One manifest document. */
export function instanceYaml({ name, description, image = 'docker:nginx:1.25', state }) {
  const lines = ['apiVersion: rancher-reconciler/v1', 'kind: Instance', 'metadata:', `  name: ${name}`, 'spec:', `  imageUuid: ${image}`];
  if (description !== undefined) lines.push(`  description: ${JSON.stringify(description)}`);
  if (state !== undefined) lines.push(`  state: ${state}`);
  return `${lines.join('\n')}\n`;
}

/** `count` names `prefix-00000` ... */
export function names(prefix, count) {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
}

/** Writes `keys` as files of `perFile` documents each (`group-N.yaml`); returns the file names. */
export async function writeTree(dir, keys, { perFile = 50, description = (k) => `d-${k}` } = {}) {
  const files = [];
  for (let start = 0, f = 0; start < keys.length; start += perFile, f++) {
    const file = `group-${String(f).padStart(5, '0')}.yaml`;
    await writeFile(join(dir, file), keys.slice(start, start + perFile).map((name) => instanceYaml({ name, description: description(name) })).join('---\n'));
    files.push(file);
  }
  return files;
}
