/**
 * Time as the event layer sees it: the current time and one-shot timers,
 * injectable so that tests run backoff, request timeouts and session expiry
 * on a fake clock instead of sleeping.
 *
 * @module
 */

/**
 * An opaque timer handle, as returned by {@link Clock.setTimeout}.
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
 * The current time in milliseconds and one-shot timers.
 *
 * @example
 * ```ts
 * import type { Clock } from "@anyws/anyws";
 * // A clock that never fires, for code that must not wait.
 * const frozen: Clock = {
 *   now: () => 0,
 *   setTimeout: () => undefined,
 *   clearTimeout: () => {},
 * };
 * ```
 */
export interface Clock {
  /** Milliseconds since some fixed point (`Date.now()` for the system clock). */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds; returns a handle for {@link clearTimeout}. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The runtime's own clock: `Date.now`, `setTimeout`, `clearTimeout`.
 *
 * @example
 * ```ts
 * import { systemClock } from "@anyws/anyws";
 * const started = systemClock.now();
 * systemClock.setTimeout(() => console.log(systemClock.now() - started), 5);
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number): TimerHandle =>
    setTimeout(callback, ms),
  clearTimeout: (handle: TimerHandle) =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
});
