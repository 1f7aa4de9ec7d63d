/**
 * The `X-API-Client-IP` response header (docs/rancher-v1.md#response-headers): cattle's
 * `AddClientIpHeader` handler puts the request's client address on every API answer. The address is the
 * first entry of `X-Forwarded-For` when a proxy sent one (the gdapi request parser takes the first of a
 * comma-separated list, see go-rancher `api/url.go` `getOverrideHeader`), else the socket's peer.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** The response header's name, spelled as cattle's `AddClientIpHeader.CLIENT_IP`. */
export const clientIpHeader = 'X-API-Client-IP';

/** The first non-empty entry of a comma-separated header value, trimmed, or undefined. */
function firstEntry(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const first = text?.split(',')[0]?.trim();
  return first === undefined || first === '' ? undefined : first;
}

/**
 * The client address of a request: `X-Forwarded-For`'s first entry, else `remoteAddress` with node's
 * IPv4-mapped prefix (`::ffff:`) removed, as a Java servlet reports an IPv4 peer; `unknown` without one.
 */
export function clientIpOf(headers: IncomingHttpHeaders, remoteAddress: string | undefined): string {
  const forwarded = firstEntry(headers['x-forwarded-for']);
  if (forwarded !== undefined) return forwarded;
  return remoteAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') ?? 'unknown';
}
