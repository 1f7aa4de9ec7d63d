/**
 * Whether a container action visibly took effect, judged from the resource read after a lost response
 * (docs/rancher-v1.md#lifecycle). Pure; the basis of "verify, then maybe re-send".
 */
import type { LiveInstance } from '../domain/instance.js';

/** An action we may re-send; `remove` on stop means stop `{remove: true}`. */
export type ContainerAction =
  | Readonly<{ name: 'start' }>
  | Readonly<{ name: 'stop'; remove: boolean }>
  | Readonly<{ name: 'restart' }>
  | Readonly<{ name: 'remove' }>;

const gone = ['removing', 'removed', 'purging', 'purged'];

/**
 * What a restart's effect looks like after its answer was lost, given Rancher's `startCount` from before
 * it: `landed` while it is still restarting (stopping, starting) or once the count went up; `unknown`
 * when the container runs with the same count (the request may never have arrived, or may still be held
 * by a proxy): it must not be sent again, and the caller reports the outcome as unknown. Without a count
 * from before, a running container counts as landed (the old rule: never send a restart twice).
 */
export function restartOutcome(live: LiveInstance | undefined, startCountBefore: number | undefined): 'landed' | 'unknown' {
  if (!live || live.removed || gone.includes(live.state)) return 'unknown';
  if (live.state === 'restarting' || live.state === 'stopping' || live.state === 'starting') return 'landed';
  if (startCountBefore === undefined || live.startCount === undefined) return live.state === 'running' ? 'landed' : 'unknown';
  return live.startCount > startCountBefore ? 'landed' : 'unknown';
}

/**
 * True when `live` shows the action landed. A missing resource counts as done for remove and
 * stop{remove}. A restart that already finished looks exactly like one never received ("running, not
 * transitioning"); restarts are at most once per restart token, so that case counts as landed and the
 * restart is never sent twice (a 429, refused before processing, is still re-sent by the caller).
 */
export function actionTookEffect(action: ContainerAction, live: LiveInstance | undefined): boolean {
  if (!live) return action.name === 'remove' || (action.name === 'stop' && action.remove);
  if (live.removed || gone.includes(live.state)) return action.name === 'remove' || action.name === 'stop';
  switch (action.name) {
    case 'start':
      return live.state === 'starting' || live.state === 'running';
    case 'stop':
      return live.state === 'stopping' || live.state === 'stopped';
    case 'restart':
      return live.state === 'restarting' || live.state === 'stopping' || live.state === 'starting' || live.state === 'running';
    case 'remove':
      return false;
  }
}
