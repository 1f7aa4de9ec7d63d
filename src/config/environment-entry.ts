/**
 * The keys of one `environments` entry and its `manifests` value: one folder or a list of folders
 * (later ones overlay earlier ones: docs/overlays.md), relative to the config file's folder, or with the
 * git source relative to the repository root.
 */
import { posix, resolve } from 'node:path';

/** One entry as the YAML parser gave it. */
export type EnvironmentEntry = Readonly<Record<string, unknown>>;

/** Every key an entry may have, in the order the README documents them. */
export const entryKeys: readonly string[] = [
  'name', 'url', 'environment',
  'accessKey', 'accessKeyFile', 'accessKeyEnv', 'secretKey', 'secretKeyFile', 'secretKeyEnv',
  'caFile', 'insecureSkipTlsVerify', 'manifests',
  'qps', 'concurrency', 'requestTimeout', 'prune', 'maxDelete', 'maxUnavailable', 'resync',
];

type ManifestsContext = Readonly<{ label: string; baseDir: string; git: boolean; issues: string[] }>;

/**
 * The manifest layers: absolute folders (folder source), or normalised repository paths ('' = the root)
 * with the git source. Undefined, with the problem in `issues`, when missing or malformed.
 */
export function manifestsOf(raw: unknown, ctx: ManifestsContext): string[] | undefined {
  if (raw === undefined || raw === null) {
    ctx.issues.push(`${ctx.label}: is required: the folder (or list of folders, later ones overlaying earlier ones) of this environment's manifests`);
    return undefined;
  }
  const items = Array.isArray(raw) ? raw : [raw];
  if (items.length === 0 || items.some((item) => typeof item !== 'string' || item.trim() === '')) {
    ctx.issues.push(`${ctx.label}: expected a folder or a non-empty list of folders, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const layers = (items as string[]).map((item) => (ctx.git ? repoPath(item.trim(), ctx) : resolve(ctx.baseDir, item.trim())));
  if (layers.some((layer) => layer === undefined)) return undefined;
  const unique = new Set(layers);
  if (unique.size !== layers.length) ctx.issues.push(`${ctx.label}: lists a folder twice`);
  return unique.size === layers.length ? (layers as string[]) : undefined;
}

/** A folder inside the repository: relative, never leaving it (`..`), '/' separators. */
function repoPath(item: string, ctx: ManifestsContext): string | undefined {
  const normal = posix.normalize(item.replace(/\\/g, '/')).replace(/\/$/, '');
  if (normal.startsWith('/') || normal === '..' || normal.startsWith('../')) {
    ctx.issues.push(`${ctx.label}: with the git source the folders are inside the repository (relative, no \`..\`), got \`${item}\``);
    return undefined;
  }
  return normal === '.' ? '' : normal;
}
