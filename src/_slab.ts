/**
 * Internal: a bump allocator for small outgoing frames. Allocating a fresh
 * `ArrayBuffer` per frame costs far more than framing a small message on
 * every engine; carving frames out of a shared 16 KiB slab costs a view.
 * A region is handed out once and never written again, so engines may keep
 * the views as long as they like; a slab is garbage once no view remains.
 * Only outgoing bytes live here (never data handed to the application).
 *
 * Usage: `const buffer = reserve(n)` guarantees `n` free bytes from
 * `reservedOffset()`; write there; then `claim(end)` marks everything up to
 * `end` as used, so the next region starts right there: frames queued one
 * after another are contiguous and may go out as one view.
 *
 * @module
 */

const SLAB_SIZE = 16 * 1024;

/** Largest request served from the slab; bigger frames get their own buffer. */
export const SLAB_LIMIT = 4096;

let slab = new Uint8Array(SLAB_SIZE);
let used = 0;

/**
 * The current slab, with at least `size` (at most {@link SLAB_LIMIT}) free
 * bytes from {@link reservedOffset}.
 *
 * @example
 * ```ts
 * import { claim, reserve, reservedOffset } from "./_slab.ts";
 * const buffer = reserve(2);
 * const at = reservedOffset();
 * buffer[at] = 0x8a;
 * buffer[at + 1] = 0x00;
 * claim(at + 2);
 * const pong = buffer.subarray(at, at + 2);
 * ```
 */
export function reserve(size: number): Uint8Array {
  if (used + size > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  return slab;
}

/**
 * Where the free space of the current slab starts.
 *
 * @example
 * ```ts
 * import { reservedOffset } from "./_slab.ts";
 * const at = reservedOffset();
 * ```
 */
export function reservedOffset(): number {
  return used;
}

/**
 * Marks the current slab used up to `end`: the bytes before it are handed
 * out and never written again (make views of them with `subarray`).
 *
 * @example
 * ```ts
 * import { claim, reserve, reservedOffset } from "./_slab.ts";
 * const buffer = reserve(2);
 * const at = reservedOffset();
 * buffer.set([0x8a, 0x00], at);
 * claim(at + 2);
 * const pong = buffer.subarray(at, at + 2);
 * ```
 */
export function claim(end: number): void {
  used = end;
}
