/**
 * Internal: the user-space write queue behind the Deno and Bun transports
 * (and the memory engine), whose sockets do not buffer for us.
 *
 * @module
 */

/**
 * Default high-water mark of every engine's write buffer: 64 KiB, the same
 * as Node's stream default. Above it `Transport.write()` returns `false`.
 */
export const DEFAULT_HIGH_WATER_MARK = 64 * 1024;

/** Largest batch {@link WriteQueue.peek} builds by copying small chunks together. */
export const MAX_BATCH = 64 * 1024;

/**
 * A FIFO of byte chunks with a running byte count. Chunks are kept by
 * reference (the writer promised not to mutate them); a partly written head
 * is replaced by a `subarray()` of its unwritten rest.
 *
 * @example
 * ```ts
 * import { WriteQueue } from "./_write_queue.ts";
 * const queue = new WriteQueue();
 * queue.push(new Uint8Array([1, 2, 3]));
 * const next = queue.peek();
 * queue.consume(2); // the socket took 2 of next's bytes
 * console.log(queue.bytes); // 1
 * ```
 */
export class WriteQueue {
  // Created on first use and dropped when emptied: an idle connection's
  // queue holds no array.
  #chunks: Uint8Array[] | undefined;
  #head = 0;
  #bytes = 0;

  /** Bytes queued and not yet consumed. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether nothing is queued. */
  get empty(): boolean {
    return this.#bytes === 0;
  }

  /** Appends `bytes` (kept by reference). Empty chunks are dropped. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    (this.#chunks ??= []).push(bytes);
    this.#bytes += bytes.length;
  }

  /**
   * The next bytes to hand to the socket: the head chunk, or, when the head
   * is small and more chunks follow, one copy of as many whole chunks as fit
   * in `max` bytes (one system call instead of many). Call only when not
   * {@link empty}.
   */
  peek(max: number = MAX_BATCH): Uint8Array {
    const chunks = this.#chunks!;
    const head = this.#head;
    const first = chunks[head];
    let end = head + 1;
    let size = first.length;
    while (end < chunks.length && size + chunks[end].length <= max) {
      size += chunks[end].length;
      end++;
    }
    if (end === head + 1) return first;
    const batch = new Uint8Array(size);
    let offset = 0;
    for (let i = head; i < end; i++) {
      batch.set(chunks[i], offset);
      offset += chunks[i].length;
    }
    // The batch replaces the chunks it copied; the slots before it are dead.
    chunks[end - 1] = batch;
    this.#head = end - 1;
    return batch;
  }

  /** Marks the first `count` queued bytes as written (`count` ≤ the head chunk's length). */
  consume(count: number): void {
    if (count <= 0) return;
    this.#bytes -= count;
    const chunks = this.#chunks!;
    const first = chunks[this.#head];
    if (count < first.length) {
      chunks[this.#head] = first.subarray(count);
      return;
    }
    this.#head++;
    if (this.#head === chunks.length) this.clear();
    else if (this.#head >= 1024 && this.#head * 2 >= chunks.length) {
      this.#chunks = chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Drops everything queued. */
  clear(): void {
    this.#chunks = undefined;
    this.#head = 0;
    this.#bytes = 0;
  }
}
