/**
 * The requests a peer has sent and is waiting to hear back about: ack ids,
 * a timeout each, a bound on how many may wait, and rejection of all of them
 * when the connection goes away. Used by the client for its requests and by
 * the server for its requests to a client.
 *
 * @module
 */

import { type Clock, systemClock, type TimerHandle } from "../shared/clock.ts";
import {
  RequestRejectedError,
  RequestTimeoutError,
  TooManyRequestsError,
} from "./request_errors.ts";
import type { AckErrorBody, AckId } from "./wire.ts";

/**
 * Options of {@link PendingRequests}.
 *
 * @example
 * ```ts
 * import { PendingRequests, type PendingRequestsOptions } from "./pending_requests.ts";
 * const options: PendingRequestsOptions = { maxPending: 100 };
 * const pending = new PendingRequests(options);
 * ```
 */
export interface PendingRequestsOptions {
  /** How many requests may wait for an answer at once. Default 1024. */
  maxPending?: number;
  /** The clock for timeouts. Default the system clock. */
  clock?: Clock;
  /**
   * Called whenever the last waiting request settles (answered, timed
   * out, cancelled or rejected): the tracker holds nothing any more, and
   * its owner may drop it.
   */
  onEmpty?: () => void;
}

/**
 * The default bound on requests waiting for an answer.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_PENDING_REQUESTS } from "./pending_requests.ts";
 * console.log(DEFAULT_MAX_PENDING_REQUESTS); // 1024
 * ```
 */
export const DEFAULT_MAX_PENDING_REQUESTS = 1024;

/** Ids count up to here, then start again at 1 (skipping any still in use). */
const LAST_ID = 0x7fffffff;

interface Entry {
  readonly event: string;
  readonly resolve: (data: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: TimerHandle | undefined;
}

/**
 * One side's requests waiting for answers. {@link add} hands out a fresh
 * numeric ack id and a promise; {@link settle} resolves it with the peer's
 * `{"ack": id, "data"}` or rejects it with a {@link RequestRejectedError}
 * for `{"ack": id, "error"}`; the timeout rejects it with a
 * {@link RequestTimeoutError}; {@link rejectAll} fails the rest when the
 * connection goes away. Each request settles exactly once; a late answer
 * is ignored.
 *
 * @example
 * ```ts
 * import { encodeEvent } from "./wire.ts";
 * import { PendingRequests } from "./pending_requests.ts";
 * const pending = new PendingRequests();
 * const { id, promise } = pending.add("add", 5000);
 * const text = encodeEvent("add", [1, 2], id); // send this to the peer
 * pending.settle({ id, data: 3 }); // the peer answered {"ack": id, "data": 3}
 * console.log(await promise); // 3
 * ```
 */
export class PendingRequests {
  readonly #entries = new Map<number, Entry>();
  readonly #maxPending: number;
  readonly #clock: Clock;
  readonly #onEmpty: (() => void) | undefined;
  #lastId = 0;

  /** An empty tracker; see {@link PendingRequestsOptions}. */
  constructor(options: PendingRequestsOptions = {}) {
    const {
      maxPending = DEFAULT_MAX_PENDING_REQUESTS,
      clock = systemClock,
      onEmpty,
    } = options;
    if (!Number.isInteger(maxPending) || maxPending < 1) {
      throw new RangeError(
        `maxPending must be a positive integer, got ${maxPending}`,
      );
    }
    this.#maxPending = maxPending;
    this.#clock = clock;
    this.#onEmpty = onEmpty;
  }

  /** How many requests are waiting. */
  get size(): number {
    return this.#entries.size;
  }

  /** The bound on waiting requests. */
  get maxPending(): number {
    return this.#maxPending;
  }

  /** Whether the request with `id` is still waiting. */
  has(id: AckId): boolean {
    return typeof id === "number" && this.#entries.has(id);
  }

  /**
   * Registers a request for `event` that fails after `timeout` ms
   * (`Infinity`: never). Throws a {@link TooManyRequestsError} when
   * {@link maxPending} requests wait already, and a `RangeError` for a
   * timeout that is not a positive number.
   */
  add(
    event: string,
    timeout: number,
  ): { id: number; promise: Promise<unknown> } {
    if (!(timeout > 0)) {
      throw new RangeError(
        `Request timeout must be a positive number of ms, got ${timeout}`,
      );
    }
    if (this.#entries.size >= this.#maxPending) {
      throw new TooManyRequestsError(event, this.#maxPending);
    }
    const id = this.#nextId();
    let resolve!: (data: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<unknown>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    const timer = Number.isFinite(timeout)
      ? this.#clock.setTimeout(() => {
        if (this.#entries.delete(id)) {
          reject(new RequestTimeoutError(event, timeout));
          this.#emptied();
        }
      }, timeout)
      : undefined;
    this.#entries.set(id, { event, resolve, reject, timer });
    return { id, promise };
  }

  /**
   * Settles the request an answer refers to: resolves it with `data`, or
   * rejects it when the answer carries an `error`. Returns `false` when no
   * such request waits (it timed out, or the id was never ours).
   */
  settle(
    answer: { id: AckId; data?: unknown; error?: AckErrorBody },
  ): boolean {
    const entry = this.#take(answer.id);
    if (entry === undefined) return false;
    if (answer.error === undefined) {
      entry.resolve(answer.data);
    } else {
      entry.reject(
        new RequestRejectedError(
          entry.event,
          answer.error.message,
          answer.error.issues,
        ),
      );
    }
    this.#emptied();
    return true;
  }

  /**
   * Rejects one waiting request with the error `reason` builds from its
   * event (the request could not be sent). Returns whether it was waiting.
   */
  cancel(id: AckId, reason: (event: string) => Error): boolean {
    const entry = this.#take(id);
    if (entry === undefined) return false;
    entry.reject(reason(entry.event));
    this.#emptied();
    return true;
  }

  /**
   * Rejects every waiting request, except those `keep` accepts, with the
   * error `reason` builds from its event; returns how many were rejected.
   * The connection went away: their answers can no longer come.
   */
  rejectAll(
    reason: (event: string) => Error,
    keep?: (id: number) => boolean,
  ): number {
    let rejected = 0;
    for (const id of [...this.#entries.keys()]) {
      if (keep?.(id)) continue;
      const entry = this.#take(id);
      if (entry === undefined) continue;
      rejected++;
      entry.reject(reason(entry.event));
    }
    if (rejected > 0) this.#emptied();
    return rejected;
  }

  /** Tells the owner when nothing waits any more. */
  #emptied(): void {
    if (this.#entries.size === 0) this.#onEmpty?.();
  }

  #take(id: AckId): Entry | undefined {
    if (typeof id !== "number") return undefined;
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    if (entry.timer !== undefined) this.#clock.clearTimeout(entry.timer);
    return entry;
  }

  #nextId(): number {
    // At most maxPending ids are in use, so this loop ends.
    do {
      this.#lastId = this.#lastId >= LAST_ID ? 1 : this.#lastId + 1;
    } while (this.#entries.has(this.#lastId));
    return this.#lastId;
  }
}
