/**
 * Masking and unmasking of frame payloads (RFC 6455 §5.3).
 *
 * @module
 */

import { maskRange } from "./_mask_range.ts";

/**
 * XORs `bytes` in place with the 4-byte `mask`. Masking and unmasking are
 * the same operation. `offset` is the position of `bytes[0]` within the
 * frame payload, so a payload that arrives in pieces can be unmasked piece
 * by piece.
 *
 * RFC 6455 §5.3: "Octet i of the transformed data ("transformed-octet-i")
 * is the XOR of octet i of the original data ("original-octet-i") with
 * octet at index i modulo 4 of the masking key ("masking-key-octet-j")".
 *
 * From 64 bytes on, the aligned middle of `bytes` is processed 32 bits at a
 * time.
 *
 * @example
 * ```ts
 * import { applyMask } from "@anyws/anyws/protocol";
 * const mask = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
 * const data = new TextEncoder().encode("Hello");
 * applyMask(data, mask);
 * console.log(data); // Uint8Array(5) [ 127, 159, 77, 81, 88 ]
 * applyMask(data, mask);
 * console.log(new TextDecoder().decode(data)); // "Hello"
 * ```
 */
export function applyMask(
  bytes: Uint8Array,
  mask: Uint8Array,
  offset: number = 0,
): void {
  maskRange(bytes, 0, bytes.length, mask, offset);
}
