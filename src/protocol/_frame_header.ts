/**
 * Internal: writing a frame header into a caller's buffer, shared by the
 * frame encoder and the protocol's single-buffer fast paths. Not public API:
 * no validation, positional parameters for the hot path.
 *
 * @module
 */

/** The longest header: 2 bytes + 8-byte length + 4-byte mask. */
export const MAX_HEADER_SIZE = 14;

/**
 * Header size in bytes for a payload of `length` bytes.
 *
 * @example
 * ```ts
 * import { headerSize } from "./_frame_header.ts";
 * console.log(headerSize(126, false)); // 4
 * ```
 */
export function headerSize(length: number, masked: boolean): number {
  const base = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Writes a header at `target[offset]`. `b0` is the first byte (FIN, RSV,
 * opcode). Returns the header size.
 *
 * RFC 6455 §5.2: "Payload length: 7 bits, 7+16 bits, or 7+64 bits [...] If
 * 0-125, that is the payload length. If 126, the following 2 bytes
 * interpreted as a 16-bit unsigned integer are the payload length. If 127,
 * the following 8 bytes interpreted as a 64-bit unsigned integer (the most
 * significant bit MUST be 0) are the payload length. Multibyte length
 * quantities are expressed in network byte order."
 *
 * @example
 * ```ts
 * import { writeHeader } from "./_frame_header.ts";
 * const header = new Uint8Array(2);
 * writeHeader(header, 0, 0x81, 5, undefined); // [0x81, 0x05]
 * ```
 */
export function writeHeader(
  target: Uint8Array,
  offset: number,
  b0: number,
  length: number,
  mask: Uint8Array | undefined,
): number {
  const maskBit = mask === undefined ? 0 : 0x80;
  target[offset] = b0;
  let p = offset + 2;
  if (length < 126) {
    target[offset + 1] = maskBit | length;
  } else if (length < 0x10000) {
    target[offset + 1] = maskBit | 126;
    target[offset + 2] = length >>> 8;
    target[offset + 3] = length & 0xff;
    p += 2;
  } else {
    target[offset + 1] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    const low = length >>> 0;
    target[offset + 2] = high >>> 24;
    target[offset + 3] = (high >>> 16) & 0xff;
    target[offset + 4] = (high >>> 8) & 0xff;
    target[offset + 5] = high & 0xff;
    target[offset + 6] = low >>> 24;
    target[offset + 7] = (low >>> 16) & 0xff;
    target[offset + 8] = (low >>> 8) & 0xff;
    target[offset + 9] = low & 0xff;
    p += 8;
  }
  if (mask !== undefined) {
    // RFC 6455 §5.2: "Masking-key: 0 or 4 bytes. All frames sent from the
    // client to the server are masked by a 32-bit value that is contained
    // within the frame."
    target[p] = mask[0];
    target[p + 1] = mask[1];
    target[p + 2] = mask[2];
    target[p + 3] = mask[3];
    p += 4;
  }
  return p - offset;
}
