/**
 * The cluster node's outgoing queue: publishes in order, keeps what could
 * not be published (an outage, a failed publish) up to a bound, and sends it
 * again in the same order once the backplane is back.
 *
 * @module
 */

import type { Backplane } from "./backplane.ts";
import type { Clock } from "../shared/clock.ts";

/**
 * Limits and callbacks of an {@link Outbox}.
 *
 * @example
 * ```ts
 * import { systemClock } from "@anyws/anyws";
 * import { type OutboxOptions } from "./outbox.ts";
 * const options: OutboxOptions = {
 *   maxMessages: 10_000,
 *   maxBytes: 16 * 1024 * 1024,
 *   retryDelay: 1000,
 *   clock: systemClock,
 *   onDrop: () => console.error("outage buffer full: dropping"),
 *   onFailure: (error) => console.error("publish failed", error),
 * };
 * ```
 */
export interface OutboxOptions {
  /** Most messages queued or in flight at once; past it new ones are dropped. */
  maxMessages: number;
  /** Most bytes queued or in flight at once; past it new ones are dropped. */
  maxBytes: number;
  /** Wait after a failed publish, while the backplane still says up, before trying again (ms). */
  retryDelay: number;
  /** Timers. */
  clock: Clock;
  /** The first message dropped since nothing was last pending. */
  onDrop(): void;
  /** The first failed publish since nothing was last pending. */
  onFailure(error: unknown): void;
}

interface Entry {
  channel: string;
  bytes: Uint8Array;
  order: number;
  /** The message's sequence number, if it has one. */
  seq: number | undefined;
}

/**
 * An ordered, bounded publisher over a {@link Backplane}.
 *
 * Two ways to send:
 * - {@link enqueue}: in order with everything enqueued before; kept while
 *   the backplane is down or the queue is held, re-sent after a failure;
 *   dropped (returns `false`) past the bounds.
 * - {@link sendNow}: now if the backplane is up, ahead of the queue, never
 *   kept (heartbeats, requests and answers that only matter now). A
 *   heartbeat's "as of" number must then not cover what is still queued:
 *   see {@link firstQueuedSeq}.
 *
 * @example
 * ```ts
 * import { MemoryHub } from "./memory_backplane.ts";
 * import { Outbox } from "./outbox.ts";
 * import { systemClock } from "@anyws/anyws";
 * const outbox = new Outbox(new MemoryHub().backplane(), true, {
 *   maxMessages: 100, maxBytes: 65536, retryDelay: 1000, clock: systemClock,
 *   onDrop: () => {}, onFailure: () => {},
 * });
 * outbox.enqueue("ops", new Uint8Array([1]));
 * outbox.close();
 * ```
 */
export class Outbox {
  #backplane: Backplane;
  #options: OutboxOptions;
  #queue: Entry[] = [];
  #order = 0;
  #up: boolean;
  #held = false;
  #failed = false;
  #closed = false;
  #inFlight = 0;
  #pendingCount = 0;
  #pendingBytes = 0;
  #retryTimer: unknown;
  #dropReported = false;
  #failureReported = false;
  #dropped = 0;

  /** An outbox on `backplane`, whose status is `up` now. */
  constructor(backplane: Backplane, up: boolean, options: OutboxOptions) {
    this.#backplane = backplane;
    this.#up = up;
    this.#options = options;
  }

  /** Messages (operations and snapshots) waiting to be (re)sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Messages dropped for want of room, so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The lowest sequence number still queued (not handed to the backplane), if any. */
  get firstQueuedSeq(): number | undefined {
    // The queue is in send order, and sequence numbers grow with it.
    for (const entry of this.#queue) {
      if (entry.seq !== undefined) return entry.seq;
    }
    return undefined;
  }

  /** Whether a message for `channel` is queued (not handed to the backplane yet). */
  hasQueued(channel: string): boolean {
    return this.#queue.some((entry) => entry.channel === channel);
  }

  /** Whether the backplane is up, as last told. */
  get up(): boolean {
    return this.#up;
  }

