/**
 * Internal: a bound on the writes a Deno engine has outstanding at once,
 * with the connections waiting for a turn served in order.
 *
 * Why: Deno completes the pending operations of a busy event loop in an
 * order that, with hundreds of socket writes outstanding together, serves
 * the same few hundred again and again and leaves the others unserved for
 * as long as the load lasts. Measured (anyws on Deno 2.9, one client
 * flooding a broadcast room of 1,000 connections, 2 s): the first 256 and
 * the last 127 connections received 6.5 M messages between them, the 617
 * in between received none, run after run. `Deno.serve`'s WebSockets write
 * from Rust and do not show it; Node and Bun do not either. With at most
 * {@link MAX_WRITES_IN_FLIGHT} writes outstanding every connection gets its
 * turn.
 *
 * @module
 */

/** Writes outstanding at once per engine; the rest wait in order. */
export const MAX_WRITES_IN_FLIGHT = 64;

/**
 * Turns to write: `take()` before a write, `give()` after it, in every
 * case. A connection that wants another write takes a new turn, behind
 * those already waiting.
 *
 * @example
 * ```ts
 * import { WriteTurns } from "./_write_turns.ts";
 * const turns = new WriteTurns(1);
 * await turns.take(); // at once: a turn was free
 * const second = turns.take(); // waits
 * turns.give(); // the first write is done: the second may go
 * await second;
 * turns.give();
 * ```
 */
export class WriteTurns {
  #free: number;
  #waiting: (() => void)[] = [];
  #head = 0;

  constructor(size: number = MAX_WRITES_IN_FLIGHT) {
    this.#free = size;
  }

  /** `undefined` when a turn is free now, else a promise of one. */
  take(): Promise<void> | undefined {
    if (this.#free > 0 && this.#head === this.#waiting.length) {
      this.#free--;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Ends a turn: the longest waiting connection gets it. */
  give(): void {
    if (this.#head === this.#waiting.length) {
      this.#free++;
      return;
    }
    const next = this.#waiting[this.#head++];
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    next();
  }
}
