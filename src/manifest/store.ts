import type { DesiredInstance, InstanceKey } from '../domain/instance.js';
import type { ManifestIssue } from './issues.js';
import type { FileResult, TreeSnapshot } from './load-tree.js';
import { sameDesired } from './desired-equal.js';

/** What the controller reads: the desired state of the last applied snapshot. */
export interface DesiredReader {
  /** Last good desired state of a key; undefined when no manifest declares it (or never did validly). */
  get(key: InstanceKey): DesiredInstance | undefined;
  /** Every key with a desired state or a block, sorted. */
  keys(): InstanceKey[];
  /** The issue that blocks this key (its file failed, or its name is duplicated), if any: the controller leaves such keys exactly as they are. */
  blockedBy(key: InstanceKey): ManifestIssue | undefined;
  /** Revision of the last applied snapshot; undefined until the first load. */
  readonly revision: string | undefined;
  /** False while any file fails: removals freeze. */
  readonly complete: boolean;
  /** The first snapshot was applied (readiness). */
  readonly loaded: boolean;
}

/**
 * The desired state held in memory, replaced one whole snapshot at a time.
 *
 * A file is the unit: a file with any issue applies none of its documents. Instead, every key it
 * declared when it was last good (or declares in its valid documents now) keeps its previous desired
 * state (undefined if never good) and is blocked by the file's first issue. Files that disappear under
 * a folder that failed to read (or a failed root, '.') are kept the same way; files that simply
 * disappear drop their keys. Duplicate names fail both files in {@link loadTree}, so they block too.
 */
export class DesiredStore implements DesiredReader {
  #desired = new Map<InstanceKey, DesiredInstance>();
  #blocked = new Map<InstanceKey, ManifestIssue>();
  /** The sorted keys of the current snapshot; undefined until asked for after a snapshot. */
  #keys: InstanceKey[] | undefined;
  /** Per file, the instances it declared the last time it had no issue. */
  #lastGood = new Map<string, readonly DesiredInstance[]>();
  #issues: readonly ManifestIssue[] = [];
  #revision: string | undefined;
  #complete = false;
  #loaded = false;

  get revision(): string | undefined {
    return this.#revision;
  }

  get complete(): boolean {
    return this.#complete;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  get(key: InstanceKey): DesiredInstance | undefined {
    return this.#desired.get(key);
  }

  keys(): InstanceKey[] {
    // worked out once per snapshot, not per call: passes ask for it, and 10,000 keys take a while to sort
    this.#keys ??= [...new Set([...this.#desired.keys(), ...this.#blocked.keys()])].sort();
    return [...this.#keys];
  }

  blockedBy(key: InstanceKey): ManifestIssue | undefined {
    return this.#blocked.get(key);
  }

  /** Every issue of the last applied snapshot, sorted by file, line, col. */
  issues(): readonly ManifestIssue[] {
    return this.#issues;
  }

  /**
   * Replaces the state with a new snapshot. Returns the keys whose desired state (compared without
   * `source`) or blocked status changed, including removed keys; applying the same tree twice returns
   * an empty set.
   */
  apply(snapshot: TreeSnapshot): ReadonlySet<InstanceKey> {
    const desired = new Map<InstanceKey, DesiredInstance>();
    const blocked = new Map<InstanceKey, ManifestIssue>();
    const lastGood = new Map<string, readonly DesiredInstance[]>();
    const failing: [string, FileResult][] = [];
    for (const [file, result] of snapshot.files) {
      if (result.issues.length === 0) {
        lastGood.set(file, result.instances);
        for (const instance of result.instances) desired.set(instance.key, instance);
      } else {
        failing.push([file, result]);
      }
    }
    const hold = (instances: readonly DesiredInstance[], issue: ManifestIssue): void => {
      for (const instance of instances) if (!blocked.has(instance.key)) blocked.set(instance.key, issue);
    };
    for (const [file, result] of failing) {
      const issue = result.issues[0] as ManifestIssue;
      const previous = this.#lastGood.get(file);
      if (previous !== undefined) lastGood.set(file, previous);
      hold([...(previous ?? []), ...result.instances], issue);
    }
    // files that vanished because a folder (or the root) could not be read are failures, not deletions
    for (const [file, previous] of this.#lastGood) {
      if (snapshot.files.has(file)) continue;
      const cover = failing.find(([folder]) => folder === '.' || file.startsWith(`${folder}/`));
      if (cover === undefined) continue;
      lastGood.set(file, previous);
      hold(previous, cover[1].issues[0] as ManifestIssue);
    }
    // a blocked key keeps exactly the desired state it had: the controller must not act on it
    for (const key of blocked.keys()) {
      const kept = this.#desired.get(key);
      if (kept === undefined) desired.delete(key);
      else desired.set(key, kept);
    }
    const changed = new Set<InstanceKey>();
    for (const key of new Set([...this.#desired.keys(), ...desired.keys(), ...this.#blocked.keys(), ...blocked.keys()])) {
      if (!sameDesired(this.#desired.get(key), desired.get(key)) || this.#blocked.has(key) !== blocked.has(key)) changed.add(key);
    }
    this.#desired = desired;
    this.#blocked = blocked;
    this.#keys = undefined;
    this.#lastGood = lastGood;
    this.#issues = snapshot.issues;
    this.#revision = snapshot.revision;
    this.#complete = snapshot.complete;
    this.#loaded = true;
    return changed;
  }
}
