import type { SourceStatus } from '../domain/status.js';

/** `Commit <sha> (<time>, <author>): <subject>` after the output of plan and apply on a git commit; '' otherwise. */
export function commitLine(source: SourceStatus | undefined): string {
  if (source?.commit == null) return '';
  return `Commit ${source.commit} (${source.commitTime ?? '?'}, ${source.author ?? '?'}): ${source.subject ?? ''}\n`;
}
