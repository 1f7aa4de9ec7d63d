/**
 * The emulator's answer for parts of the real API it serves the schema of but does not model: the
 * collections of the other captured types (`/v1/volumes`, `/v1/services`, ...) and a container's
 * relation links other than `hosts`. Real Rancher would answer these; a fake success (an empty list)
 * would let a client believe something untrue, so the emulator says plainly that it does not emulate
 * them (README "The emulator", docs/rancher-v1.md#beyond-rancher).
 */
import { ApiFailure } from './api-failure.js';

/** Status of a {@link notEmulated} answer: 501 Not Implemented, which no Rancher 1.x answer uses. */
export const notEmulatedStatus = 501;

/** Code of a {@link notEmulated} answer, in the real error body's `code` field. */
export const notEmulatedCode = 'NotEmulated';

/** An ApiFailure rendered as `{type:'error', status:501, code:'NotEmulated', message}`; `what` names the route. */
export function notEmulated(what: string): ApiFailure {
  return new ApiFailure(notEmulatedStatus, notEmulatedCode, {
    message: `${what} is served by real Rancher but not by this emulator`,
  });
}
