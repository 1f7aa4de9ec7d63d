/**
 * `rancher-reconciler export`: reads the live containers once and writes them as manifests, one file
 * per instance into `--output-dir` or every one into `--file` (`-` = stdout), chosen so that `plan`
 * then shows only adoptions; with `--adopt` it records them in the inventory too (under the state lock,
 * as `apply` takes it), and `plan` shows nothing to do. Nothing is written when anything is wrong: a
 * `--name` that selects nothing, an existing file (without `--force`), a key or Rancher name another
 * file in the folder declares. Exit 0 written; 1 an error. Messages and the summary go to stderr; stdout
 * carries only `--file -` output. Without `--adopt` nothing in the state dir is written.
 * With the config file's environments: a section each on stderr (environment-runs.ts), written by
 * default into the environment's first manifests folder (see withEnvironmentOutput); exit 1 when any failed.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { isErrno, writeFileAtomic } from '../controller/atomic-file.js';
import { Inventory } from '../controller/inventory.js';
import { StateLock } from '../controller/state-lock.js';
import { applyInventoryEffect } from '../domain/inventory-record.js';
import type { LiveInstance } from '../domain/instance.js';
import { coerceError } from '../errors.js';
import { planAdoptions, type AdoptionPlan } from '../export/adoption.js';
import { planExport, type ExportedInstance, type ExportMessage, type ExportPlan } from '../export/export-plan.js';
import { renderManifestFile } from '../export/manifest-yaml.js';
import { createLogger, type Logger } from '../logger.js';
import { loadTree } from '../manifest/load-tree.js';
import { openRancher } from '../rancher-connection.js';
import { fatalApiCondition } from '../rancher/api-condition.js';
import { plural } from '../plural.js';
import { exitCodes, type CliContext } from './context.js';
import { reconcilerCommand } from './reconciler-command.js';
import { environmentHeader, forEachEnvironment } from './environment-runs.js';
import { listsEnvironments, selectedEnvironments } from '../config/environment-config.js';

/** One file to write: its absolute path (or `-`), its text and the instances in it. */
type Target = Readonly<{ path: string; text: string; instances: readonly ExportedInstance[] }>;

export function exportCommand(ctx: CliContext): Command {
  return reconcilerCommand(ctx, 'export', 'write manifests for the live containers (running only unless --include-stopped or --state; exit 0 written, 1 error)', 'stderr', async (config) => {
    const log = createLogger(config.log, ctx.stderr);
    const several = listsEnvironments(config) && selectedEnvironments(config).length > 1;
    const { file } = config.export;
    // One file for several environments would declare the same key once per environment (an invalid
    // tree) and has no name to split by; refusing, and naming the way out, is less surprising than a
    // file per environment under names the operator never typed. A folder does have a natural split
    // (`<dir>/<env>/`, below), and stdout is sectioned like every other command's output.
    if (several && file !== undefined && file !== '-') {
      ctx.stderr.write(`error: --file ${shown(ctx, file)} is one file, but ${plural(selectedEnvironments(config).length, 'environment')} are selected: choose one with --env NAME, or use --output-dir DIR (one folder per environment) or --file -\n`);
      ctx.setExitCode(exitCodes.error);
      return;
    }
    await forEachEnvironment(ctx, config, log, { headerTo: 'stderr' }, async (run) => {
      if (several && file === '-') run.ctx.stdout.write(`# ${environmentHeader(run.environment.name)}`);
      await exportEnvironment(run.ctx, listsEnvironments(config) ? withEnvironmentOutput(run.config, run.environment.name, several) : run.config, run.log);
    });
  });
}

/**
 * Where a listed environment's export goes: by default into the environment's first manifests folder
 * (the folder it reads, so `plan` then shows only adoptions); with `--output-dir DIR` and several
 * environments into `DIR/<name>/` (a folder each, nothing of one overwritten by another); else as given.
 * With a git source the manifests are not a local folder, so the usual default stays.
 */
function withEnvironmentOutput(config: Config, name: string, several: boolean): Config {
  const options = config.export;
  if (options.file !== undefined) return config;
  if (options.outputDirGiven) return several ? { ...config, export: { ...options, outputDir: join(options.outputDir, name) } } : config;
  return config.git === undefined ? { ...config, export: { ...options, outputDir: config.manifests.dir } } : config;
}

