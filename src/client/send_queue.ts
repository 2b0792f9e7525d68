/**
 * Messages the event client holds while it is not connected, delivered in
 * order once it is, bounded by count and bytes.
 *
 * @module
 */

/**
 * The bounds of the send queue.
 *
 * @example
 * ```ts
 * import type { QueueLimits } from "./send_queue.ts";
 * const small: QueueLimits = { maxMessages: 50, maxBytes: 64 * 1024 };
 * ```
 */
export interface QueueLimits {
  /** How many messages may wait. */
  readonly maxMessages: number;
  /** How many bytes may wait (text counted as UTF-8). */
  readonly maxBytes: number;
}

/**
 * The defaults: 1000 messages and 1 MiB. A chat or a dashboard offline for
 * a minute stays well within them; a client that keeps producing while the
 * server is gone for long hits them and learns so (a
 * {@link QueueFullError}) instead of growing without bound.
 *
 * @example
 * ```ts
 * import { DEFAULT_QUEUE_LIMITS } from "./send_queue.ts";
 * console.log(DEFAULT_QUEUE_LIMITS.maxMessages, DEFAULT_QUEUE_LIMITS.maxBytes); // 1000 1048576
 * ```
 */
export const DEFAULT_QUEUE_LIMITS: QueueLimits = Object.freeze({
  maxMessages: 1000,
  maxBytes: 1024 * 1024,
});

/**
 * A message did not fit in the send queue: it was not queued (the queue is
 * unchanged) and will not be sent.
 *
 * @example
 * ```ts
 * import { QueueFullError, SendQueue } from "./send_queue.ts";
 * const queue = new SendQueue({ maxMessages: 1, maxBytes: 100 });
 * queue.push("one");
 * try {
 *   queue.push("two");
 * } catch (error) {
 *   console.log(error instanceof QueueFullError); // true
 * }
 * ```
 */
export class QueueFullError extends Error {
  /** The bounds in force. */
  readonly limits: QueueLimits;

  /**
   * A message that did not fit.
   *
   * @param message Which bound the message would have passed.
   * @param limits The bounds in force.
   */
  constructor(message: string, limits: QueueLimits) {
    super(message);
    this.name = "QueueFullError";
    this.limits = limits;
  }
}

/**
 * One queued message: its data, its size in bytes and, for a request, its
 * ack id.
 *
 * @example
 * ```ts
 * import type { QueuedMessage } from "./send_queue.ts";
 * const queued: QueuedMessage = { data: '{"event":"a"}', bytes: 13 };
 * ```
 */
export interface QueuedMessage {
  /** The message: text, or bytes (a copy of what was passed). */
  readonly data: string | Uint8Array<ArrayBuffer>;
  /** Its size: UTF-8 bytes of a text, length of bytes. */
  readonly bytes: number;
  /** The ack id when the message is a request. */
  readonly ackId?: number;
}

/**
 * A first-in, first-out queue bounded by {@link QueueLimits}. A push over
 * either bound throws a {@link QueueFullError} and leaves the queue as it
 * was.
 *
 * @example
 * ```ts
 * import { SendQueue } from "./send_queue.ts";
 * const queue = new SendQueue();
 * queue.push("first");
 * queue.push(new Uint8Array([1, 2, 3]));
 * console.log(queue.length, queue.bytes); // 2 8
 * console.log(queue.shift()?.data); // "first"
 * ```
 */
export class SendQueue {
  /** The bounds in force. */
  readonly limits: QueueLimits;
  #items: QueuedMessage[] = [];
  #head = 0;
  #bytes = 0;
  #ackIds = new Set<number>();

  /** An empty queue with `limits` (default {@link DEFAULT_QUEUE_LIMITS}). */
  constructor(limits: Partial<QueueLimits> = {}) {
    const resolved = { ...DEFAULT_QUEUE_LIMITS, ...limits };
    for (const name of ["maxMessages", "maxBytes"] as const) {
      const value = resolved[name];
      if (!(Number.isInteger(value) && value >= 0) && value !== Infinity) {
        throw new RangeError(`Invalid queue ${name}: ${value}`);
      }
    }
    this.limits = Object.freeze(resolved);
  }

  /** How many messages wait. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** How many bytes wait. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the request with `ackId` is still in the queue (not sent yet). */
  holds(ackId: number): boolean {
    return this.#ackIds.has(ackId);
  }

  /**
   * Appends a message; bytes are copied, so the caller may reuse its
   * buffer. Throws a {@link QueueFullError} when it does not fit.
   */
  push(data: string | Uint8Array, ackId?: number): void {
    const bytes = typeof data === "string" ? utf8Length(data) : data.byteLength;
    const { maxMessages, maxBytes } = this.limits;
    if (this.length + 1 > maxMessages) {
      throw new QueueFullError(
        `Send queue full: ${this.length} messages wait (limit ${maxMessages})`,
        this.limits,
      );
    }
    if (this.#bytes + bytes > maxBytes) {
      throw new QueueFullError(
        `Send queue full: ${this.#bytes} bytes wait and the message has ${bytes} (limit ${maxBytes})`,
        this.limits,
      );
    }
    const copy = typeof data === "string" ? data : data.slice();
    this.#items.push(
      ackId === undefined
        ? { data: copy, bytes }
        : { data: copy, bytes, ackId },
    );
    if (ackId !== undefined) this.#ackIds.add(ackId);
    this.#bytes += bytes;
  }

  /** Removes and returns the oldest message. */
  shift(): QueuedMessage | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    this.#bytes -= item.bytes;
    if (item.ackId !== undefined) this.#ackIds.delete(item.ackId);
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Empties the queue; returns what was in it, oldest first. */
  clear(): QueuedMessage[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#ackIds.clear();
    return items;
  }
}

/**
 * The UTF-8 length of `text`, without encoding it. A lone surrogate counts
 * 3 bytes, as the U+FFFD it is sent as.
 *
 * @example
 * ```ts
 * import { utf8Length } from "./send_queue.ts";
 * utf8Length("aé€😀"); // 1 + 2 + 3 + 4 = 10
 * ```
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
