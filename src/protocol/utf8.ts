/**
 * Strict UTF-8 decoding for text messages and close reasons, in one piece or
 * incrementally (RFC 6455 §5.6, §8.1).
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";

// RFC 6455 §5.6: "The "Payload data" is text data encoded as UTF-8."
// The byte order mark is data, not a signature, so it must be kept:
// ignoreBOM: true.
const oneShot = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const STREAM: TextDecodeOptions = Object.freeze({ stream: true });

function invalid(cause: unknown): ProtocolError {
  // RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as UTF-8
  // but finds that the byte stream is not, in fact, a valid UTF-8 stream,
  // that endpoint MUST _Fail the WebSocket Connection_."
  return new ProtocolError("invalid-data", "Invalid UTF-8 in text data", {
    cause,
  });
}

/**
 * Decodes `bytes` as strict UTF-8, keeping a leading byte order mark.
 * Throws a {@link ProtocolError} with code 1007 on any invalid or
 * incomplete sequence.
 *
 * @example
 * ```ts
 * import { decodeUtf8 } from "@anyws/anyws/protocol";
 * console.log(decodeUtf8(new Uint8Array([0x48, 0x69]))); // "Hi"
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return oneShot.decode(bytes);
  } catch (error) {
    throw invalid(error);
  }
}

/**
 * Whether `bytes` is entirely valid UTF-8.
 *
 * @example
 * ```ts
 * import { isValidUtf8 } from "@anyws/anyws/protocol";
 * console.log(isValidUtf8(new Uint8Array([0xce, 0xba]))); // true
 * console.log(isValidUtf8(new Uint8Array([0xc0, 0x80]))); // false
 * ```
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    oneShot.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Incremental strict UTF-8 decoder for a text message that arrives in
 * pieces. Fails (code 1007) at the first byte that cannot start or continue
 * a valid sequence, even if the message's last fragment has not arrived;
 * a sequence left incomplete at the end fails in {@link Utf8StreamDecoder.end}.
 *
 * @example
 * ```ts
 * import { Utf8StreamDecoder } from "@anyws/anyws/protocol";
 * const decoder = new Utf8StreamDecoder();
 * let text = decoder.push(new Uint8Array([0x48, 0xe2, 0x82]));
 * text += decoder.push(new Uint8Array([0xac]));
 * text += decoder.end();
 * console.log(text); // "H€"
 * ```
 */
export class Utf8StreamDecoder {
  #decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

  /**
   * Decodes the next piece. Returns the text of the complete characters;
   * an incomplete trailing sequence is kept for the next call.
   */
  push(bytes: Uint8Array): string {
    try {
      return this.#decoder.decode(bytes, STREAM);
    } catch (error) {
      throw invalid(error);
    }
  }

  /**
   * Ends the message: throws (1007) if a sequence is left incomplete,
   * otherwise returns the remaining text (always `""`) and resets the
   * decoder for the next message.
   */
  end(): string {
    try {
      return this.#decoder.decode();
    } catch (error) {
      throw invalid(error);
    }
  }
}
