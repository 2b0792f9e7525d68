/**
 * Time for the cluster node, injectable so that tests drive heartbeats,
 * liveness and query timeouts with a fake clock.
 *
 * @module
 */

/**
 * What the cluster node needs of time: a monotonic "now" in milliseconds
 * and one-shot timers.
 *
 * @example
 * ```ts
 * import type { ClusterClock } from "@anyws/anyws";
 * const clock: ClusterClock = {
 *   now: () => performance.now(),
 *   setTimeout: (callback, ms) => setTimeout(callback, ms),
 *   clearTimeout: (handle) => clearTimeout(handle as number),
 * };
 * ```
 */
export interface ClusterClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds; returns a handle. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer made by {@link ClusterClock.setTimeout}. */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock: `performance.now()` and the global timers.
 *
 * @example
 * ```ts
 * import { systemClock } from "@anyws/anyws";
 * const started = systemClock.now();
 * systemClock.setTimeout(() => console.log(systemClock.now() - started), 10);
 * ```
 */
export const systemClock: ClusterClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
};
