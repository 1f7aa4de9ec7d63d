/**
 * Reading a request body of the status server within a byte limit (the webhooks' payloads, POST
 * /suspend's reason), without ever buffering past the limit.
 */
import type { IncomingMessage } from 'node:http';

/** What reading a body gave: the bytes, `too-large` (over the limit; the rest is left unread) or `aborted` (the client went away). */
export type BodyRead = Readonly<{ kind: 'read'; body: Buffer }> | Readonly<{ kind: 'too-large' }> | Readonly<{ kind: 'aborted' }>;

/**
 * Reads a request body, counting bytes as they arrive; stops (pauses the request) as soon as it is over
 * `limitBytes`, or before reading anything when Content-Length already says so.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<BodyRead> {
  if (Number(req.headers['content-length'] ?? 0) > limitBytes) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead): void => {
      req.off('data', onData).off('end', onEnd).off('error', onAborted).off('close', onAborted);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
      else {
        req.pause();
        finish({ kind: 'too-large' });
      }
    };
    const onEnd = (): void => finish({ kind: 'read', body: Buffer.concat(chunks, size) });
    const onAborted = (): void => finish({ kind: 'aborted' });
    req.on('data', onData).on('end', onEnd).on('error', onAborted).on('close', onAborted);
  });
}
