/**
 * Random masking keys for the client role, drawn from a pool filled by
 * `crypto.getRandomValues` so that a frame does not cost a call into the
 * system's random source.
 *
 * @module
 */

const POOL_SIZE = 8192;
const pool = new Uint8Array(POOL_SIZE);
let position = POOL_SIZE;

/**
 * A fresh random 4-byte masking key. The returned view is into a shared
 * pool: copy it (as a frame header does) before the next call.
 *
 * RFC 6455 §5.3: "The masking key is a 32-bit value chosen at random by the
 * client. [...] The masking key needs to be unpredictable; thus, the masking
 * key MUST be derived from a strong source of entropy".
 *
 * @example
 * ```ts
 * import { randomMask } from "./_random.ts";
 * const mask = randomMask();
 * console.log(mask.length); // 4
 * ```
 */
export function randomMask(): Uint8Array {
  if (position === POOL_SIZE) {
    crypto.getRandomValues(pool);
    position = 0;
  }
  const mask = pool.subarray(position, position + 4);
  position += 4;
  return mask;
}
