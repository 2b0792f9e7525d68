/**
 * Internal: one end of the memory engine's in-memory pipe, a
 * {@link Transport} that behaves like a socket. Delivery is asynchronous (a
 * microtask after the write), bytes arrive in order and in chunks of at
 * most `chunkSize`, FIN follows the data, `write()` reports backpressure
 * against a high-water mark, a paused reader leaves the bytes in the
 * writer's queue, and `handler.onClose()` runs exactly once, last.
 *
 * @module
 */

import type { Transport, TransportHandler } from "../src/driver/engine.ts";
import { WriteQueue } from "./_write_queue.ts";

/**
 * How a pipe behaves: both ends share these.
 *
 * @example
 * ```ts
 * import type { PipeOptions } from "./_memory_pipe.ts";
 * const options: PipeOptions = { highWaterMark: 64 * 1024, chunkSize: 3 };
 * ```
 */
export interface PipeOptions {
  /** Undelivered bytes per end above which `write()` returns `false`. */
  highWaterMark: number;
  /** Largest number of bytes handed to one `onData()` call. */
  chunkSize: number;
}

/**
 * One end of an in-memory pipe. Join two ends by setting each one's `peer`
 * to the other and each one's `handler` before the first write.
 *
 * @example
 * ```ts
 * import { MemoryEnd } from "./_memory_pipe.ts";
 * const options = { highWaterMark: 1024, chunkSize: 1024 };
 * const a = new MemoryEnd("127.0.0.1", 50000, options);
 * const b = new MemoryEnd("127.0.0.1", 1024, options);
 * a.peer = b;
 * b.peer = a;
 * const quiet = { onDrain: () => {}, onEnd: () => {}, onClose: () => {} };
 * a.handler = { ...quiet, onData: () => {} };
 * b.handler = { ...quiet, onData: (bytes) => console.log(bytes.length) };
 * a.write(new Uint8Array(5)); // b hears 5 bytes a microtask later
 * ```
 */
export class MemoryEnd implements Transport {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** What this end tells about what happens to it. */
  handler!: TransportHandler;
  /** The other end. */
  peer!: MemoryEnd;
  #options: PipeOptions;
  #queue = new WriteQueue(); // written here, not yet delivered to the peer
  #scheduled = false;
  #paused = false;
  #needDrain = false;
  #ending = false; // end() called
  #finSent = false; // our FIN reached the peer
  #dead = false; // closed or reset: nothing more moves
  #closed = false; // handler.onClose() called
  #unsentAtDeath = 0;

  /** An end whose transport reports `remoteAddress:remotePort` as its peer. */
  constructor(remoteAddress: string, remotePort: number, options: PipeOptions) {
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.#options = options;
  }

  /** Bytes written here and not yet delivered to the peer (the "network"). */
  get unsentBytes(): number {
    return this.#dead ? this.#unsentAtDeath : this.#queue.bytes;
  }

  /** `true` when nothing waits; else `false`, and `onDrain()` fires once it has gone. */
  requestDrain(): boolean {
    if (this.#queue.empty) return true;
    this.#needDrain = true;
    return false;
  }

  /** Queues `bytes` for the peer; `false` above the high-water mark. Ignored after `end()`/`abort()`. */
  write(bytes: Uint8Array): boolean {
    if (this.#ending || this.#dead) return true;
    this.#queue.push(bytes);
    this.#schedule();
    if (this.#queue.bytes < this.#options.highWaterMark) return true;
    this.#needDrain = true;
    return false;
  }

  /** Sends FIN once everything written has been delivered. */
  end(): void {
    if (this.#ending || this.#dead) return;
    this.#ending = true;
    this.#schedule();
  }

  /** Resets the connection: both ends close, the peer's with an error. */
  abort(): void {
    if (this.#dead) return;
    const peer = this.peer;
    this.#kill();
    peer.#kill();
    queueMicrotask(() => {
      this.#close(undefined);
      peer.#close(new Error("Connection reset by peer"));
    });
  }

  /** Stops reading: bytes for this end wait in the peer's queue (and count against its high-water mark). */
  pause(): void {
    this.#paused = true;
  }

  /** Reads again. */
  resume(): void {
    this.#paused = false;
    this.peer.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#flush);
  }

  /** Delivers this end's queue to the peer, then our FIN. */
  #flush = (): void => {
    this.#scheduled = false;
    const peer = this.peer;
    const queue = this.#queue;
    const max = this.#options.chunkSize;
    while (!queue.empty && !peer.#paused && !this.#dead) {
      const chunk = queue.peek(max);
      const size = chunk.length < max ? chunk.length : max;
      // A copy: the receiver may modify it, the writer may share its bytes.
      const bytes = chunk.slice(0, size);
      queue.consume(size);
      peer.handler.onData(bytes);
    }
    if (this.#dead || !queue.empty) return;
    if (this.#needDrain && !this.#ending) {
      this.#needDrain = false;
      this.handler.onDrain();
      if (this.#dead || !queue.empty) return;
    }
    if (this.#ending && !this.#finSent && !peer.#paused) {
      this.#finSent = true;
      peer.handler.onEnd();
      if (this.#finSent && peer.#finSent && !this.#dead) {
        this.#kill();
        peer.#kill();
        this.#close(undefined);
        peer.#close(undefined);
      }
    }
  };

  #kill(): void {
    if (!this.#dead) this.#unsentAtDeath = this.#queue.bytes;
    this.#dead = this.#ending = true;
    this.#queue.clear();
  }

  #close(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.handler.onClose(error);
  }
}
