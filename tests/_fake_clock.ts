// A manual clock for the cluster tests: time moves only when a test calls
// advance(), and timers fire in time order as it passes them.
import type { ClusterClock } from "../src/cluster/clock.ts";

interface Timer {
  at: number;
  id: number;
  callback: () => void;
}

export class FakeClock implements ClusterClock {
  #now = 0;
  #timers = new Map<number, Timer>();
  #nextId = 1;

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), id, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers not fired yet. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way (in
   * order), and letting microtasks (backplane deliveries) run after each.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      let next: Timer | undefined;
      for (const timer of this.#timers.values()) {
        if (
          timer.at <= end &&
          (next === undefined || timer.at < next.at ||
            (timer.at === next.at && timer.id < next.id))
        ) next = timer;
      }
      if (next === undefined) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.callback();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

/** Lets queued microtasks and promise chains run (a few rounds). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
