/**
 * One connection's permessage-deflate: which context compresses or
 * decompresses each message, by the agreed parameters.
 *
 * @module
 */

import { MessageCompressor } from "./message_compressor.ts";
import { MessageDecompressor } from "./message_decompressor.ts";
import type { DeflateContexts } from "./deflate_contexts.ts";
import { deflaterOptionsFor } from "./deflater_settings.ts";
import type { DeflateParameters } from "./parameters.ts";

/**
 * The permessage-deflate state of one connection, for its protocol
 * engine to call on every data message:
 *
 * - sending: if `shouldCompress(length)` (and the application did not opt
 *   out), the payload of each frame is `compress(piece, fin)`; RSV1 is set
 *   on the first frame of the message only; control frames are never
 *   compressed (RFC 7692 §6.1).
 * - receiving: a message whose first frame has RSV1 is compressed; each of
 *   its frames goes through `decompress(payload, fin, limit)` before UTF-8
 *   validation and reassembly.
 *
 * A direction without context takeover uses the shared contexts of
 * {@link DeflateContexts} for single-frame messages, and a context of its
 * own only while a fragmented message is in progress. A direction with
 * context takeover gets its own context on first use and keeps it.
 *
 * @example
 * ```ts
 * import { DeflateContexts } from "./deflate_contexts.ts";
 * import { resolveDeflateOptions } from "./options.ts";
 * import { pakoCodec } from "../../../engines/deflate_pako.ts";
 * import { PerMessageDeflate } from "./per_message_deflate.ts";
 * const contexts = new DeflateContexts(pakoCodec, resolveDeflateOptions());
 * const parameters = {
 *   serverNoContextTakeover: true,
 *   clientNoContextTakeover: true,
 *   serverMaxWindowBits: 15,
 *   clientMaxWindowBits: 15,
 * };
 * const server = new PerMessageDeflate(contexts, parameters, "server");
 * const client = new PerMessageDeflate(contexts, parameters, "client");
 * const payload = server.compress(new TextEncoder().encode("Hello"), true);
 * console.log(new TextDecoder().decode(client.decompress(payload, true, 1024))); // "Hello"
 * ```
 */
export class PerMessageDeflate {
  /** The agreed parameters. */
  readonly parameters: DeflateParameters;
  /**
   * Set when this endpoint sends without context takeover: the window
   * bits its peer allows, to pass to `DeflateContexts.compressMessage`.
   * Every connection with the same key can be sent the same compressed
   * bytes (compress-once broadcast). `undefined` with context takeover:
   * each message must go through {@link compress}.
   */
  readonly sharedKey: number | undefined;

  readonly #contexts: DeflateContexts;
  readonly #sendBits: number;
  readonly #sendNoContextTakeover: boolean;
  readonly #receiveBits: number;
  readonly #receiveNoContextTakeover: boolean;
  #compressor: MessageCompressor | undefined;
  #decompressor: MessageDecompressor | undefined;
  /** A fragmented message is being compressed / decompressed. */
  #sending = false;
  #receiving = false;

  /**
   * The permessage-deflate state of a new connection; it holds no
   * compression context until one is needed.
   *
   * @param contexts The shared contexts and settings.
   * @param parameters What the handshake agreed.
   * @param role This endpoint's side of the connection.
   */
  constructor(
    contexts: DeflateContexts,
    parameters: DeflateParameters,
    role: "server" | "client",
  ) {
    this.#contexts = contexts;
    this.parameters = parameters;
    const server = role === "server";
    this.#sendBits = server
      ? parameters.serverMaxWindowBits
      : parameters.clientMaxWindowBits;
    this.#sendNoContextTakeover = server
      ? parameters.serverNoContextTakeover
      : parameters.clientNoContextTakeover;
    this.#receiveBits = server
      ? parameters.clientMaxWindowBits
      : parameters.serverMaxWindowBits;
    this.#receiveNoContextTakeover = server
      ? parameters.clientNoContextTakeover
      : parameters.serverNoContextTakeover;
    this.sharedKey = this.#sendNoContextTakeover ? this.#sendBits : undefined;
  }

  /**
   * Whether a message of `length` bytes is worth compressing: at least the
   * configured `threshold`.
   */
  shouldCompress(length: number): boolean {
    return length >= this.#contexts.options.threshold;
  }

  /**
   * Compresses the next piece of an outgoing message (`fin`: its last
   * piece) into the payload of one frame.
   */
  compress(bytes: Uint8Array, fin: boolean): Uint8Array {
    if (this.sharedKey !== undefined && fin && !this.#sending) {
      return this.#contexts.compressMessage(bytes, this.sharedKey);
    }
    const compressor = this.#compressor ??= new MessageCompressor(
      this.#contexts.codec.createDeflater(
        deflaterOptionsFor(
          this.#sendBits,
          this.#contexts.options.memLevel,
          this.#contexts.options.level,
        ),
      ),
      { noContextTakeover: this.#sendNoContextTakeover },
    );
    this.#sending = !fin;
    try {
      return compressor.compress(bytes, fin);
    } finally {
      // Without context takeover the context was only lent to this message.
      if (fin && this.#sendNoContextTakeover) this.#compressor = undefined;
    }
  }

  /**
   * Decompresses the payload of the next frame of an incoming compressed
   * message (`fin`: its last frame).
   *
   * @param limit The most bytes the frame may decompress to.
   * @throws A `ProtocolError`: 1009 past `limit`, 1007 for invalid data.
   */
  decompress(bytes: Uint8Array, fin: boolean, limit: number): Uint8Array {
    if (this.#receiveNoContextTakeover && fin && !this.#receiving) {
      return this.#contexts.decompressMessage(bytes, limit);
    }
    const decompressor = this.#decompressor ??= new MessageDecompressor(
      this.#contexts.codec.createInflater(this.#receiveBits),
      { noContextTakeover: this.#receiveNoContextTakeover },
    );
    this.#receiving = !fin;
    try {
      return decompressor.decompress(bytes, fin, limit);
    } finally {
      if (fin && this.#receiveNoContextTakeover) this.#decompressor = undefined;
    }
  }
}
