/**
 * Random masking keys for the client role and random connection ids, drawn
 * from a pool filled by `crypto.getRandomValues` so that neither costs a
 * call into the system's random source.
 *
 * @module
 */

const POOL_SIZE = 8192;
const pool = new Uint8Array(POOL_SIZE);
let position = POOL_SIZE;

/** The next `count` (at most POOL_SIZE) random bytes, a view into the pool. */
function take(count: number): Uint8Array {
  if (position + count > POOL_SIZE) {
    crypto.getRandomValues(pool);
    position = 0;
  }
  const bytes = pool.subarray(position, position + count);
  position += count;
  return bytes;
}

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
  return take(4);
}

const HEX_DIGITS: readonly number[] = Array.from(
  "0123456789abcdef",
  (c) => c.charCodeAt(0),
);
const DASH = 0x2d;
const uuidChars: number[] = new Array(36).fill(0);

/**
 * A random (version 4) UUID such as `crypto.randomUUID()` returns, built as
 * one flat string: some engines build `crypto.randomUUID()` by
 * concatenation and keep the pieces, several hundred bytes per id held by
 * every open connection.
 *
 * RFC 9562 §5.4: "UUIDv4 [...] random_a: The first 48 bits of the layout
 * that can be filled with random data [...] ver: The 4-bit version field
 * [...] set to 0b0100 (4) [...] var: The 2-bit variant field [...] set to
 * 0b10".
 *
 * @example
 * ```ts
 * import { randomUuid } from "./_random.ts";
 * console.log(randomUuid()); // e.g. "3b241101-e2bb-4255-8caf-4136c566a962"
 * ```
 */
export function randomUuid(): string {
  const bytes = take(16);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  let c = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) uuidChars[c++] = DASH;
    uuidChars[c++] = HEX_DIGITS[bytes[i] >>> 4];
    uuidChars[c++] = HEX_DIGITS[bytes[i] & 0x0f];
  }
  return String.fromCharCode.apply(null, uuidChars);
}
