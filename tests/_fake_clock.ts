/**
 * A fake {@link Clock} for tests: time moves only when the test calls
 * `advance` (synchronous) or `flow` (letting promises settle after each
 * timer), and due timers run in time order, so timeouts, backoff, expiry
 * and heartbeats are checked to the millisecond without sleeping.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../src/shared/clock.ts";

interface Timer {
  id: number;
  at: number;
  /** Repeat period, for intervals. */
  every: number | undefined;
  callback: () => void;
}

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
  readonly #timers = new Map<number, Timer>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.#add(callback, ms, undefined);
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === "number") this.#timers.delete(handle);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.#add(callback, ms, Math.max(1, ms));
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** How many timers (and intervals) are set. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Milliseconds until the next timer fires, or `undefined` when none is set. */
  nextIn(): number | undefined {
    const next = this.#next(Infinity);
    return next === undefined ? undefined : next.at - this.#now;
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let runs = 0; runs < 100_000; runs++) {
      if (!this.#fireNext(end)) break;
    }
    this.#now = end;
  }

  /**
   * Like {@link advance}, but lets queued microtasks and promise chains run
   * after each timer (and at the end), for code whose timers start async
   * work.
   */
  async flow(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (let runs = 0; runs < 100_000; runs++) {
      if (!this.#fireNext(end)) break;
      await settle();
    }
    this.#now = end;
    await settle();
  }

  #add(callback: () => void, ms: number, every: number | undefined): number {
    const id = this.#nextId++;
    this.#timers.set(id, {
      id,
      at: this.#now + Math.max(0, ms),
      every,
      callback,
    });
    return id;
  }

  #next(end: number): Timer | undefined {
    let next: Timer | undefined;
    for (const timer of this.#timers.values()) {
      if (
        timer.at <= end &&
        (next === undefined || timer.at < next.at ||
          (timer.at === next.at && timer.id < next.id))
      ) next = timer;
    }
    return next;
  }

  #fireNext(end: number): boolean {
    const timer = this.#next(end);
    if (timer === undefined) return false;
    this.#now = timer.at;
    if (timer.every === undefined) this.#timers.delete(timer.id);
    else timer.at += timer.every;
    timer.callback();
    return true;
  }
}

/** Lets queued microtasks and promise chains run (a few rounds). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
