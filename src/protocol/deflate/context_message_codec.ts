/**
 * A {@link MessageCodec} on reusable contexts of any {@link DeflateCodec}:
 * one compressor per setting in use and one decompressor, reset after
 * every message.
 *
 * @module
 */

import type { DeflateCodec, DeflaterOptions, MessageCodec } from "./codec.ts";
import { MessageCompressor } from "./message_compressor.ts";
import { MessageDecompressor } from "./message_decompressor.ts";

/**
 * Whole-message compression on contexts of `codec` that are created on
 * first use and reset after every message. Settings differ by message size
 * (see `sharedDeflaterOptions`), so there are at most a handful of
 * compressors.
 *
 * @example
 * ```ts
 * import { contextMessageCodec } from "./context_message_codec.ts";
 * import { pakoCodec } from "../../../engines/deflate_pako.ts";
 * const codec = contextMessageCodec(pakoCodec);
 * const payload = codec.compress(new TextEncoder().encode("Hello"), {
 *   windowBits: 9,
 *   memLevel: 3,
 *   level: 6,
 * });
 * console.log(payload); // f2 48 cd c9 c9 07 00
 * console.log(new TextDecoder().decode(codec.decompress(payload, 100))); // "Hello"
 * ```
 */
export function contextMessageCodec(codec: DeflateCodec): MessageCodec {
  const compressors = new Map<string, MessageCompressor>();
  let decompressor: MessageDecompressor | undefined;
  return {
    name: codec.name,
    compress(bytes: Uint8Array, options: DeflaterOptions): Uint8Array {
      const key = `${options.windowBits}/${options.memLevel}/${options.level}/${
        options.huffmanOnly === true
      }`;
      let compressor = compressors.get(key);
      if (compressor === undefined) {
        compressor = new MessageCompressor(codec.createDeflater(options), {
          noContextTakeover: true,
        });
        compressors.set(key, compressor);
      }
      return compressor.compress(bytes, true);
    },
    decompress(payload: Uint8Array, limit: number): Uint8Array {
      decompressor ??= new MessageDecompressor(codec.createInflater(15), {
        noContextTakeover: true,
      });
      return decompressor.decompress(payload, true, limit);
    },
  };
}
