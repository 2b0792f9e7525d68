/**
 * A fake {@link Clock} for tests: time moves only when the test calls
 * `advance` (synchronous), `flow` or `advanceSettled` (letting promises
 * settle after each timer); due timers run in time order, so timeouts,
 * backoff, expiry and heartbeats are checked to the millisecond without
 * sleeping. `timers()` lists the live ones with the code that set them, so
 * a leak names its owner.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../src/shared/clock.ts";

/** A timer that is set and not yet cleared (or, for a timeout, not yet fired). */
export interface PendingTimer {
  /** The clock's own number for the timer (also its handle). */
  readonly id: number;
  /** `setTimeout` or `setInterval`. */
  readonly kind: "timeout" | "interval";
  /** When it fires next, in virtual ms. */
  readonly due: number;
  /** The period of an interval, or the delay of a timeout, in ms. */
  readonly ms: number;
  /** The first stack frame outside this file that set the timer, such as `connection_driver.ts:176`. */
  readonly owner: string;
}

interface Entry {
  id: number;
  kind: "timeout" | "interval";
  due: number;
  ms: number;
  callback: () => void;
  // Captured when the timer is set; formatted once, when first asked for.
  origin: Error;
  owner?: string;
}

/**
 * A {@link Clock} whose time only moves when the test says so.
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
  readonly #timers = new Map<number, Entry>();

  /** Virtual milliseconds since the clock was made. */
  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.#set("timeout", callback, ms);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.#set("interval", callback, ms);
  }

  /** Cancels a timeout or an interval (they share handles, as in browsers). */
  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === "number") this.#timers.delete(handle);
  }

  clearInterval(handle: TimerHandle): void {
    this.clearTimeout(handle);
  }

  /** How many timers (and intervals) are set. */
  get pending(): number {
    return this.#timers.size;
  }

  /** The live timers, in the order they will fire. */
  timers(): PendingTimer[] {
    return [...this.#timers.values()].sort(byDue).map((entry) => ({
      id: entry.id,
      kind: entry.kind,
      due: entry.due,
      ms: entry.ms,
      owner: entry.owner ??= ownerOf(entry.origin),
    }));
  }

  /** The due time of the next timer to fire, or `undefined` when none is set. */
  nextDue(): number | undefined {
    return this.#next(Infinity)?.due;
  }

  /** Milliseconds until the next timer fires, or `undefined` when none is set. */
  nextIn(): number | undefined {
    const due = this.nextDue();
    return due === undefined ? undefined : due - this.#now;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the
   * way, in order, one at a time, synchronously. A callback that throws
   * stops the advance there (time stays at that timer's due time) and the
   * error propagates. Returns how many callbacks ran.
   */
  advance(ms: number): number {
    const target = this.#now + Math.max(0, ms);
    let fired = 0;
    for (let entry = this.#next(target); entry; entry = this.#next(target)) {
      this.#fire(entry);
      fired++;
    }
    this.#now = target;
    return fired;
  }

  /**
   * Like {@link advance}, but awaits `settle()` after each callback, as a
   * real event loop runs the microtasks between two timers. Returns how
   * many callbacks ran.
   */
  async advanceSettled(
    ms: number,
    settle: () => Promise<void>,
  ): Promise<number> {
    const target = this.#now + Math.max(0, ms);
    let fired = 0;
    for (let entry = this.#next(target); entry; entry = this.#next(target)) {
      this.#fire(entry);
      fired++;
      await settle();
    }
    this.#now = target;
    return fired;
  }

  /**
   * {@link advanceSettled} with a few rounds of microtasks between timers
   * and after the last one.
   */
  async flow(ms: number): Promise<number> {
    const fired = await this.advanceSettled(ms, settle);
    await settle();
    return fired;
  }

  #set(kind: Entry["kind"], callback: () => void, ms: number): number {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const id = this.#nextId++;
    const entry: Entry = {
      id,
      kind,
      // An interval of 0 would fire forever within one advance.
      ms: kind === "interval" ? Math.max(1, delay) : delay,
      due: 0,
      callback,
      origin: new Error("timer set here"),
    };
    entry.due = this.#now + entry.ms;
    this.#timers.set(id, entry);
    return id;
  }

  /** The next timer due at or before `limit`. */
  #next(limit: number): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.#timers.values()) {
      if (entry.due > limit) continue;
      if (best === undefined || byDue(entry, best) < 0) best = entry;
    }
    return best;
  }

  #fire(entry: Entry): void {
    this.#now = entry.due;
    if (entry.kind === "interval") entry.due += entry.ms;
    else this.#timers.delete(entry.id);
    entry.callback();
  }
}

/** Lets queued microtasks and promise chains run (a few rounds). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function byDue(a: { due: number; id: number }, b: { due: number; id: number }) {
  return a.due - b.due || a.id - b.id;
}

/** `file.ts:line` of the first stack frame outside this file. */
function ownerOf(origin: Error): string {
  const lines = (origin.stack ?? "").split("\n").slice(1);
  for (const line of lines) {
    if (line.includes("_fake_clock.ts:")) continue;
    const match = /([^/\\\s(]+\.[cm]?[jt]s):(\d+)(?::\d+)?\)?\s*$/.exec(line);
    if (match) return `${match[1]}:${match[2]}`;
  }
  return "unknown";
}
