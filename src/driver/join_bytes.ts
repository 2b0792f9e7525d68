/**
 * Joining byte chunks into one write.
 *
 * @module
 */

/**
 * `head` then `chunks` as one byte array of `total` bytes; a single piece is
 * returned as is, without a copy.
 *
 * @example
 * ```ts
 * import { joinBytes } from "./join_bytes.ts";
 * const bytes = joinBytes(new Uint8Array([1]), [new Uint8Array([2, 3])], 3);
 * console.log(bytes); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 */
export function joinBytes(
  head: Uint8Array | undefined,
  chunks: readonly Uint8Array[] | undefined,
  total: number,
): Uint8Array {
  const count = chunks?.length ?? 0;
  if (head === undefined && count === 1) return chunks![0];
  if (head !== undefined && count === 0) return head;
  const out = new Uint8Array(total);
  let offset = 0;
  if (head !== undefined) {
    out.set(head, 0);
    offset = head.length;
  }
  for (let i = 0; i < count; i++) {
    out.set(chunks![i], offset);
    offset += chunks![i].length;
  }
  return out;
}
