/**
 * A bump allocator for small outgoing frames. Allocating a fresh
 * `ArrayBuffer` per frame costs far more than framing a small message on
 * every engine; carving frames out of a 16 KiB slab costs a view. A region
 * is handed out once and never written again, so engines may keep the views
 * as long as they like; a slab is garbage once no view remains. Only
 * outgoing bytes live here (never data handed to the application).
 *
 * One slab serves many connections: the server and the client each share
 * one between all their connections (`FrameBuffers`).
 *
 * @module
 */

/** Largest request served from a slab; bigger frames get their own buffer. */
export const SLAB_LIMIT = 4096;

/**
 * Usage: `const buffer = slab.reserve(n)` guarantees `n` (at most
 * {@link SLAB_LIMIT}) free bytes from `slab.offset()`; write there; then
 * `slab.claim(end)` marks everything up to `end` as used, so the next region
 * starts right there: frames queued one after another are contiguous and
 * may go out as one view.
 *
 * @example
 * ```ts
 * import { Slab } from "@anyws/anyws/protocol";
 * const slab = new Slab();
 * const buffer = slab.reserve(2);
 * const at = slab.offset();
 * buffer.set([0x8a, 0x00], at); // a pong
 * slab.claim(at + 2);
 * const pong = buffer.subarray(at, at + 2);
 * ```
 */
export class Slab {
  #size: number;
  // Allocated on first use.
  #buffer: Uint8Array | undefined;
  #used = 0;

  /** A slab allocator of `size`-byte buffers (default 16 KiB, at least {@link SLAB_LIMIT}). */
  constructor(size: number = 16 * 1024) {
    this.#size = Math.max(size, SLAB_LIMIT);
  }

  /** The current buffer, with at least `size` free bytes from {@link Slab.offset}. */
  reserve(size: number): Uint8Array {
    const buffer = this.#buffer;
    if (buffer === undefined || this.#used + size > this.#size) {
      this.#used = 0;
      return this.#buffer = new Uint8Array(this.#size);
    }
    return buffer;
  }

  /** Where the free space of the current buffer starts. */
  offset(): number {
    return this.#used;
  }

  /**
   * Marks the current buffer used up to `end`: the bytes before it are
   * handed out and never written again (make views of them with
   * `subarray`).
   */
  claim(end: number): void {
    this.#used = end;
  }
}
