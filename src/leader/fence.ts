/**
 * The last line of fencing where Rancher cannot help (it has no conditional writes): the HTTP agents
 * that carry mutating calls check the lease on every write to a socket, synchronously, right before the
 * bytes go to the kernel. A process frozen (SIGSTOP) between deciding a call and sending it resumes with
 * its renew deadline passed, and the write is refused: nothing reaches Rancher. The check before each
 * call (controller/action-runner.ts) catches the usual case; this catches the freeze in between.
 *
 * The residual window is the one synchronous stretch from the check to the kernel's send, what TLS
 * holds in its handshake (bytes written before it completes are sent by it), and what the network holds
 * after it: as with client-go's leader election, no fencing on the client side is perfect without a
 * conditional write on the server.
 */
import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { StateStoreError } from '../state/state-store.js';

/** Whether this replica may mutate now (leader/elector.ts `mayMutate`). */
export type MutationFence = () => boolean;

/** The error of a refused write: a request that never left this process (errors.ts `neverReachedServer`). */
export function fencedWriteError(): StateStoreError {
  return new StateStoreError('ERR_STATE_FENCED', 'mutating call not sent: this replica no longer holds the lease within its renew deadline');
}

type WriteCallback = (error?: Error | null) => void;
type Chunk = Readonly<{ chunk: unknown; encoding: BufferEncoding }>;

/**
 * Wraps the socket's write paths so that each refuses while the fence is down (the socket is then
 * destroyed). A write made while the socket is still connecting is held by Node and sent on 'connect'
 * without passing here again, so the fence is also checked on 'connect' (this listener runs before the
 * held write's), and the socket destroyed when it is down.
 */
function guard(socket: Duplex, mayMutate: MutationFence): void {
  socket.once('connect', () => {
    if (!mayMutate()) socket.destroy(fencedWriteError());
  });
  const write = socket._write.bind(socket);
  socket._write = (chunk: unknown, encoding: BufferEncoding, callback: WriteCallback): void => {
    if (!mayMutate()) return callback(fencedWriteError());
    write(chunk, encoding, callback);
  };
  const writev = socket._writev?.bind(socket);
  if (writev !== undefined) {
    socket._writev = (chunks: Chunk[], callback: WriteCallback): void => {
      if (!mayMutate()) return callback(fencedWriteError());
      writev(chunks, callback);
    };
  }
}

type CreateConnection = (options: object, callback: (error: Error | null, socket: Duplex) => void) => Duplex | undefined;

function fencing<T extends HttpAgent>(agent: T, mayMutate: MutationFence): T {
  const base = (agent as unknown as { createConnection: CreateConnection }).createConnection.bind(agent);
  (agent as unknown as { createConnection: CreateConnection }).createConnection = (options, callback) => {
    const socket = base(options, callback);
    if (socket !== undefined) guard(socket, mayMutate);
    return socket;
  };
  return agent;
}

/** Keep-alive agents for mutating calls only: every socket they open is guarded by `mayMutate`. */
export function fencedAgents(mayMutate: MutationFence, options: Readonly<{ http?: AgentOptions; https?: HttpsAgentOptions }>): { http: HttpAgent; https: HttpsAgent } {
  return {
    http: fencing(new HttpAgent({ keepAlive: true, ...options.http }), mayMutate),
    https: fencing(new HttpsAgent({ keepAlive: true, ...options.https }), mayMutate),
  };
}
