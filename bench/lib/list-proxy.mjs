/**
 * A pass-through proxy in front of an emulator that counts container list pages by their query, which
 * the emulator's counters and request log drop (`steady` uses it to count pages per live-cache re-list).
 */
import { Agent, createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';

/** `GET /v1/containers` or `GET /v1/projects/<id>/containers`: the container list route. */
const containerList = /^\/v1(?:\/projects\/[^/]+)?\/containers\/?$/;

/**
 * A pass-through proxy in front of the emulator that sees each container list request's query, which the
 * emulator's counters and request log drop. A full list starts with a page without `marker` (the client
 * sends only `limit`) and follows `pagination.next`, which adds `marker=mN` (src/emulator/collection.ts);
 * the Host header is passed on, so those links point at the proxy too. The event websocket is piped.
 * `chains` holds one entry per full list started while counting, `{ at, pages }`.
 */
export async function startListProxy(emulatorUrl) {
  const target = new URL(emulatorUrl);
  const agent = new Agent({ keepAlive: true });
  const chains = [];
  let counting = false;
  let other = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (counting && req.method === 'GET' && containerList.test(url.pathname)) {
      const params = [...url.searchParams.keys()];
      if (params.includes('marker') && chains.length > 0) chains.at(-1).pages += 1;
      else if (params.every((name) => name === 'limit')) chains.push({ at: performance.now(), pages: 1 });
      else other += 1; // a look-up by name, or a continuation of a list that started before counting
    }
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    const up = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) up.write(head);
      socket.pipe(up);
      up.pipe(socket);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
    socket.on('close', () => up.destroy());
    up.on('close', () => socket.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    chains,
    otherLists: () => other,
    count(on) {
      counting = on;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}
