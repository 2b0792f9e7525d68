/**
 * What the connections of one server (or of all the clients of a program) share for
 * permessage-deflate: the settings, the codec that makes per-connection
 * contexts, and the whole-message codec of every direction without
 * context takeover.
 *
 * @module
 */

import type { DeflateCodec, MessageCodec } from "./codec.ts";
import { contextMessageCodec } from "./context_message_codec.ts";
import { messageDeflaterOptions } from "./deflater_settings.ts";
import type { ResolvedDeflateOptions } from "./options.ts";

/**
 * The shared side of permessage-deflate.
 *
 * A direction without context takeover keeps no state between messages,
 * so connections take turns on one {@link MessageCodec}: calls are
 * synchronous and leave nothing behind, and an idle connection holds no
 * compression memory at all. The whole-message codec defaults to reset
 * contexts of `codec`; an engine may supply a faster one (see
 * `engines/deflate_zlib.ts`).
 *
 * @example
 * ```ts
 * import { DeflateContexts } from "./deflate_contexts.ts";
 * import { resolveDeflateOptions } from "./options.ts";
 * import { pakoCodec } from "../../../engines/deflate_pako.ts";
 * const contexts = new DeflateContexts(pakoCodec, resolveDeflateOptions());
 * const payload = contexts.compressMessage(new TextEncoder().encode("Hello"), 15);
 * console.log(payload); // f2 48 cd c9 c9 07 00
 * ```
 */
export class DeflateContexts {
  /** Makes the contexts of directions with context takeover. */
  readonly codec: DeflateCodec;
  /** Compresses and decompresses whole messages without context. */
  readonly messages: MessageCodec;
  /** The resolved settings. */
  readonly options: ResolvedDeflateOptions;
  /** Bytes of outgoing messages compressed, over every connection. */
  compressedIn = 0;
  /** What those bytes compressed to. */
  compressedOut = 0;
  /** Bytes of incoming compressed messages decompressed, over every connection. */
  decompressedIn = 0;
  /** What those bytes decompressed to. */
  decompressedOut = 0;

  /**
   * Shared contexts for the connections of one server or client program.
   *
   * @param codec The DEFLATE implementation for per-connection contexts.
   * @param options The settings, from `resolveDeflateOptions`.
   * @param messages The whole-message codec; default: reset contexts of
   * `codec`.
   */
  constructor(
    codec: DeflateCodec,
    options: ResolvedDeflateOptions,
    messages?: MessageCodec,
  ) {
    this.codec = codec;
    this.options = options;
    this.messages = messages ?? contextMessageCodec(codec);
  }

  /**
   * Compresses a whole message without context takeover, for a peer that
   * allows `windowBits`: the payload of the message's only frame (RSV1
   * set). The same bytes serve every receiver with the same window bits
   * and no sender context takeover, so a broadcast compresses once per
   * distinct key (in practice once: browsers do not limit the server's
   * window).
   *
   * @param bytes The message.
   * @param windowBits 8 to 15: the receiver's agreed window for the
   * sender (`PerMessageDeflate.sharedKey`).
   */
  compressMessage(bytes: Uint8Array, windowBits: number): Uint8Array {
    return this.messages.compress(
      bytes,
      messageDeflaterOptions(bytes.length, windowBits, this.options.level),
    );
  }

  /**
   * Decompresses a whole message (one frame) sent without context
   * takeover.
   *
   * @throws A `ProtocolError`: 1009 past `limit`, 1007 for invalid data.
   */
  decompressMessage(payload: Uint8Array, limit: number): Uint8Array {
    return this.messages.decompress(payload, limit);
  }
}
