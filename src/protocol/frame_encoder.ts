/**
 * Encoding a whole frame to bytes (RFC 6455 §5.2), for a broadcast (frame
 * once, write the same bytes everywhere) or an application that brings its
 * own I/O. A connection's own frames are written by the Protocol, into a
 * shared slab, without this function.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import type { Frame } from "./frame.ts";
import { headerSize, writeHeader } from "./_frame_header.ts";
import { applyMask } from "./mask.ts";

/**
 * Options of {@link encodeFrame}.
 *
 * @example
 * ```ts
 * import type { EncodeFrameOptions } from "@anyws/anyws/protocol";
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
 * Encodes `frame` into one buffer, header then payload (masked when a mask
 * is given). Broadcast uses it to frame a message once and write the same
 * bytes to every connection.
 *
 * @example
 * ```ts
 * import { encodeFrame } from "@anyws/anyws/protocol";
 * import { Frame } from "@anyws/anyws";
 * console.log(encodeFrame(Frame.text("Hi"))); // Uint8Array(4) [ 129, 2, 72, 105 ]
 * ```
 */
export function encodeFrame(
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
