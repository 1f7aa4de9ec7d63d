/**
 * Published host ports of a container, as cattle's scheduler sees them (docs/rancher-v1.md#host-ports).
 * Pure: parsing the `ports` create field, telling whether two containers want the same host port, and the
 * real failure texts.
 */

/** One host port a container publishes: `[bindIp:]publicPort:privatePort[/protocol]` with a public part. */
export type PublishedPort = Readonly<{ bindIp: string | null; publicPort: number; protocol: string }>;

/** cattle `PortSpec`: `(([0-9]+):)?([0-9]+)(/(.*))?` after an optional `ip:` or `[ipv6]:` prefix. */
const specPattern = /^(?:(\d+):)?(\d+)(?:\/(.*))?$/;

/** Parses one port spec; undefined for a spec without a public port, or one cattle would refuse. */
function parseSpec(text: string): PublishedPort | undefined {
  let bindIp: string | null = null;
  let rest = text;
  const ipv6 = /^\[([^\]]*)\]:?(.*)$/.exec(text);
  if (ipv6) {
    bindIp = ipv6[1]!;
    rest = ipv6[2]!;
  } else if ((text.match(/:/g) ?? []).length === 2) {
    const colon = text.indexOf(':');
    bindIp = text.slice(0, colon);
    // `ip::private` (no public port) leaves a leading colon, which cattle strips
    rest = text.slice(colon + 1).replace(/^:/, '');
  }
  const match = specPattern.exec(rest);
  if (!match || match[1] === undefined) return undefined;
  const protocol = match[3] ?? 'tcp';
  const publicPort = Number(match[1]);
  if (publicPort < 1 || publicPort > 65535 || (protocol !== 'tcp' && protocol !== 'udp')) return undefined;
  return { bindIp: bindIp === '' ? null : bindIp, publicPort, protocol };
}

/**
 * The host ports a `ports` create field publishes, in the given order. Specs without a public port
 * (`"80"`, `"80/udp"`) bind no fixed host port; malformed entries are skipped (the emulator does not
 * validate the format, cattle answers 422 `PortWrongFormat` at create).
 */
export function publishedPorts(ports: unknown): PublishedPort[] {
  if (!Array.isArray(ports)) return [];
  return ports.flatMap((spec) => {
    const parsed = typeof spec === 'string' ? parseSpec(spec.trim()) : undefined;
    return parsed === undefined ? [] : [parsed];
  });
}

/**
 * The first of `wanted` that `used` already holds: same public port, same protocol and the same bind
 * address (no address equals no address), as cattle's `PortsConstraint.matches` compares them.
 */
export function firstConflict(wanted: readonly PublishedPort[], used: readonly PublishedPort[]): PublishedPort | undefined {
  return wanted.find((port) => used.some((other) =>
    other.publicPort === port.publicPort && other.protocol === port.protocol && other.bindIp === port.bindIp));
}

/**
 * What a start that the scheduler cannot place says: cattle's `FailedToAllocate` prefix and
 * `PortsConstraint.toString`, e.g. `Allocation failed: host needs ports 8080/tcp available`.
 */
export function allocationFailureMessage(ports: readonly PublishedPort[]): string {
  return `Allocation failed: host needs ports ${ports.map((port) => `${port.publicPort}/${port.protocol}`).join(', ')} available`;
}

/**
 * What a start on a fixed host whose port is taken says: Docker's port allocator error
 * (`Bind for 0.0.0.0:8080 failed: port is already allocated`).
 */
export function bindFailureMessage(port: PublishedPort): string {
  return `Bind for ${port.bindIp ?? '0.0.0.0'}:${port.publicPort} failed: port is already allocated`;
}
