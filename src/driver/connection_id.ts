/**
 * Connection ids: random (version 4) UUIDs built as one flat string.
 *
 * @module
 */

import { RandomPool } from "../protocol/random_pool.ts";

const random = new RandomPool();
const HEX_DIGITS: readonly number[] = Object.freeze(
  Array.from("0123456789abcdef", (c) => c.charCodeAt(0)),
);
const DASH = 0x2d;
// Scratch: filled and read within one call.
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
 * import { randomUuid } from "./connection_id.ts";
 * console.log(randomUuid()); // e.g. "3b241101-e2bb-4255-8caf-4136c566a962"
 * ```
 */
export function randomUuid(): string {
  const bytes = random.take(16);
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
