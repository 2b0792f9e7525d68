/**
 * Bytes for the driver fuzzer: a growable log, comparisons, and the parser
 * of what the server writes (its frames, unmasked, RFC 6455 §5.2).
 *
 * @module
 */

import { isValidUtf8 } from "../src/protocol/utf8.ts";

const decoder = new TextDecoder();

/** A growable byte log. */
export class ByteLog {
  #data = new Uint8Array(256);
  length = 0;

  push(chunk: Uint8Array): void {
    const need = this.length + chunk.length;
    if (need > this.#data.length) {
      const grown = new Uint8Array(Math.max(need, this.#data.length * 2));
      grown.set(this.#data.subarray(0, this.length));
      this.#data = grown;
    }
    this.#data.set(chunk, this.length);
    this.length = need;
  }

  get bytes(): Uint8Array {
    return this.#data.subarray(0, this.length);
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function show(payload: Uint8Array | string): string {
  if (typeof payload === "string") {
    return payload.length > 24
      ? JSON.stringify(payload.slice(0, 24)) + `…(${payload.length})`
      : JSON.stringify(payload);
  }
  const text = decoder.decode(payload.subarray(0, 24));
  return /^[\x20-\x7e]*$/.test(text)
    ? `"${text}"${payload.length > 24 ? `…(${payload.length} bytes)` : ""}`
    : `${payload.length} bytes`;
}

export const OPCODE_NAMES: Record<number, string> = {
  0: "cont",
  1: "text",
  2: "binary",
  8: "close",
  9: "ping",
  10: "pong",
};

/** A frame the server wrote, parsed from its byte stream. */
export interface WireFrame {
  opcode: number;
  fin: boolean;
  rsv: number;
  masked: boolean;
  payload: Uint8Array;
  /** Offset just past the frame in the server's stream. */
  end: number;
}

export function parseFrameAt(
  bytes: Uint8Array,
  offset: number,
): WireFrame | undefined {
  if (bytes.length - offset < 2) return undefined;
  const b0 = bytes[offset];
  const b1 = bytes[offset + 1];
  const masked = (b1 & 0x80) !== 0;
  let length = b1 & 0x7f;
  let header = 2;
  if (length === 126) {
    if (bytes.length - offset < 4) return undefined;
    length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    header = 4;
  } else if (length === 127) {
    if (bytes.length - offset < 10) return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 10);
    length = view.getUint32(2) * 2 ** 32 + view.getUint32(6);
    header = 10;
  }
  if (masked) header += 4;
  if (bytes.length - offset < header + length) return undefined;
  return {
    opcode: b0 & 0xf,
    fin: (b0 & 0x80) !== 0,
    rsv: (b0 >> 4) & 7,
    masked,
    payload: bytes.slice(offset + header, offset + header + length),
    end: offset + header + length,
  };
}

export function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (
      bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 &&
      bytes[i + 3] === 10
    ) return i + 4;
  }
  return -1;
}

export function closeCodeOf(payload: Uint8Array): number {
  return payload.length < 2 ? 1005 : (payload[0] << 8) | payload[1];
}

export function isValidServerClosePayload(payload: Uint8Array): boolean {
  if (payload.length === 0) return true;
  if (payload.length === 1) return false;
  const code = closeCodeOf(payload);
  const validCode = (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  return validCode && isValidUtf8(payload.subarray(2));
}
