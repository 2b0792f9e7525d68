/**
 * The synchronous raw-DEFLATE contract (RFC 1951, no zlib header) that the
 * permessage-deflate transform runs on. The protocol core stays
 * synchronous and runtime-agnostic: an implementation is plain code (the
 * pako one, `engines/deflate_pako.ts`) or wraps a runtime's synchronous zlib.
 *
 * The contract is split by direction because RFC 7692 negotiates each
 * direction on its own (context takeover and window size, §7.1), and a
 * direction without context takeover can share one context between
 * connections.
 *
 * @module
 */

/**
 * The settings of one compression context.
 *
 * @example
 * ```ts
 * import type { DeflaterOptions } from "./codec.ts";
 * const small: DeflaterOptions = { windowBits: 9, memLevel: 2, level: 6 };
 * ```
 */
export interface DeflaterOptions {
  /**
   * Base-2 logarithm of the LZ77 window, 9 to 15. (zlib cannot compress
   * with 8; see `huffmanOnly`.)
   */
  windowBits: number;
  /** zlib memory level, 1 to 9. */
  memLevel: number;
  /** zlib compression level, 0 to 9. */
  level: number;
  /**
   * Huffman coding only, no LZ77 back-references: the output is legal for
   * a peer that allows any window, even the 256 bytes zlib cannot produce.
   */
  huffmanOnly?: boolean;
}

/**
 * A raw DEFLATE compressor that keeps its LZ77 window between calls until
 * {@link Deflater.reset}.
 *
 * @example
 * ```ts
 * import type { Deflater } from "./codec.ts";
 * function syncFlushed(deflater: Deflater, bytes: Uint8Array): Uint8Array {
 *   return deflater.deflate(bytes, true); // ends with 00 00 ff ff
 * }
 * ```
 */
export interface Deflater {
  /**
   * Compresses `bytes`. With `flush` the output ends on a byte boundary
   * with an empty stored block (zlib's `Z_SYNC_FLUSH`: `00 00 ff ff`), so
   * everything given so far can be inflated; without it the compressor
   * may keep input back. Never ends the stream (no BFINAL block).
   *
   * @returns The compressed bytes, owned by the caller.
   */
  deflate(bytes: Uint8Array, flush: boolean): Uint8Array;
  /** Forgets the window: the next output starts as a fresh stream. */
  reset(): void;
}

/**
 * A raw DEFLATE decompressor that keeps its window between calls until
 * {@link Inflater.reset}.
 *
 * @example
 * ```ts
 * import type { Inflater } from "./codec.ts";
 * function inflateAtMost(inflater: Inflater, bytes: Uint8Array): Uint8Array {
 *   return inflater.inflate(bytes, 1 << 20); // throws past 1 MiB
 * }
 * ```
 */
export interface Inflater {
  /**
   * Decompresses `bytes`, writing at most `limit` bytes and never holding
   * more than that (plus a fixed working buffer) while doing so.
   *
   * Once the stream ended (a block with BFINAL set), {@link ended} is true
   * and further input is ignored until {@link reset}.
   *
   * @returns The decompressed bytes, owned by the caller.
   * @throws A `ProtocolError` with code 1009 when the output would exceed
   * `limit`, with code 1007 when `bytes` are not valid DEFLATE data. The
   * inflater must be reset after either.
   */
  inflate(bytes: Uint8Array, limit: number): Uint8Array;
  /** The stream ended with a BFINAL block. */
  readonly ended: boolean;
  /** Forgets the window and any stream end: ready for a fresh stream. */
  reset(): void;
}

/**
 * Creates compression contexts: one implementation of the contract.
 *
 * @example
 * ```ts
 * import type { DeflateCodec } from "./codec.ts";
 * function roundTrip(codec: DeflateCodec, bytes: Uint8Array): Uint8Array {
 *   const deflated = codec.createDeflater({ windowBits: 15, memLevel: 8, level: 6 })
 *     .deflate(bytes, true);
 *   return codec.createInflater(15).inflate(deflated, bytes.length);
 * }
 * ```
 */
export interface DeflateCodec {
  /** A short name for reports, such as `"pako"`. */
  readonly name: string;
  /** A compressor. Throws a `UsageError` for settings out of range. */
  createDeflater(options: DeflaterOptions): Deflater;
  /**
   * A decompressor for a peer whose window is at most `2 ** windowBits`
   * bytes (8 to 15).
   */
  createInflater(windowBits: number): Inflater;
}

/**
 * Whole-message compression without context takeover: what the shared
 * contexts of a server do for every single-frame message of a direction
 * that agreed `*_no_context_takeover` (RFC 7692 §7.1.1). No state may
 * survive a call, so that no message can refer to another connection's
 * bytes. An implementation may use one-shot functions (a runtime's
 * synchronous zlib) or reusable contexts reset after each message.
 *
 * @example
 * ```ts
 * import type { MessageCodec } from "./codec.ts";
 * function echo(codec: MessageCodec, payload: Uint8Array): Uint8Array {
 *   const message = codec.decompress(payload, 1 << 20);
 *   return codec.compress(message, { windowBits: 15, memLevel: 8, level: 6 });
 * }
 * ```
 */
export interface MessageCodec {
  /** A short name for reports, such as `"zlib"`. */
  readonly name: string;
  /**
   * RFC 7692 §7.2.1 for a whole message: `bytes` deflated from an empty
   * window, sync-flushed, with the `00 00 ff ff` tail removed.
   */
  compress(bytes: Uint8Array, options: DeflaterOptions): Uint8Array;
  /**
   * RFC 7692 §7.2.2 for a whole message: `payload` with the tail appended,
   * inflated from an empty 32 KiB window, at most `limit` bytes. Input
   * after a BFINAL block is ignored.
   *
   * @throws A `ProtocolError`: 1009 past `limit`, 1007 for invalid data.
   */
  decompress(payload: Uint8Array, limit: number): Uint8Array;
}
