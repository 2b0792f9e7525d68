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
  const b = random.take(16);
  const hex = HEX_DIGITS;
  const v = (b[6] & 0x0f) | 0x40;
  const r = (b[8] & 0x3f) | 0x80;
  // One call with every character: a flat string at once, on every engine
  // (String.fromCharCode.apply on an array costs JavaScriptCore ~1 µs).
  return String.fromCharCode(
    hex[b[0] >>> 4],
    hex[b[0] & 15],
    hex[b[1] >>> 4],
    hex[b[1] & 15],
    hex[b[2] >>> 4],
    hex[b[2] & 15],
    hex[b[3] >>> 4],
    hex[b[3] & 15],
    DASH,
    hex[b[4] >>> 4],
    hex[b[4] & 15],
    hex[b[5] >>> 4],
    hex[b[5] & 15],
    DASH,
    hex[v >>> 4],
    hex[v & 15],
    hex[b[7] >>> 4],
    hex[b[7] & 15],
    DASH,
    hex[r >>> 4],
    hex[r & 15],
    hex[b[9] >>> 4],
    hex[b[9] & 15],
    DASH,
    hex[b[10] >>> 4],
    hex[b[10] & 15],
    hex[b[11] >>> 4],
    hex[b[11] & 15],
    hex[b[12] >>> 4],
    hex[b[12] & 15],
    hex[b[13] >>> 4],
    hex[b[13] & 15],
    hex[b[14] >>> 4],
    hex[b[14] & 15],
    hex[b[15] >>> 4],
    hex[b[15] & 15],
  );
}
