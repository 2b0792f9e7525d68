/**
 * A fake clock for the event layer's tests: time moves only when the test
 * calls `advance`, and due timers run in time order, so backoff delays,
 * request timeouts and session expiry are checked to the millisecond
 * without sleeping.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../src/events/clock.ts";

/**
 * A {@link Clock} whose time only moves with {@link FakeClock.advance}.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * clock.setTimeout(() => console.log("fired"), 100);
 * clock.advance(99); // nothing
 * clock.advance(1); // fired
 * ```
 */
export class FakeClock implements Clock {
  #now = 0;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === "number") this.#timers.delete(handle);
  }

  /** How many timers are set. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Milliseconds until the next timer fires, or `undefined` when none is set. */
  nextIn(): number | undefined {
    let next: number | undefined;
    for (const { at } of this.#timers.values()) {
      if (next === undefined || at < next) next = at;
    }
    return next === undefined ? undefined : next - this.#now;
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let runs = 0; runs < 100_000; runs++) {
      let dueId: number | undefined;
      let dueAt = Infinity;
      for (const [id, { at }] of this.#timers) {
        if (at <= end && at < dueAt) {
          dueAt = at;
          dueId = id;
        }
      }
      if (dueId === undefined) break;
      const timer = this.#timers.get(dueId)!;
      this.#timers.delete(dueId);
      this.#now = dueAt;
      timer.callback();
    }
    this.#now = end;
  }
}