/** Exports the environment of `config`: reads its containers once and writes them (see the file comment). */
async function exportEnvironment(ctx: CliContext, config: Config, log: Logger): Promise<void> {
  const lock = config.export.adopt ? new StateLock({ stateDir: config.stateDir, log: log.child({ component: 'state-lock' }) }) : undefined;
  // before anything is read: a running daemon (or apply) owns the inventory, and this says so at once
  await lock?.acquire();
  const inventory = new Inventory({ stateDir: config.stateDir, clock: systemClock, log: log.child({ component: 'inventory' }) });
  try {
    await inventory.load(config.export.adopt ? { onCorrupt: 'throw' } : { readOnly: true });
    const live = await listLive(ctx, config, log);
    if (live === undefined) return;
    await exportLive(ctx, config, live, inventory);
  } finally {
    inventory.stop();
    await lock?.release();
  }
}

/** One full list of the containers; undefined (exit 1, said on stderr) when retrying cannot help. */
async function listLive(ctx: CliContext, config: Config, log: Logger): Promise<LiveInstance[] | undefined> {
  // read-only: an embedded emulator runs on a copy of its data file, as for plan
  const rancher = await openRancher(config, { log, readOnly: true });
  try {
    return await rancher.api.list(ctx.shutdown);
  } catch (e: unknown) {
    // a condition retrying cannot fix (bad keys, not the API, no such host) is said plainly, as plan does
    const fatal = fatalApiCondition(e);
    if (fatal === undefined) throw e;
    ctx.stderr.write(`error: ${fatal.message}\n`);
    ctx.setExitCode(exitCodes.error);
    return undefined;
  } finally {
    await rancher.close();
  }
}

async function exportLive(ctx: CliContext, config: Config, live: readonly LiveInstance[], inventory: Inventory): Promise<void> {
  const options = config.export;
  const plan = planExport(live, inventory, { names: options.names, namePrefix: options.namePrefix, states: options.states });
  const adoptions = options.adopt ? planAdoptions(plan.instances, inventory) : undefined;
  const targets = targetsOf(config, plan);
  const conflicts = await conflictsOf(ctx, config, targets);
  const messages: ExportMessage[] = [...plan.messages, ...(adoptions?.messages ?? []), ...conflicts.map((message) => ({ level: 'error' as const, message }))];
  for (const { level, message } of messages) ctx.stderr.write(`${level}: ${message}\n`);
  if (messages.some((m) => m.level === 'error')) {
    ctx.stderr.write('error: nothing written\n');
    ctx.setExitCode(exitCodes.error);
    return;
  }
  if (!(await writeTargets(ctx, targets))) return;
  ctx.stderr.write(`${summaryOf(ctx, config, plan)}\n`);
  if (adoptions !== undefined && !(await recordAdoptions(ctx, inventory, adoptions))) return;
  ctx.setExitCode(exitCodes.ok);
}

/**
 * Writes the adoptions to the inventory and waits until they are on disk; says how many. On a failed
 * write says so (the files are written by then), sets exit 1 and returns false.
 */
async function recordAdoptions(ctx: CliContext, inventory: Inventory, adoptions: AdoptionPlan): Promise<boolean> {
  const nowIso = new Date(systemClock.now()).toISOString();
  for (const record of adoptions.records) {
    const entry = applyInventoryEffect(undefined, { kind: 'adopt', record }, nowIso);
    if (entry !== undefined) inventory.set(entry);
  }
  try {
    await inventory.flush();
  } catch (e: unknown) {
    const error = coerceError(e);
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    ctx.stderr.write(`error: ${error.message}${cause} (the manifests are written; nothing was adopted: run export --adopt --force again, or let apply adopt them)\n`);
    ctx.setExitCode(exitCodes.error);
    return false;
  }
  const owned = adoptions.alreadyOwned > 0 ? ` (${adoptions.alreadyOwned} already owned)` : '';
  ctx.stderr.write(`adopted ${adoptions.records.length} into ${shown(ctx, inventory.path)}${owned}\n`);
  return true;
}

/** The files to write: one per instance in the output folder, or one for all (`--file`); none when nothing is exported. */
function targetsOf(config: Config, plan: ExportPlan): Target[] {
  const { file, outputDir } = config.export;
  if (plan.instances.length === 0) return [];
  if (file !== undefined) return [{ path: file, text: renderManifestFile(plan.instances.map((i) => i.document)), instances: plan.instances }];
  return plan.instances.map((instance) => ({ path: join(outputDir, `${instance.key}.yaml`), text: renderManifestFile([instance.document]), instances: [instance] }));
}

