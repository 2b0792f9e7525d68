/**
 * Internal: the XOR loop behind `applyMask`, on a range of a buffer so the
 * frame decoder can unmask without creating a view per frame.
 *
 * @module
 */

// Scratch: the rotated mask, written and read within one call.
const scratch = new Uint8Array(4);
// Scratch: the same four bytes as one word.
const scratchWord = new Uint32Array(scratch.buffer);

/**
 * Below this many bytes a plain byte loop beats creating a word view
 * (measured on V8 and JavaScriptCore: the crossover is around 64 bytes).
 */
const WORD_THRESHOLD = 64;

/**
 * XORs `bytes[start..end)` in place with `mask`, `offset` being the payload
 * position of `bytes[start]`.
 *
 * RFC 6455 §5.3: "Octet i of the transformed data ("transformed-octet-i")
 * is the XOR of octet i of the original data ("original-octet-i") with
 * octet at index i modulo 4 of the masking key ("masking-key-octet-j")".
 *
 * @example
 * ```ts
 * import { maskRange } from "./_mask_range.ts";
 * const frame = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
 * maskRange(frame, 6, 11, frame.subarray(2, 6), 0); // frame[6..11) is now "Hello"
 * ```
 */
export function maskRange(
  bytes: Uint8Array,
  start: number,
  end: number,
  mask: Uint8Array,
  offset: number,
): void {
  // `k` indexes the mask for bytes[i] as (i + shift) & 3.
  const shift = offset - start;
  if (end - start < WORD_THRESHOLD) {
    let i = start;
    const m0 = mask[(i + shift) & 3];
    const m1 = mask[(i + shift + 1) & 3];
    const m2 = mask[(i + shift + 2) & 3];
    const m3 = mask[(i + shift + 3) & 3];
    for (; i + 3 < end; i += 4) {
      bytes[i] ^= m0;
      bytes[i + 1] ^= m1;
      bytes[i + 2] ^= m2;
      bytes[i + 3] ^= m3;
    }
    for (; i < end; i++) bytes[i] ^= mask[(i + shift) & 3];
    return;
  }
  // Unmask bytes one at a time until the position is 4-byte aligned in the
  // underlying buffer.
  let i = start;
  const aligned = start + ((4 - ((bytes.byteOffset + start) & 3)) & 3);
  for (; i < aligned; i++) bytes[i] ^= mask[(i + shift) & 3];
  const words = (end - aligned) >>> 2;
  // The mask rotated to start at `aligned`, read as a native-endian word so
  // the XOR lines up on any platform.
  scratch[0] = mask[(aligned + shift) & 3];
  scratch[1] = mask[(aligned + shift + 1) & 3];
  scratch[2] = mask[(aligned + shift + 2) & 3];
  scratch[3] = mask[(aligned + shift + 3) & 3];
  const word = scratchWord[0];
  const view = new Uint32Array(bytes.buffer, bytes.byteOffset + aligned, words);
  const unrolled = words & ~3;
  let w = 0;
  for (; w < unrolled; w += 4) {
    view[w] ^= word;
    view[w + 1] ^= word;
    view[w + 2] ^= word;
    view[w + 3] ^= word;
  }
  for (; w < words; w++) view[w] ^= word;
  for (i = aligned + (words << 2); i < end; i++) {
    bytes[i] ^= mask[(i + shift) & 3];
  }
}
