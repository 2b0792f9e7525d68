/**
 * RFC 7692 §7.2.1: compressing the payload of a message.
 *
 * @module
 */

import type { Deflater } from "./codec.ts";

/**
 * Turns messages, whole or in fragments, into permessage-deflate payloads:
 * each call's bytes are deflated and sync-flushed (so every fragment can be
 * sent at once), and the last one loses the `00 00 ff ff` tail. Without
 * context takeover the window is dropped after each message.
 *
 * @example
 * ```ts
 * import { MessageCompressor } from "./message_compressor.ts";
 * import { pakoCodec } from "../../../engines/deflate_pako.ts";
 * const compressor = new MessageCompressor(
 *   pakoCodec.createDeflater({ windowBits: 15, memLevel: 8, level: 6 }),
 *   { noContextTakeover: false },
 * );
 * const hello = new TextEncoder().encode("Hello");
 * console.log(compressor.compress(hello, true)); // f2 48 cd c9 c9 07 00 (RFC 7692 §7.2.3.1)
 * console.log(compressor.compress(hello, true)); // f2 00 11 00 00 (§7.2.3.2: the window is shared)
 * ```
 */
export class MessageCompressor {
  readonly #deflater: Deflater;
  readonly #noContextTakeover: boolean;

  /**
   * A compressor of messages over `deflater`.
   *
   * @param deflater The compression context, used by this object only.
   * @param options `noContextTakeover`: start every message with an empty
   * window (the sender's `*_no_context_takeover` was agreed).
   */
  constructor(deflater: Deflater, options: { noContextTakeover: boolean }) {
    this.#deflater = deflater;
    this.#noContextTakeover = options.noContextTakeover;
  }

  /**
   * Compresses the next piece of a message; `fin` marks its last piece.
   * The result of each call is the payload of one frame; only the first
   * frame of the message carries RSV1 (RFC 7692 §6).
   */
  compress(bytes: Uint8Array, fin: boolean): Uint8Array {
    let out: Uint8Array;
    try {
      out = this.#deflater.deflate(bytes, true);
    } catch (error) {
      this.#deflater.reset();
      throw error;
    }
    if (!fin) return out;
    if (this.#noContextTakeover) this.#deflater.reset();
    // RFC 7692 §7.2.1: "If the resulting data does not end with an empty
    // DEFLATE block with no compression ... append an empty DEFLATE block
    // with no compression to the tail end. Remove 4 octets (that are 0x00
    // 0x00 0xff 0xff) from the tail end." A sync flush ends with that
    // block, except when there was nothing to flush (an empty message
    // right after another): the stream is then byte-aligned, the block is
    // 00 00 00 ff ff, and one 0x00 byte (its header bits) remains.
    const n = out.length;
    if (n === 0) return new Uint8Array(1);
    if (
      n < 4 || out[n - 4] !== 0x00 || out[n - 3] !== 0x00 ||
      out[n - 2] !== 0xff || out[n - 1] !== 0xff
    ) {
      throw new Error("Deflater output does not end with a sync flush");
    }
    return out.subarray(0, n - 4);
  }
}
