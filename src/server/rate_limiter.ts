/**
 * A per-connection token bucket for incoming messages.
 *
 * @module
 */

/**
 * The message rate limit of one connection: a bucket of `messages` tokens
 * refilled continuously over `interval` ms. What happens to a message over
 * the limit is the server's `rateLimit.action`.
 *
 * The clock is read only when the bucket runs empty, so the cost per message
 * is one decrement.
 *
 * @example
 * ```ts
 * import { TokenBucket } from "./rate_limiter.ts";
 * const bucket = new TokenBucket(2, 1000);
 * bucket.take(); // true
 * bucket.take(); // true
 * bucket.take(); // false: a third message within the same second
 * ```
 */
export class TokenBucket {
  #capacity: number;
  #perMs: number;
  #tokens: number;
  #stamp: number;
  #now: () => number;

  /** `capacity` messages per `interval` ms; `now` is the clock (ms). */
  constructor(
    capacity: number,
    interval: number,
    now: () => number = Date.now,
  ) {
    if (!(capacity > 0) || !(interval > 0)) {
      throw new RangeError(
        `Invalid rate limit: ${capacity} messages per ${interval} ms`,
      );
    }
    this.#capacity = capacity;
    this.#perMs = capacity / interval;
    this.#tokens = capacity;
    this.#now = now;
    this.#stamp = now();
  }

  /** Takes one token; returns `false` when the bucket is empty. */
  take(): boolean {
    if (this.#tokens >= 1) {
      this.#tokens--;
      return true;
    }
    const now = this.#now();
    const refill = (now - this.#stamp) * this.#perMs;
    this.#stamp = now;
    this.#tokens = Math.min(this.#capacity, this.#tokens + refill);
    if (this.#tokens >= 1) {
      this.#tokens--;
      return true;
    }
    return false;
  }
}
