/**
 * The emulator's signer of host-access tokens: RS256 JSON Web Tokens shaped as cattle's
 * `JwtTokenServiceImpl` makes them (docs/rancher-v1.md#host-access-tokens): header `{"alg":"RS256"}`, the
 * action's claims plus `kid`, `sub: "cattle"`, `iss: "http://cattle.io"`, `iat` and `exp` in epoch seconds.
 *
 * node:crypto rather than a JWT library: one algorithm, one key, signing and checking our own tokens is
 * a dozen lines, and the checks a library adds (audiences, key sets, clock skew) have no use here.
 */
import { generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import type { Clock } from '../clock.js';

/** Claims of a verified token (the action's own claims plus the registered ones). */
export type TokenClaims = Readonly<Record<string, unknown>>;

/** cattle's `jwt.default.subject` and `jwt.default.issuer` (token-defaults.properties). */
const subject = 'cattle';
const issuer = 'http://cattle.io';
const header = Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url');

/** Dependencies of {@link HostAccessTokens}. */
export type HostAccessTokensDeps = Readonly<{ clock: Clock }>;

/**
 * Signs and checks host-access tokens with a key made on first use (an RSA key takes tens of ms to make,
 * and most emulators never sign one). The key lives as long as the emulator: tokens from an earlier
 * emulator process never verify, as a real server's do not after its key changes.
 */
export class HostAccessTokens {
  readonly #clock: Clock;
  #keys: { privateKey: KeyObject; publicKey: KeyObject; keyId: string } | undefined;

  constructor(deps: HostAccessTokensDeps) {
    this.#clock = deps.clock;
  }

  /** A signed token carrying `claims`, valid for `expiresInSec` seconds from now. */
  sign(claims: TokenClaims, expiresInSec: number): string {
    const keys = this.#keyPair();
    const iat = Math.floor(this.#clock.now() / 1000);
    const payload = { ...claims, kid: keys.keyId, sub: subject, iat, iss: issuer, exp: iat + expiresInSec };
    const signingInput = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(signingInput), keys.privateKey).toString('base64url');
    return `${signingInput}.${signature}`;
  }

  /** The claims of a token this emulator signed and that has not expired; undefined otherwise. */
  verify(token: string): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== header || this.#keys === undefined) return undefined;
    const [, body = '', signature = ''] = parts;
    const valid = verify('sha256', Buffer.from(`${header}.${body}`), this.#keys.publicKey, Buffer.from(signature, 'base64url'));
    if (!valid) return undefined;
    const claims = parseClaims(body);
    // cattle refuses a token whose exp (seconds) is at or before now (JwtTokenServiceImpl.getJSONObject)
    if (claims === undefined || typeof claims['exp'] !== 'number' || claims['exp'] * 1000 <= this.#clock.now()) return undefined;
    return claims;
  }

  /** The public key as PEM (for tests that check a signature with another implementation). */
  publicKeyPem(): string {
    return this.#keyPair().publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  #keyPair(): { privateKey: KeyObject; publicKey: KeyObject; keyId: string } {
    this.#keys ??= { ...generateKeyPairSync('rsa', { modulusLength: 2048 }), keyId: randomUUID() };
    return this.#keys;
  }
}

function parseClaims(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    // a body that is not JSON cannot carry claims: the token is refused like a bad signature
    return undefined;
  }
}
