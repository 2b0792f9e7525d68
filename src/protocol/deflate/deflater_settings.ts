/**
 * The zlib settings of a compressor, from what the peer allows and, for a
 * whole message compressed on its own, from the message's size.
 *
 * @module
 */

import type { DeflaterOptions } from "./codec.ts";

/**
 * zlib never refers further back than the window size less 262 bytes
 * (`MIN_LOOKAHEAD`: the longest match plus the shortest plus one).
 */
const MIN_LOOKAHEAD = 262;

/**
 * Settings of a compressor for a peer that allows `windowBits` (8 to 15).
 * No zlib compresses with a 256-byte window (zlib 1.2.9 and later and pako
 * refuse it; the zlib binding of the JavaScript runtimes silently takes
 * 512 bytes). For 8 the compressor
 * therefore codes no back-reference at all (Huffman only), which any
 * window allows. (A client cannot decline the server's
 * `client_max_window_bits=8`, only fail; a server declines an offer of
 * `server_max_window_bits=8` instead.)
 *
 * @example
 * ```ts
 * import { deflaterOptionsFor } from "./deflater_settings.ts";
 * deflaterOptionsFor(12, 5, 6); // { windowBits: 12, memLevel: 5, level: 6 }
 * deflaterOptionsFor(8, 1, 6); // { windowBits: 9, memLevel: 1, level: 6, huffmanOnly: true }
 * ```
 */
export function deflaterOptionsFor(
  windowBits: number,
  memLevel: number,
  level: number,
): DeflaterOptions {
  return windowBits === 8
    ? { windowBits: 9, memLevel, level, huffmanOnly: true }
    : { windowBits, memLevel, level };
}

/**
 * Settings for compressing one `length`-byte message from an empty window,
 * for a peer that allows `windowBits`: the smallest window that reaches
 * back over the whole message, and a memory level whose symbol buffer
 * (`2 ** (memLevel + 6)` symbols) holds it in one block. A window larger
 * than the message finds nothing more, and a smaller context is cheaper to
 * reset (pako clears its hash table with a loop: 32,768 entries at memory
 * level 8, measured at 13 µs per reset on Node, more than compressing a
 * 400-byte message).
 *
 * @example
 * ```ts
 * import { messageDeflaterOptions } from "./deflater_settings.ts";
 * messageDeflaterOptions(400, 15, 6); // { windowBits: 10, memLevel: 4, level: 6 }
 * messageDeflaterOptions(100_000, 15, 6); // { windowBits: 15, memLevel: 8, level: 6 }
 * ```
 */
export function messageDeflaterOptions(
  length: number,
  windowBits: number,
  level: number,
): DeflaterOptions {
  let bits = 9;
  while (bits < 15 && (1 << bits) - MIN_LOOKAHEAD < length) bits++;
  if (windowBits === 8) return deflaterOptionsFor(8, bits - 6, level);
  const chosen = Math.min(bits, windowBits);
  return { windowBits: chosen, memLevel: Math.min(8, chosen - 6), level };
}
