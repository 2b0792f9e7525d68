/**
 * When the supervisor restarts a worker that died, and when it gives up.
 * Pure: the caller passes the times in.
 *
 * @module
 */

/**
 * Settings of a {@link RestartPolicy}. Times are in milliseconds.
 *
 * @example
 * ```ts
 * import type { RestartPolicyOptions } from "./restart_policy.ts";
 * const options: RestartPolicyOptions = { minDelay: 250, maxCrashes: 5, window: 60_000 };
 * ```
 */
export interface RestartPolicyOptions {
  /** Wait before the first restart of a worker; doubles per consecutive crash. Default 250. */
  minDelay?: number;
  /** Longest wait before a restart. Default 5000. */
  maxDelay?: number;
  /** A worker that ran this long was healthy: its next crash waits `minDelay` again. Default 10 000. */
  stableAfter?: number;
  /** This many crashes (all workers together) within `window` is a crash loop: give up. Default 5. */
  maxCrashes?: number;
  /** See `maxCrashes`. Default 60 000. */
  window?: number;
}

/**
 * What to do about a crash: restart the worker after `delay` ms, or give
 * up with `reason`.
 *
 * @example
 * ```ts
 * import type { RestartDecision } from "./restart_policy.ts";
 * const show = (d: RestartDecision) => "delay" in d ? `restart in ${d.delay} ms` : d.reason;
 * ```
 */
export type RestartDecision = { delay: number } | { reason: string };

/**
 * Backoff per worker slot, crash-loop detection over all of them.
 *
 * @example
 * ```ts
 * import { RestartPolicy } from "./restart_policy.ts";
 * const policy = new RestartPolicy({ maxCrashes: 3, window: 10_000 });
 * console.log(policy.crashed(1, 0, 50)); // { delay: 250 }
 * console.log(policy.crashed(1, 300, 50)); // { delay: 500 }
 * console.log(policy.crashed(1, 900, 50)); // { reason: "workers crashed 3 times within 10 s" }
 * ```
 */
export class RestartPolicy {
  #minDelay: number;
  #maxDelay: number;
  #stableAfter: number;
  #maxCrashes: number;
  #window: number;
  #crashes: number[] = [];
  #streak = new Map<number, number>();

  /** A policy with these settings (defaults documented on each). */
  constructor(options: RestartPolicyOptions = {}) {
    this.#minDelay = options.minDelay ?? 250;
    this.#maxDelay = options.maxDelay ?? 5000;
    this.#stableAfter = options.stableAfter ?? 10_000;
    this.#maxCrashes = options.maxCrashes ?? 5;
    this.#window = options.window ?? 60_000;
  }

  /** Worker `slot` died at `now` after running `ranFor` ms. */
  crashed(slot: number, now: number, ranFor: number): RestartDecision {
    this.#crashes.push(now);
    while (this.#crashes[0] <= now - this.#window) this.#crashes.shift();
    if (this.#crashes.length >= this.#maxCrashes) {
      return {
        reason: `workers crashed ${this.#crashes.length} times within ${
          Math.round(this.#window / 1000)
        } s`,
      };
    }
    const streak = ranFor >= this.#stableAfter
      ? 1
      : (this.#streak.get(slot) ?? 0) + 1;
    this.#streak.set(slot, streak);
    return {
      delay: Math.min(this.#maxDelay, this.#minDelay * 2 ** (streak - 1)),
    };
  }
}
