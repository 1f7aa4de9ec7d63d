/**
 * A provider's filters (minimum severity, event kinds, instance name patterns) compiled into one
 * predicate, and the key that decides which events are duplicates. Pure.
 */
import ignore from 'ignore';
import { atLeast, type ReconcilerEvent } from '../observability/event-model.js';
import type { NotificationConfig } from './notify-config.js';

/**
 * Whether `config`'s receiver wants `event`: severity at least `minSeverity`; kind in `kinds` when
 * set; and, when `instances` is set, an event about an instance whose key matches the patterns.
 * `instances` are gitignore-style globs, as the `ignore` package (also behind `--exclude`) reads them:
 * `*` and `?` and `[a-z]` match inside a name, `!pattern` takes matches back out, later lines win
 * (`['web-*', '!web-canary']`). With `instances` set, events about no instance (revisions, the source,
 * credentials) are not sent: a provider scoped to some instances hears only about them.
 */
export function compileFilter(config: Pick<NotificationConfig, 'minSeverity' | 'kinds' | 'instances'>): (event: ReconcilerEvent) => boolean {
  const kinds = config.kinds === undefined ? undefined : new Set(config.kinds);
  const patterns = config.instances === undefined ? undefined : ignore({ ignorecase: false }).add([...config.instances]);
  return (event) => {
    if (!atLeast(event.severity, config.minSeverity)) return false;
    if (kinds !== undefined && !kinds.has(event.kind)) return false;
    if (patterns === undefined) return true;
    return event.key !== null && matchesKey(patterns, event.key);
  };
}

function matchesKey(patterns: ReturnType<typeof ignore>, key: string): boolean {
  // `ignore` takes relative paths only; a key it cannot read as one (`./x`, a leading `/`) matches nothing
  return ignore.isPathValid(key) && patterns.ignores(key);
}

/** Events with the same key are duplicates: kind, instance and message (not revision, not time). */
export function dedupeKey(event: ReconcilerEvent): string {
  // NUL cannot occur in a kind or a manifest name, so the parts cannot run into each other
  return `${event.kind}\u0000${event.key ?? ''}\u0000${event.message}`;
}
