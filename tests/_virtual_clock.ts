/**
 * A virtual clock for tests: implements the server's {@link Timers}, but
 * time only moves when the test says so ({@link VirtualClock.advance}).
 * Every live timer can be listed with the code that set it, so a test can
 * assert that everything was cleared.
 *
 * @module
 */

import type { Timers } from "../src/engine.ts";

type Handle = ReturnType<typeof setTimeout>;

/** A timer that is set and not yet cleared (or, for a timeout, not yet fired). */
export interface PendingTimer {
  /** The clock's own number for the timer (also its handle's). */
  readonly id: number;
  /** `setTimeout` or `setInterval`. */
  readonly kind: "timeout" | "interval";
  /** When it fires next, in virtual ms. */
  readonly due: number;
  /** The period of an interval, or the delay of a timeout, in ms. */
  readonly ms: number;
  /** The first stack frame outside this file that set the timer, such as `driver.ts:176`. */
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
 * A {@link Timers} whose time stands still until {@link advance} moves it.
 * Due timers fire in order of their due time (then of creation), each with
 * the clock's {@link now} set to its due time; an interval is set again
 * for its next period before its callback runs.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const fired: number[] = [];
 * clock.setTimeout(() => fired.push(clock.now), 30);
 * const every = clock.setInterval(() => fired.push(clock.now), 20);
 * clock.advance(45); // fired: [20, 30, 40]
 * clock.clearInterval(every);
 * console.log(clock.pending().length); // 0
 * ```
 */
export class VirtualClock implements Timers {
  #now = 0;
  #nextId = 1;
  #timers = new Map<number, Entry>();

  /** Virtual milliseconds since the clock was made. */
  get now(): number {
    return this.#now;
  }

  /** Runs `callback` once, `ms` virtual milliseconds from now. */
  setTimeout = (callback: () => void, ms: number): Handle =>
    this.#set("timeout", callback, ms);

  /** Runs `callback` every `ms` virtual milliseconds (at least 1). */
  setInterval = (callback: () => void, ms: number): Handle =>
    this.#set("interval", callback, ms);

  /** Cancels a timeout (or an interval: both share the handles, as in browsers). */
  clearTimeout = (handle: Handle | undefined): void => {
    this.#clear(handle);
  };

  /** Cancels an interval (or a timeout). */
  clearInterval = (handle: Handle | undefined): void => {
    this.#clear(handle);
  };

  /** The due time of the next timer to fire, or `undefined` when none is set. */
  nextDue(): number | undefined {
    return this.#next(Infinity)?.due;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the
   * way, in order, one at a time, synchronously. A callback that throws
   * stops the advance there (time stays at that timer's due time) and the
   * error propagates.
   *
   * @returns How many callbacks ran.
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
   * real event loop runs the microtasks (and here: whatever `settle` waits
   * for) between two timers.
   *
   * @returns How many callbacks ran.
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

  /** The live timers, in the order they will fire. */
  pending(): PendingTimer[] {
    return [...this.#timers.values()]
      .sort(byDue)
      .map((entry) => ({
        id: entry.id,
        kind: entry.kind,
        due: entry.due,
        ms: entry.ms,
        owner: entry.owner ??= ownerOf(entry.origin),
      }));
  }

  #set(kind: Entry["kind"], callback: () => void, ms: number): Handle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const id = this.#nextId++;
    const handle = { id } as unknown as Handle;
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
    handles.set(handle as object, id);
    return handle;
  }

  #clear(handle: Handle | undefined): void {
    if (handle === undefined || handle === null) return;
    const id = handles.get(handle as object);
    if (id !== undefined) this.#timers.delete(id);
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

/** Handle objects to timer ids (a handle is an opaque object). */
const handles = new WeakMap<object, number>();

function byDue(a: { due: number; id: number }, b: { due: number; id: number }) {
  return a.due - b.due || a.id - b.id;
}

/** `file.ts:line` of the first stack frame outside this file. */
function ownerOf(origin: Error): string {
  const lines = (origin.stack ?? "").split("\n").slice(1);
  for (const line of lines) {
    if (line.includes("_virtual_clock.ts:")) continue;
    const match = /([^/\\\s(]+\.[cm]?[jt]s):(\d+)(?::\d+)?\)?\s*$/.exec(line);
    if (match) return `${match[1]}:${match[2]}`;
  }
  return "unknown";
}
