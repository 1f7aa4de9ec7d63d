/**
 * A real TCP proxy on 127.0.0.1:0 in front of `127.0.0.1:<target>`, for cutting one client off a server
 * (a replica off its database) while the others keep their own connections. `cut('blackhole')` is what
 * a partition looks like: new connections are accepted and held, their bytes never forwarded and never
 * answered; the open ones are destroyed, or with `{ freezeOpen: true }` frozen (kept open, nothing
 * forwarded either way: a query in flight on a pooled connection hangs). `cut('refuse')` destroys new
 * connections as they come (a server that went away). `restore()` forwards new connections again; the
 * held and frozen ones stay dead.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type CutMode = 'refuse' | 'blackhole';

export type TcpProxy = Readonly<{
  port: number;
  /** Destroys (or freezes) every open connection; new ones are refused or held (`blackhole`) until `restore()`. */
  cut(mode?: CutMode, options?: Readonly<{ freezeOpen?: boolean }>): void;
  /** Forwards new connections again. */
  restore(): void;
  /** How many connections were accepted and forwarded so far. */
  forwarded(): number;
  /** Destroys every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}>;

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const pairs = new Set<readonly [Socket, Socket]>();
  let mode: CutMode | undefined;
  let forwarded = 0;
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    // a reset by either side is the expected end of a proxied connection, not a test failure
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (mode === 'refuse') return void client.destroy();
    // held: accepted, never read on (the kernel buffers what the client sends), never answered
    if (mode === 'blackhole') return void client.pause();
    forwarded += 1;
    const upstream = createConnection({ host: targetHost, port: targetPort });
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const pair = [client, upstream] as const;
    pairs.add(pair);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      client.destroy();
      pairs.delete(pair);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  const destroyAll = (): void => {
    for (const socket of open) socket.destroy();
  };
  let closed: Promise<void> | undefined;
  return {
    port: address.port,
    cut(how: CutMode = 'blackhole', options: Readonly<{ freezeOpen?: boolean }> = {}) {
      mode = how;
      if (options.freezeOpen !== true) return destroyAll();
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    restore() {
      mode = undefined;
    },
    forwarded: () => forwarded,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        destroyAll();
      })),
  };
}
