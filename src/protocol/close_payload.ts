/**
 * The body of a Close frame: a 2-byte status code and a UTF-8 reason
 * (RFC 6455 §5.5.1).
 *
 * @module
 */

import { isValidCloseCode } from "./close_code.ts";
import { ProtocolError, UsageError } from "./errors.ts";
import { decodeUtf8 } from "./utf8.ts";

/**
 * The longest close reason, in UTF-8 bytes: a control frame payload is at
 * most 125 bytes and the status code takes 2 (RFC 6455 §5.5).
 *
 * @example
 * ```ts
 * import { MAX_CLOSE_REASON_BYTES } from "./close_payload.ts";
 * console.log(MAX_CLOSE_REASON_BYTES); // 123
 * ```
 */
export const MAX_CLOSE_REASON_BYTES = 123;

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * A parsed Close frame body. `code` is 1005 (no status) when the body was
 * empty.
 *
 * @example
 * ```ts
 * import type { ClosePayload } from "@anyws/anyws/protocol";
 * const close: ClosePayload = { code: 1000, reason: "bye" };
 * ```
 */
export interface ClosePayload {
  /** The status code, or 1005 when the frame carried none. */
  code: number;
  /** The reason, `""` when none. */
  reason: string;
}

/**
 * The UTF-8 encoding of `text`, cut to at most `maxBytes` bytes without
 * splitting a character.
 *
 * @example
 * ```ts
 * import { truncateUtf8 } from "./close_payload.ts";
 * console.log(truncateUtf8("héllo", 2)); // Uint8Array(1) [ 104 ] — "é" does not fit whole
 * ```
 */
export function truncateUtf8(text: string, maxBytes: number): Uint8Array {
  // Every UTF-16 unit encodes to at least one byte, so units past
  // `maxBytes` can never fit; dropping them first bounds the work. A
  // surrogate pair cut in half there encodes as U+FFFD at a position where
  // neither it nor the whole pair would fit, so it is cut below too.
  const bytes = encoder.encode(
    text.length > maxBytes ? text.slice(0, maxBytes) : text,
  );
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // Back up over continuation bytes (0b10xxxxxx) to a character boundary.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/**
 * Builds a Close frame body. No code gives an empty body; a reason needs a
 * code. Throws a {@link UsageError} for a code an application may not send
 * (see `isValidCloseCode`). The reason is cut to 123 UTF-8 bytes without
 * splitting a character.
 *
 * RFC 6455 §5.5.1: "If there is a body, the first two bytes of the body MUST
 * be a 2-byte unsigned integer (in network byte order) representing a status
 * code [...]. Following the 2-byte integer, the body MAY contain UTF-8-encoded
 * data with value /reason/".
 *
 * @example
 * ```ts
 * import { encodeClosePayload } from "@anyws/anyws/protocol";
 * console.log(encodeClosePayload(1000, "ok")); // Uint8Array(4) [ 3, 232, 111, 107 ]
 * ```
 */
export function encodeClosePayload(code?: number, reason?: string): Uint8Array {
  if (code === undefined) {
    if (reason) throw new UsageError("A close reason requires a close code");
    return EMPTY;
  }
  if (!isValidCloseCode(code)) {
    throw new UsageError(`Invalid close code: ${code}`);
  }
  const text = reason ? truncateUtf8(reason, MAX_CLOSE_REASON_BYTES) : EMPTY;
  const body = new Uint8Array(2 + text.length);
  body[0] = code >>> 8;
  body[1] = code & 0xff;
  body.set(text, 2);
  return body;
}

/**
 * Parses a received Close frame body. Throws a {@link ProtocolError}: 1002
 * for a 1-byte body or a status code not valid on the wire, 1007 for a reason
 * that is not valid UTF-8. An empty body gives code 1005.
 *
 * @example
 * ```ts
 * import { parseClosePayload } from "@anyws/anyws/protocol";
 * console.log(parseClosePayload(new Uint8Array([0x03, 0xe8, 0x6f, 0x6b]))); // { code: 1000, reason: "ok" }
 * console.log(parseClosePayload(new Uint8Array(0))); // { code: 1005, reason: "" }
 * ```
 */
export function parseClosePayload(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { code: 1005, reason: "" };
  if (payload.length === 1) {
    throw new ProtocolError("protocol", "Invalid close frame: 1-byte body");
  }
  const code = (payload[0] << 8) | payload[1];
  if (!isValidCloseCode(code)) {
    throw new ProtocolError("protocol", `Invalid close code: ${code}`);
  }
  // RFC 6455 §5.5.1: "the data [...] is not guaranteed to be human readable"
  // but it is UTF-8; §8.1 applies.
  const reason = payload.length === 2 ? "" : decodeUtf8(payload.subarray(2));
  return { code, reason };
}
