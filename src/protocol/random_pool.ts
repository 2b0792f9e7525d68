/**
 * Random bytes drawn from a pool filled by `crypto.getRandomValues`, so
 * that a masking key does not cost a call into the system's random source.
 *
 * @module
 */

/**
 * A pool of random bytes, refilled from Web Crypto when used up.
 *
 * RFC 6455 §5.3: "The masking key is a 32-bit value chosen at random by the
 * client. [...] The masking key needs to be unpredictable; thus, the masking
 * key MUST be derived from a strong source of entropy".
 *
 * @example
 * ```ts
 * import { RandomPool } from "@anyws/anyws/protocol";
 * const random = new RandomPool();
 * console.log(random.mask().length); // 4
 * ```
 */
export class RandomPool {
  #pool: Uint8Array<ArrayBuffer>;
  #position: number;

  /** A pool of `size` bytes (default 8 KiB), filled on first use. */
  constructor(size: number = 8192) {
    this.#pool = new Uint8Array(Math.max(16, size));
    this.#position = this.#pool.length;
  }

  /**
   * The next `count` (at most the pool's size) random bytes: a view into the
   * pool, valid until the next call.
   */
  take(count: number): Uint8Array {
    const pool = this.#pool;
    if (this.#position + count > pool.length) {
      crypto.getRandomValues(pool);
      this.#position = 0;
    }
    const bytes = pool.subarray(this.#position, this.#position + count);
    this.#position += count;
    return bytes;
  }

  /** A fresh random 4-byte masking key (a view: copy it before the next call). */
  mask(): Uint8Array {
    return this.take(4);
  }
}
