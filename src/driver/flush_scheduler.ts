/**
 * Corked writes: everything queued for a connection during one turn of the
 * event loop is written in a single `Transport.write` when the turn's
 * microtasks run.
 *
 * @module
 */

/** Something with queued bytes to hand to its transport. */
export interface Flushable {
  flush(): void;
}

/**
 * Collects the connections that queued bytes in this turn and flushes all of
 * them in one microtask.
 */
export class FlushScheduler {
  #pending: Flushable[] = [];
  #scheduled = false;
  #onError: (error: unknown) => void;
  #run = (): void => {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = [];
    for (let i = 0; i < pending.length; i++) {
      // One failing flush must not leave the others unflushed.
      try {
        pending[i].flush();
      } catch (error) {
        this.#onError(error);
      }
    }
  };

  /** `onError` hears what a flush threw (flushes are not expected to throw). */
  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Marks `target` as having queued bytes; it is flushed at the end of the turn. Call once per turn per target. */
  schedule(target: Flushable): void {
    this.#pending.push(target);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#run);
    }
  }
}