  /** Whether nothing is queued, held or in doubt and the backplane is up. */
  get clear(): boolean {
    return this.#up && !this.#held && !this.#failed &&
      this.#queue.length === 0 && !this.#closed;
  }

  /** The backplane's status changed. Going up clears a pending retry. */
  setUp(up: boolean): void {
    this.#up = up;
    if (!up) return;
    this.#failed = false;
    this.#cancelRetry();
    this.#pump();
  }

  /** Keeps everything enqueued from now on until {@link release}. */
  hold(): void {
    this.#held = true;
  }

  /** Sends what {@link hold} kept, in order. */
  release(): void {
    this.#held = false;
    this.#pump();
  }

  /**
   * Publishes in order, or queues; returns `false` if the message was
   * dropped. `seq` is the message's sequence number, if it has one.
   */
  enqueue(channel: string, bytes: Uint8Array, seq?: number): boolean {
    if (this.#closed) return false;
    if (
      this.#pendingCount + 1 > this.#options.maxMessages ||
      this.#pendingBytes + bytes.length > this.#options.maxBytes
    ) {
      this.#dropped++;
      if (!this.#dropReported) {
        this.#dropReported = true;
        this.#options.onDrop();
      }
      return false;
    }
    this.#pendingCount++;
    this.#pendingBytes += bytes.length;
    const entry = { channel, bytes, order: ++this.#order, seq };
    if (this.clear) this.#send(entry);
    else this.#queue.push(entry);
    return true;
  }

  /** Publishes now, ahead of the queue, if the backplane is up; the promise never rejects. */
  sendNow(channel: string, bytes: Uint8Array): Promise<boolean> {
    if (!this.#up || this.#closed) return Promise.resolve(false);
    return this.#publish(channel, bytes).then(() => true, () => false);
  }

  /** Forgets the queue and stops retrying. */
  close(): void {
    this.#closed = true;
    this.#cancelRetry();
    this.#queue = [];
  }

  #publish(channel: string, bytes: Uint8Array): Promise<void> {
    try {
      return this.#backplane.publish(channel, bytes);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #send(entry: Entry): void {
    this.#inFlight++;
    this.#publish(entry.channel, entry.bytes).then(
      () => {
        this.#inFlight--;
        this.#pendingCount--;
        this.#pendingBytes -= entry.bytes.length;
        this.#pump();
      },
      (error) => {
        this.#inFlight--;
        if (this.#closed) return;
        this.#failed = true;
        if (!this.#failureReported) {
          this.#failureReported = true;
          this.#options.onFailure(error);
        }
        this.#requeue(entry);
        this.#pump();
      },
    );
  }

  /** Puts a failed entry back in its place (the queue stays in send order). */
  #requeue(entry: Entry): void {
    let index = this.#queue.length;
    while (index > 0 && this.#queue[index - 1].order > entry.order) index--;
    this.#queue.splice(index, 0, entry);
  }

  /**
   * Sends the queue once nothing is in flight (so a re-sent message cannot
   * overtake one whose fate is unknown), the backplane is up and the queue
   * not held; after a failure, waits `retryDelay` first.
   */
  #pump(): void {
    if (this.#closed || !this.#up || this.#held || this.#inFlight > 0) return;
    if (this.#queue.length === 0) {
      this.#failed = false;
      if (this.#pendingCount === 0) {
        // The episode is over: the next drop or failure is news again.
        this.#dropReported = false;
        this.#failureReported = false;
      }
      return;
    }
    if (this.#failed) {
      this.#retryTimer ??= this.#options.clock.setTimeout(() => {
        this.#retryTimer = undefined;
        this.#failed = false;
        this.#pump();
      }, this.#options.retryDelay);
      return;
    }
    const entries = this.#queue;
    this.#queue = [];
    for (const entry of entries) this.#send(entry);
  }

  #cancelRetry(): void {
    if (this.#retryTimer === undefined) return;
    this.#options.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }
}
