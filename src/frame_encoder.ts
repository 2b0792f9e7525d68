/**
 * Encoding frames to bytes (RFC 6455 §5.2). The header and the payload are
 * kept apart so an unmasked payload is never copied.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import type { Frame } from "./frame.ts";
import { headerSize, writeHeader } from "./_frame_header.ts";
import { applyMask } from "./mask.ts";

/**
 * Options of {@link encodeFrameHeader}.
 *
 * @example
 * ```ts
 * import type { FrameHeaderOptions } from "@anyws/anyws";
 * const options: FrameHeaderOptions = { fin: false, mask: new Uint8Array(4) };
 * ```
 */
export interface FrameHeaderOptions {
  /** Final fragment. Default `true`. */
  fin?: boolean;
  /** RSV bits: RSV1 << 2 | RSV2 << 1 | RSV3. Default 0. */
  rsv?: number;
  /** A 4-byte masking key: sets the MASK bit and writes the key. */
  mask?: Uint8Array;
}

/**
 * Options of {@link encodeFrame} and {@link encodeFrameBytes}.
 *
 * @example
 * ```ts
 * import type { EncodeFrameOptions } from "@anyws/anyws";
 * const options: EncodeFrameOptions = { mask: crypto.getRandomValues(new Uint8Array(4)) };
 * ```
 */
export interface EncodeFrameOptions {
  /** A 4-byte masking key (client role). Omit for server frames. */
  mask?: Uint8Array;
}

function firstByte(opcode: number, fin: boolean, rsv: number): number {
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 0xf) {
    throw new UsageError(`Invalid opcode: ${opcode}`);
  }
  if (!Number.isInteger(rsv) || rsv < 0 || rsv > 7) {
    throw new UsageError(`Invalid RSV bits: ${rsv}`);
  }
  return (fin ? 0x80 : 0) | (rsv << 4) | opcode;
}

function checkMask(mask: Uint8Array | undefined): void {
  if (mask !== undefined && mask.length !== 4) {
    throw new UsageError(`Invalid mask length: ${mask.length}`);
  }
}

/**
 * Encodes a frame header for a payload of `payloadLength` bytes, using the
 * 7-bit, 16-bit or 64-bit length form as the length requires.
 *
 * @example
 * ```ts
 * import { encodeFrameHeader, Opcode } from "@anyws/anyws";
 * console.log(encodeFrameHeader(Opcode.Binary, 256)); // Uint8Array(4) [ 130, 126, 1, 0 ]
 * ```
 */
export function encodeFrameHeader(
  opcode: number,
  payloadLength: number,
  options?: FrameHeaderOptions,
): Uint8Array {
  const b0 = firstByte(opcode, options?.fin ?? true, options?.rsv ?? 0);
  if (!Number.isSafeInteger(payloadLength) || payloadLength < 0) {
    throw new UsageError(`Invalid payload length: ${payloadLength}`);
  }
  const mask = options?.mask;
  checkMask(mask);
  const header = new Uint8Array(headerSize(payloadLength, mask !== undefined));
  writeHeader(header, 0, b0, payloadLength, mask);
  return header;
}

/**
 * Encodes `frame` as `[header, payload]`. Without a mask the payload is the
 * frame's own payload (not copied); with one it is a masked copy.
 *
 * @example
 * ```ts
 * import { encodeFrame, Frame } from "@anyws/anyws";
 * const [header, payload] = encodeFrame(Frame.text("Hello"));
 * console.log(header); // Uint8Array(2) [ 129, 5 ]
 * console.log(payload.length); // 5
 * ```
 */
export function encodeFrame(
  frame: Frame,
  options?: EncodeFrameOptions,
): [header: Uint8Array, payload: Uint8Array] {
  const mask = options?.mask;
  const header = encodeFrameHeader(frame.opcode, frame.payload.length, {
    fin: frame.fin,
    rsv: frame.rsv,
    mask,
  });
  if (mask === undefined) return [header, frame.payload];
  const payload = frame.payload.slice();
  applyMask(payload, mask);
  return [header, payload];
}

/**
 * Encodes `frame` into one buffer, header then payload (masked when a mask
 * is given). Broadcast uses it to frame a message once and write the same
 * bytes to every connection.
 *
 * @example
 * ```ts
 * import { encodeFrameBytes, Frame } from "@anyws/anyws";
 * console.log(encodeFrameBytes(Frame.text("Hi"))); // Uint8Array(4) [ 129, 2, 72, 105 ]
 * ```
 */
export function encodeFrameBytes(
  frame: Frame,
  options?: EncodeFrameOptions,
): Uint8Array {
  const mask = options?.mask;
  checkMask(mask);
  const b0 = firstByte(frame.opcode, frame.fin, frame.rsv);
  const length = frame.payload.length;
  const size = headerSize(length, mask !== undefined);
  const bytes = new Uint8Array(size + length);
  writeHeader(bytes, 0, b0, length, mask);
  bytes.set(frame.payload, size);
  if (mask !== undefined) applyMask(bytes.subarray(size), mask);
  return bytes;
}