/** A path as the operator typed it: relative to the working directory when inside it. */
function shown(ctx: CliContext, path: string): string {
  if (path === '-') return 'stdout';
  const rel = relative(ctx.cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/** What is at `path`: nothing (undefined), a file, a folder, something else, or an error message. */
async function kindAt(path: string): Promise<'file' | 'folder' | 'other' | { error: string } | undefined> {
  try {
    const stats = await lstat(path);
    return stats.isDirectory() ? 'folder' : stats.isFile() || stats.isSymbolicLink() ? 'file' : 'other';
  } catch (e: unknown) {
    if (isErrno(e, 'ENOENT', 'ENOTDIR')) return undefined;
    return { error: coerceError(e).message };
  }
}

/** Every reason not to write, one line each: existing targets, a folder that is not one, declarations that would clash. */
async function conflictsOf(ctx: CliContext, config: Config, targets: readonly Target[]): Promise<string[]> {
  const { file, outputDir, force } = config.export;
  const conflicts: string[] = [];
  const dirKind = file === undefined ? await kindAt(outputDir) : undefined;
  if (typeof dirKind === 'object') return [`cannot read --output-dir ${shown(ctx, outputDir)}: ${dirKind.error}`];
  if (dirKind !== undefined && dirKind !== 'folder') return [`--output-dir ${shown(ctx, outputDir)} is not a folder`];
  for (const target of targets) {
    if (target.path === '-') continue;
    const kind = await kindAt(target.path);
    if (typeof kind === 'object') conflicts.push(`cannot read ${shown(ctx, target.path)}: ${kind.error}`);
    else if (kind === 'folder' || kind === 'other') conflicts.push(`${shown(ctx, target.path)} exists and is not a file`);
    else if (kind === 'file' && !force) conflicts.push(`${shown(ctx, target.path)} exists (--force overwrites it)`);
  }
  if (file === undefined) conflicts.push(...(await clashesInFolder(ctx, outputDir, targets)));
  return conflicts;
}

/**
 * Keys and Rancher names that other files of the output folder declare already: written beside them,
 * the tree would be invalid (a key or a Rancher name declared twice). Files about to be replaced do
 * not count; files that do not parse are `validate`'s business.
 */
async function clashesInFolder(ctx: CliContext, outputDir: string, targets: readonly Target[]): Promise<string[]> {
  if ((await kindAt(outputDir)) !== 'folder') return [];
  const snapshot = await loadTree(outputDir);
  const replaced = new Set(targets.map((t) => relative(outputDir, t.path)));
  const keys = new Map(targets.flatMap((t) => t.instances).map((i) => [i.key.toLowerCase(), i]));
  const names = new Map(targets.flatMap((t) => t.instances).map((i) => [i.live.name ?? i.key, i]));
  const clashes: string[] = [];
  for (const [path, result] of snapshot.files) {
    if (replaced.has(path)) continue;
    for (const declared of result.instances) {
      const where = `${shown(ctx, join(outputDir, declared.source.file))}:${declared.source.line}:${declared.source.col}`;
      const sameKey = keys.get(declared.key.toLowerCase());
      const sameName = names.get(declared.spec.name);
      if (sameKey !== undefined) clashes.push(`key ${JSON.stringify(sameKey.key)} is already declared at ${where}`);
      else if (sameName !== undefined) clashes.push(`Rancher name ${JSON.stringify(declared.spec.name)} of ${JSON.stringify(sameName.key)} is already used by ${JSON.stringify(declared.key)} at ${where}`);
    }
  }
  return clashes;
}

/**
 * Writes every target (each file replaced atomically: a reader sees the old file or the new one).
 * On a failure says which file and how many were written, sets exit 1 and returns false.
 */
async function writeTargets(ctx: CliContext, targets: readonly Target[]): Promise<boolean> {
  let written = 0;
  for (const target of targets) {
    if (target.path === '-') {
      ctx.stdout.write(target.text);
      continue;
    }
    try {
      await mkdir(dirname(target.path), { recursive: true });
      await writeFileAtomic(target.path, target.text, 0o644);
      written += 1;
    } catch (e: unknown) {
      ctx.stderr.write(`error: write ${shown(ctx, target.path)} failed: ${coerceError(e).message} (${written} of ${plural(targets.length, 'file')} written; the inventory is unchanged)\n`);
      ctx.setExitCode(exitCodes.error);
      return false;
    }
  }
  return true;
}

function summaryOf(ctx: CliContext, config: Config, plan: ExportPlan): string {
  const where = shown(ctx, config.export.file ?? config.export.outputDir);
  const skipped = plan.skipped > 0 ? ` (${plural(plan.skipped, 'selected container')} not exported, see above)` : '';
  if (plan.instances.length === 0) return `no container to export (exported states: ${config.export.states.join(', ')})${skipped}: nothing written`;
  return `exported ${plural(plan.instances.length, 'instance')} to ${where}${skipped}`;
}
