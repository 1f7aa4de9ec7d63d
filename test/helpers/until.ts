/**
 * Polls `probe` until `predicate` holds for its value, for conditions only visible by looking (another
 * process's HTTP endpoints: no events to await). The interval grows from 25 ms to 250 ms, so a loaded
 * machine is not kept busier by the polling. Rejects after `timeoutMs` with the last value seen.
 */
export async function until<T>(probe: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let intervalMs = 25; ; intervalMs = Math.min(250, intervalMs * 2)) {
    const value = await probe();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
