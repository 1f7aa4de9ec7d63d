/**
 * How a pass's outcome (or failure) reads in `/status`: phase, a stable PascalCase reason and a human
 * message. Pure.
 */
import { ApiError, ReconcilerError, assertNever } from '../errors.js';
import { describeAction, describeChanges, type Action, type BlockedReason, type InSyncNote, type WaitReason } from '../domain/plan.js';
import type { ReconcileOutcome } from './reconciler.js';
import type { StatusUpdate } from './status-book.js';

const actionReasons: Readonly<Record<Action['kind'], string>> = {
  create: 'Creating',
  update: 'Updating',
  start: 'Starting',
  stop: 'Stopping',
  restart: 'Restarting',
  remove: 'Removing',
};

const waitReasons: Readonly<Record<WaitReason, string>> = {
  transitioning: 'Transitioning',
  'not-yet-visible': 'NotYetVisible',
  'action-not-offered': 'ActionNotOffered',
  'recreate-paced': 'RecreatePaced',
  replacing: 'Replacing',
};

const blockedReasons: Readonly<Record<BlockedReason, string>> = {
  'manifest-invalid': 'ManifestInvalid',
  'immutable-field-changed': 'ImmutableFieldChanged',
  'duplicate-name': 'DuplicateName',
  'live-in-error': 'LiveInError',
  'removal-frozen': 'RemovalFrozen',
  'over-delete-budget': 'OverDeleteBudget',
  'replace-failed': 'ReplaceFailed',
};

type Context = Readonly<{ revision: string | null; nextRetryAt: string | null }>;

/** Phase, reason and message of an in-sync plan, by its note; a held key is `suspended`, with its live state. */
function inSyncStatus(note: InSyncNote | undefined, outcome: ReconcileOutcome): Pick<StatusUpdate, 'phase' | 'reason' | 'message'> {
  const live = outcome.instanceId !== null && outcome.liveState !== undefined ? ` (${outcome.instanceId} is ${outcome.liveState})` : '';
  switch (note) {
    case 'moving':
      return { phase: 'in-sync', reason: 'Moving', message: 'manifest renamed: its container moves to the new key' };
    case 'orphan-kept':
      return { phase: 'in-sync', reason: 'OrphanKept', message: 'manifest removed; instance kept because pruning is off' };
    case 'protected':
      return { phase: 'in-sync', reason: 'PruneProtected', message: 'manifest removed; instance kept: spec.prune is false' };
    case 'suspended':
      return { phase: 'suspended', reason: 'Suspended', message: `spec.suspend is true: no action is taken${live}` };
    case 'daemon-suspended':
      return { phase: 'suspended', reason: 'DaemonSuspended', message: `the daemon is suspended (POST /resume ends it): no action is taken${live}` };
    case 'standby':
      return { phase: 'suspended', reason: 'Standby', message: `this replica is a standby: the leader of the environment acts${live}` };
    case 'unmanaged':
    case 'gone':
    case undefined:
      return { phase: 'in-sync', reason: 'InSync', message: 'live state matches the manifest' };
    default:
      return assertNever(note, 'in-sync note');
  }
}

/** The status after a pass that returned an outcome. */
export function outcomeStatus(outcome: ReconcileOutcome, context: Context): StatusUpdate {
  const plan = outcome.plan;
  const base = {
    id: outcome.instanceId, attempts: 0, revision: context.revision, notices: plan.notices ?? [], notes: outcome.notes,
    ...(outcome.liveState === undefined ? {} : { liveState: outcome.liveState }),
  };
  switch (plan.kind) {
    case 'in-sync':
      return { ...base, ...inSyncStatus(plan.note, outcome), nextRetryAt: null };
    case 'wait':
      if (outcome.overdueMs !== undefined) {
        const message = `still waiting after ${Math.round(outcome.overdueMs / 1000)}s: ${plan.message}`;
        return { ...base, phase: 'failed', reason: 'WaitTimeout', message, nextRetryAt: context.nextRetryAt };
      }
      return { ...base, phase: 'waiting', reason: waitReasons[plan.reason], message: plan.message, nextRetryAt: context.nextRetryAt };
    case 'blocked': {
      const details = plan.changes === undefined ? [] : describeChanges(plan.changes);
      const message = details.length === 0 ? plan.message : `${plan.message}: ${details.join('; ')}`;
      // a replacement that cannot run is a failure of the change (the old container keeps running)
      const changes = plan.changes === undefined ? {} : { changes: plan.changes };
      return { ...base, ...changes, phase: plan.reason === 'replace-failed' ? 'failed' : 'blocked', reason: blockedReasons[plan.reason], message, nextRetryAt: null };
    }
    case 'act': {
      const action = outcome.action ?? plan.actions[0];
      const changes = describeChanges(plan.changes);
      const message = changes.length === 0 ? describeAction(action) : `${describeAction(action)}: ${changes.join('; ')}`;
      return { ...base, changes: plan.changes, phase: 'progressing', reason: actionReasons[action.kind], message, lastAction: action.kind, nextRetryAt: context.nextRetryAt };
    }
    default:
      return assertNever(plan, 'plan');
  }
}

/** The status after a pass that threw. Retryable failures stay `progressing` until `errorRetries` is reached. */
export function failureStatus(
  error: Error,
  context: Context & Readonly<{ attempts: number; errorRetries: number; instanceId: string | null }>,
): StatusUpdate {
  const retryable = error instanceof ReconcilerError && error.retryable;
  const reason = error instanceof ApiError ? 'ApiError' : error instanceof ReconcilerError ? 'Error' : 'InternalError';
  const code = error instanceof ReconcilerError ? `${error.code}: ` : '';
  const phase = retryable && context.attempts < context.errorRetries ? 'progressing' : 'failed';
  return {
    id: context.instanceId,
    phase,
    reason: retryable ? `${reason}Retrying` : reason,
    message: `${code}${error.message}`,
    attempts: Math.max(1, context.attempts),
    nextRetryAt: context.nextRetryAt,
    revision: context.revision,
  };
}
