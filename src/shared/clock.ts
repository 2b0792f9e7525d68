/**
 * The clock every timed part of anyws runs on (handshake, close and
 * heartbeat timers, request timeouts, reconnect backoff, session expiry,
 * cluster heartbeats), so that tests step virtual time instead of sleeping.
 *
 * @module
 */

/**
 * What {@link Clock.setTimeout} returns: opaque, only for `clearTimeout`.
 *
 * @example
 * ```ts
 * import { systemClock, type TimerHandle } from "@anyws/anyws";
 * const handle: TimerHandle = systemClock.setTimeout(() => {}, 10);
 * systemClock.clearTimeout(handle);
 * ```
 */
export type TimerHandle = unknown;

/**
 * A clock: the time, and timers on it.
 *
 * @example
 * ```ts
 * import type { Clock } from "@anyws/anyws";
 * function later(clock: Clock, ms: number): Promise<void> {
 *   return new Promise((resolve) => clock.setTimeout(resolve, ms));
 * }
 * ```
 */
export interface Clock {
  /** Milliseconds on a monotonic clock (only differences mean something). */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds; returns a handle. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a handle that fired or was cleared is ignored, as is `undefined`. */
  clearTimeout(handle: TimerHandle): void;
  /** Calls `callback` every `ms` milliseconds; returns a handle. */
  setInterval(callback: () => void, ms: number): TimerHandle;
  /** Cancels an interval; `undefined` is ignored. */
  clearInterval(handle: TimerHandle): void;
}

/**
 * The real clock: `performance.now()` and the global timer functions.
 *
 * @example
 * ```ts
 * import { systemClock } from "@anyws/anyws";
 * const started = systemClock.now();
 * systemClock.setTimeout(() => console.log(systemClock.now() - started), 10);
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: (): number => performance.now(),
  setTimeout: (callback: () => void, ms: number): TimerHandle =>
    setTimeout(callback, ms),
  clearTimeout: (handle: TimerHandle): void =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (callback: () => void, ms: number): TimerHandle =>
    setInterval(callback, ms),
  clearInterval: (handle: TimerHandle): void =>
    clearInterval(handle as ReturnType<typeof setInterval>),
});

/**
 * A {@link Clock} that asks `current()` for the clock to use on every call:
 * for parts made before their owner knows its final clock (a server takes
 * its engine's clock only in `listen()`).
 *
 * @example
 * ```ts
 * import { type Clock, followClock, systemClock } from "./clock.ts";
 * const owner: { clock: Clock } = { clock: systemClock };
 * const clock = followClock(() => owner.clock);
 * console.log(typeof clock.now()); // "number"
 * ```
 */
export function followClock(current: () => Clock): Clock {
  return {
    now: () => current().now(),
    setTimeout: (callback, ms) => current().setTimeout(callback, ms),
    clearTimeout: (handle) => current().clearTimeout(handle),
    setInterval: (callback, ms) => current().setInterval(callback, ms),
    clearInterval: (handle) => current().clearInterval(handle),
  };
}
