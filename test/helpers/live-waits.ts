/**
 * Waits on a live view built from its public surface (`onChange`, `get`), for tests only: production code
 * never waits on the cache (each pass reads it once and requeues to observe).
 */
import type { LiveInstance } from '../../src/domain/instance.js';
import type { LiveReader } from '../../src/domain/ports.js';
import { ReconcilerError } from '../../src/errors.js';

/**
 * Resolves with instance `id` as cached (undefined when it is unknown) once `predicate` holds, checked
 * now and on every change the cache reports. Rejects with ERR_INSTANCE_ERROR (message naming the
 * transitioningMessage) when the instance reaches `transitioning: error` without satisfying it, and with
 * ERR_WAIT_TIMEOUT (retryable) after `timeoutMs`.
 * @example const running = await waitForInstance(cache, id, (i) => i?.state === 'running', { timeoutMs: 3000 });
 */
export function waitForInstance(
  live: Pick<LiveReader, 'get' | 'onChange'>,
  id: string,
  predicate: (instance: LiveInstance | undefined) => boolean,
  options: Readonly<{ timeoutMs: number }>,
): Promise<LiveInstance | undefined> {
  return new Promise((resolve, reject) => {
    const finish = (outcome: () => void): void => {
      off();
      clearTimeout(deadline);
      outcome();
    };
    const check = (): void => {
      const instance = live.get(id);
      if (predicate(instance)) return finish(() => resolve(instance));
      if (instance?.transitioning === 'error') {
        finish(() => reject(new ReconcilerError('ERR_INSTANCE_ERROR', `instance ${id} failed: ${instance.transitioningMessage ?? 'transitioning error'}`)));
      }
    };
    const deadline = setTimeout(
      () => finish(() => reject(new ReconcilerError('ERR_WAIT_TIMEOUT', `instance ${id}: wait timed out after ${options.timeoutMs} ms`, { retryable: true }))),
      options.timeoutMs,
    );
    const off = live.onChange(check);
    check();
  });
}
