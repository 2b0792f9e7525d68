/**
 * The {@link DeflateCodec} on pako, a pure JavaScript port of zlib: the same
 * code and the same output on every runtime, fully synchronous. It
 * drives pako's zlib-level functions directly, so output goes into buffers
 * this module sizes, which is what bounds decompression (no chunk is ever
 * produced past the caller's limit).
 *
 * @module
 */

import {
  Z_BUF_ERROR,
  Z_DEFAULT_STRATEGY,
  Z_HUFFMAN_ONLY,
  Z_NO_FLUSH,
  Z_OK,
  Z_STREAM_END,
  Z_SYNC_FLUSH,
  zlibDeflate,
  zlibDeflateInit2,
  zlibDeflateReset,
  zlibInflate,
  zlibInflateInit2,
  zlibInflateReset,
  ZStream,
} from "pako";
import { ProtocolError, UsageError } from "../src/protocol/errors.ts";
import type {
  DeflateCodec,
  Deflater,
  DeflaterOptions,
  Inflater,
} from "../src/protocol/deflate/codec.ts";

const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0);
/** zlib's only compression method, "deflate" (RFC 1950 CM = 8). */
const Z_DEFLATED = 8;
/**
 * Working buffers are shared by every context of the program: calls are
 * synchronous and results are copied out before returning, so one buffer
 * per direction is enough, and an idle context holds none.
 */
const INFLATE_CHUNK = 64 * 1024;
/** The deflate working buffer is kept up to this size, not beyond. */
const DEFLATE_SCRATCH_KEPT = 256 * 1024;
let inflateScratch: Uint8Array<ArrayBuffer> | undefined;
let deflateScratch: Uint8Array<ArrayBuffer> = EMPTY;

/**
 * Room for `n` input bytes: deflate's worst case (stored blocks, 5 bytes
 * per 16 KiB block at the smallest memLevel's 128-byte blocks), plus the
 * sync-flush marker and bits left over from earlier calls. The loop in
 * `deflate` grows the buffer if this is ever short.
 */
function deflateRoom(n: number): number {
  return n + (n >>> 4) + 64;
}

function checkRange(name: string, value: number, min: number, max: number) {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      `Invalid deflate ${name}: ${value} (expected ${min} to ${max})`,
    );
  }
}

class PakoDeflater implements Deflater {
  readonly #strm = new ZStream();

  constructor(options: DeflaterOptions) {
    checkRange("windowBits", options.windowBits, 9, 15);
    checkRange("memLevel", options.memLevel, 1, 9);
    checkRange("level", options.level, 0, 9);
    // A negative windowBits selects raw DEFLATE (no zlib header). The
    // legacy hash makes the hash table follow memLevel (2 ** (memLevel + 7)
    // entries); pako's default hash always takes 32768 entries (64 KiB).
    const status = zlibDeflateInit2(
      this.#strm,
      options.level,
      Z_DEFLATED,
      -options.windowBits,
      options.memLevel,
      options.huffmanOnly === true ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY,
      options.memLevel < 8,
    );
    if (status !== Z_OK) {
      throw new UsageError(`Cannot create a deflater: zlib status ${status}`);
    }
  }

  deflate(bytes: Uint8Array, flush: boolean): Uint8Array {
    const strm = this.#strm;
    const room = deflateRoom(bytes.length);
    let out: Uint8Array<ArrayBuffer>;
    if (room <= DEFLATE_SCRATCH_KEPT) {
      if (deflateScratch.length < room) {
        deflateScratch = new Uint8Array(
          Math.min(DEFLATE_SCRATCH_KEPT, Math.max(room, 4096)),
        );
      }
      out = deflateScratch;
    } else {
      out = new Uint8Array(room);
    }
    strm.input = bytes;
    strm.next_in = 0;
    strm.avail_in = bytes.length;
    strm.output = out;
    strm.next_out = 0;
    strm.avail_out = out.length;
    const mode = flush ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    while (true) {
      const status = zlibDeflate(strm, mode);
      // Z_BUF_ERROR: nothing to do (no input, and already flushed).
      if (status !== Z_OK && status !== Z_BUF_ERROR) {
        throw new Error(`Deflate failed: zlib status ${status}`);
      }
      // zlib: "If deflate returns with avail_out == 0, this function must
      // be called again with the same value of the flush parameter and
      // more output space".
      if (strm.avail_out !== 0) break;
      const grown = new Uint8Array(out.length * 2);
      grown.set(out);
      out = grown;
      strm.output = out;
      strm.avail_out = out.length - strm.next_out;
    }
    strm.input = EMPTY;
    strm.output = EMPTY;
    return out.slice(0, strm.next_out);
  }

