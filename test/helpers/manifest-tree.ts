import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type InstanceDoc = Readonly<{
  name: string;
  image?: string;
  description?: string;
  state?: 'running' | 'stopped';
  restartToken?: string;
  extra?: string;
}>;

/** One manifest document as YAML text. */
export function instanceYaml(doc: InstanceDoc): string {
  const lines = [
    'apiVersion: rancher-reconciler/v1',
    'kind: Instance',
    'metadata:',
    `  name: ${doc.name}`,
    'spec:',
    `  imageUuid: ${doc.image ?? 'docker:nginx:1.25'}`,
  ];
  if (doc.description !== undefined) lines.push(`  description: ${JSON.stringify(doc.description)}`);
  if (doc.state !== undefined) lines.push(`  state: ${doc.state}`);
  if (doc.restartToken !== undefined) lines.push(`  restartToken: ${JSON.stringify(doc.restartToken)}`);
  if (doc.extra !== undefined) lines.push(doc.extra);
  return `${lines.join('\n')}\n`;
}

/** A temp folder with a manifests/ tree and a state/ dir, removed by `cleanup()`. */
export async function makeWorkspace(prefix = 'rr-e2e-'): Promise<{ root: string; manifests: string; state: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const manifests = join(root, 'manifests');
  const state = join(root, 'state');
  await mkdir(manifests);
  return { root, manifests, state, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Writes `docs` as one multi-document file `file` under `dir`. */
export async function writeManifestFile(dir: string, file: string, docs: readonly InstanceDoc[]): Promise<void> {
  await writeFile(join(dir, file), docs.map(instanceYaml).join('---\n'));
}

/** Names `prefix-000` ... for `count` instances. */
export function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
}
