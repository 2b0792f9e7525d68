/**
 * RFC 7692 §7.2.2: decompressing the payload of a message.
 *
 * @module
 */

import type { Inflater } from "./codec.ts";

/** RFC 7692 §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff". */
/** RFC 7692 §7.2.2: the tail removed by the sender, appended before inflating. */
function tail(): Uint8Array {
  return Uint8Array.of(0x00, 0x00, 0xff, 0xff);
}

/**
 * Turns permessage-deflate payloads back into message bytes, frame by
 * frame, never producing more than the caller's limit.
 *
 * A message that ends its DEFLATE stream with a BFINAL block (RFC 7692
 * §7.2.3.4; some clients do, ws#1669) is decompressed up to that block,
 * and the context is reset before the next message, since a stream cannot
 * go on after its final block.
 *
 * @example
 * ```ts
 * import { MessageDecompressor } from "./message_decompressor.ts";
 * import { pakoCodec } from "../../../engines/deflate_pako.ts";
 * const decompressor = new MessageDecompressor(pakoCodec.createInflater(15), {
 *   noContextTakeover: false,
 * });
 * const payload = new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
 * const bytes = decompressor.decompress(payload, true, 1024);
 * console.log(new TextDecoder().decode(bytes)); // "Hello"
 * ```
 */
export class MessageDecompressor {
  readonly #inflater: Inflater;
  readonly #noContextTakeover: boolean;
  /** Compressed bytes received so far in the current message. */
  #received = 0;

  /**
   * A decompressor of messages over `inflater`.
   *
   * @param inflater The decompression context, used by this object only.
   * @param options `noContextTakeover`: reset after every message (the
   * sender's `*_no_context_takeover` was agreed).
   */
  constructor(inflater: Inflater, options: { noContextTakeover: boolean }) {
    this.#inflater = inflater;
    this.#noContextTakeover = options.noContextTakeover;
  }

  /**
   * Decompresses the payload of the next frame of a message; `fin` marks
   * its last frame.
   *
   * @param limit The most bytes this frame may decompress to (the message
   * size limit less what the message's earlier frames produced).
   * @returns The frame's decompressed bytes, owned by the caller.
   * @throws A `ProtocolError`: 1009 past `limit`, 1007 for data that is not
   * DEFLATE. The context is reset, but the connection must be failed.
   */
  decompress(bytes: Uint8Array, fin: boolean, limit: number): Uint8Array {
    const inflater = this.#inflater;
    try {
      let out = inflater.inflate(bytes, limit);
      this.#received += bytes.length;
      if (!fin) return out;
      const empty = this.#received === 0;
      this.#received = 0;
      // A message with no compressed byte at all is read as empty. An empty
      // message compresses to one 0x00 byte (the header bits of the empty
      // stored block whose LEN and NLEN the tail supplies); fed the tail
      // alone, the inflater would read it as the start of a stored block
      // that never ends, and garble every later message of the context.
      if (!inflater.ended && !empty) {
        const end = inflater.inflate(tail(), limit - out.length);
        if (end.length > 0) {
          const joined = new Uint8Array(out.length + end.length);
          joined.set(out);
          joined.set(end, out.length);
          out = joined;
        }
      }
      if (this.#noContextTakeover || inflater.ended) inflater.reset();
      return out;
    } catch (error) {
      this.#received = 0;
      inflater.reset();
      throw error;
    }
  }
}
