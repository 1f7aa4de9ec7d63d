import type { ControllerEventMap, ControllerEvents } from '../../src/controller/events.js';

/** Resolves with the first `name` event that satisfies `predicate`; rejects after `timeoutMs`. */
export function waitForEvent<K extends keyof ControllerEventMap>(
  events: ControllerEvents,
  name: K,
  predicate: (event: ControllerEventMap[K]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<ControllerEventMap[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching ${name} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = events.on(name, (event) => {
      if (!predicate(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}