  reset(): void {
    zlibDeflateReset(this.#strm);
  }
}

class PakoInflater implements Inflater {
  readonly #strm = new ZStream();
  #ended = false;

  constructor(windowBits: number) {
    checkRange("windowBits", windowBits, 8, 15);
    const status = zlibInflateInit2(this.#strm, -windowBits);
    if (status !== Z_OK) {
      throw new UsageError(`Cannot create an inflater: zlib status ${status}`);
    }
  }

  get ended(): boolean {
    return this.#ended;
  }

  inflate(bytes: Uint8Array, limit: number): Uint8Array {
    if (this.#ended || bytes.length === 0) return EMPTY;
    if (!(limit >= 0)) limit = 0;
    const strm = this.#strm;
    const scratch = inflateScratch ??= new Uint8Array(INFLATE_CHUNK);
    strm.input = bytes;
    strm.next_in = 0;
    strm.avail_in = bytes.length;
    let total = 0;
    let first: Uint8Array | undefined;
    let rest: Uint8Array[] | undefined;
    try {
      while (true) {
        // One byte more than the limit allows: producing it proves the
        // message too big without ever holding more than `limit` bytes.
        strm.output = scratch;
        strm.next_out = 0;
        strm.avail_out = Math.min(scratch.length, limit - total + 1);
        const status = zlibInflate(strm, Z_NO_FLUSH);
        if (status !== Z_OK && status !== Z_STREAM_END) {
          if (status !== Z_BUF_ERROR) {
            throw new ProtocolError(
              "invalid-data",
              `Invalid compressed data: ${strm.msg || `zlib status ${status}`}`,
            );
          }
        }
        const produced = strm.next_out;
        if (produced > 0) {
          total += produced;
          if (total > limit) {
            throw new ProtocolError(
              "too-big",
              `Message too big: over ${limit} bytes once decompressed`,
            );
          }
          const piece = scratch.slice(0, produced);
          if (first === undefined) first = piece;
          else (rest ??= []).push(piece);
        }
        if (status === Z_STREAM_END) {
          // RFC 1951 §3.2.3: BFINAL "set if and only if this is the last
          // block of the data set"; what follows is not part of it.
          this.#ended = true;
          break;
        }
        // Output space left over: all the input that can be decoded now is.
        if (strm.avail_out !== 0) break;
      }
    } finally {
      strm.input = EMPTY;
      strm.output = EMPTY;
    }
    if (first === undefined) return EMPTY;
    if (rest === undefined) return first;
    const joined = new Uint8Array(total);
    joined.set(first);
    let at = first.length;
    for (const piece of rest) {
      joined.set(piece, at);
      at += piece.length;
    }
    return joined;
  }

  reset(): void {
    zlibInflateReset(this.#strm);
    this.#ended = false;
  }
}

/**
 * The pako implementation of {@link DeflateCodec}.
 *
 * @example
 * ```ts
 * import { pakoCodec } from "./deflate_pako.ts";
 * const deflater = pakoCodec.createDeflater({ windowBits: 15, memLevel: 8, level: 6 });
 * const hello = deflater.deflate(new TextEncoder().encode("Hello"), true);
 * console.log(hello); // Uint8Array(11) [ 242, 72, 205, 201, 201, 7, 0, 0, 0, 255, 255 ]
 * console.log(new TextDecoder().decode(pakoCodec.createInflater(15).inflate(hello, 100))); // "Hello"
 * ```
 */
export const pakoCodec: DeflateCodec = {
  name: "pako",
  createDeflater(options: DeflaterOptions): Deflater {
    return new PakoDeflater(options);
  },
  createInflater(windowBits: number): Inflater {
    return new PakoInflater(windowBits);
  },
};
