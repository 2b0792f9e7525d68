/**
 * The write path of a {@link Protocol}: frames queued for sending, small ones
 * written back to back into a shared slab so that a burst leaves as one
 * view, larger payloads kept by reference, masked in the client role.
 *
 * @module
 */

import type { FrameBuffers } from "./frame_buffers.ts";
import { headerSize, MAX_HEADER_SIZE, writeHeader } from "./_frame_header.ts";
import { maskRange } from "./_mask_range.ts";
import { SLAB_LIMIT } from "./slab.ts";

const NO_CHUNKS: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];
const encoder = new TextEncoder();

/** Texts up to this many UTF-16 units are first tried as ASCII, in a JS loop. */
const ASCII_LOOP_MAX = 256;
/** Texts up to this many UTF-16 units are encoded straight into one frame buffer. */
const SMALL_TEXT = 4096;
/** Shared payloads up to this many bytes are copied next to their frame header. */
const SHARED_COPY_MAX = 1024;

/**
 * Queues outgoing frames for one connection; {@link Protocol} extends it
 * with the state machine that decides what may be sent. `b0` arguments are
 * the frame's first header byte (FIN, RSV, opcode).
 *
 * @example
 * ```ts
 * import { FrameBuffers, FrameWriter } from "@anyws/anyws/protocol";
 * const writer = new FrameWriter(new FrameBuffers("server"));
 * console.log(writer.outgoingBytes); // 0
 * ```
 */
export class FrameWriter {
  #buffers: FrameBuffers;
  // Created on first use: an idle connection holds no array.
  #outgoing: Uint8Array[] | undefined;
  // The slab region queued last, not yet a view in #outgoing: frames written
  // one after another extend it, and it becomes one view when taken.
  #run: Uint8Array | undefined;
  #runStart = 0;
  #runEnd = 0;
  #outgoingBytes = 0;

  /** Frames written with `buffers` (masked when it has masking keys). */
  constructor(buffers: FrameBuffers) {
    this.#buffers = buffers;
  }

  /** Total length of the queued outgoing chunks, in bytes. */
  get outgoingBytes(): number {
    return this.#outgoingBytes;
  }

  /**
   * The chunks to write, in order; clears the queue. A chunk holds a frame
   * header, a payload, or a whole frame.
   */
  takeOutgoing(): Uint8Array[] {
    this.#endRun();
    const chunks = this.#outgoing;
    if (chunks === undefined) return NO_CHUNKS;
    this.#outgoing = undefined;
    this.#outgoingBytes = 0;
    return chunks;
  }

  /** Drops everything queued. */
  protected dropOutgoing(): void {
    this.#run = undefined;
    this.#outgoing = undefined;
    this.#outgoingBytes = 0;
  }

  /** Queues an already-encoded frame as is. */
  protected queueEncoded(bytes: Uint8Array): void {
    this.#push(bytes);
  }

  #push(chunk: Uint8Array): void {
    this.#endRun();
    (this.#outgoing ??= []).push(chunk);
    this.#outgoingBytes += chunk.length;
  }

  /**
   * Queues the bytes `[start, end)` just written into the slab `buffer`.
   * They extend the last queued slab region when it ends right at `start`:
   * a burst of small frames goes out as one view, with no copy to join
   * them and no view per frame.
   */
  #pushSlab(buffer: Uint8Array, start: number, end: number): void {
    this.#buffers.slab.claim(end);
    this.#outgoingBytes += end - start;
    if (this.#run === buffer && this.#runEnd === start) {
      this.#runEnd = end;
      return;
    }
    this.#endRun();
    this.#run = buffer;
    this.#runStart = start;
    this.#runEnd = end;
  }

  /** Moves the open slab region into #outgoing as a view. */
  #endRun(): void {
    const run = this.#run;
    if (run === undefined) return;
    this.#run = undefined;
    (this.#outgoing ??= []).push(run.subarray(this.#runStart, this.#runEnd));
  }

  /**
   * Writes the header of a frame whose `length`-byte payload already sits at
   * `buffer[payloadStart]`, just before it (there must be room), masking
   * the payload in the client role. Returns where the frame starts.
   */
  #frameBefore(
    buffer: Uint8Array,
    payloadStart: number,
    b0: number,
    length: number,
  ): number {
    if (this.#buffers.masks === undefined) {
      const start = payloadStart - headerSize(length, false);
      writeHeader(buffer, start, b0, length, undefined);
      return start;
    }
    const mask = this.#buffers.masks!.mask();
    const start = payloadStart - headerSize(length, true);
    writeHeader(buffer, start, b0, length, mask);
    maskRange(buffer, payloadStart, payloadStart + length, mask, 0);
    return start;
  }

  /** A text frame as one chunk: the header and the UTF-8 payload together. */
  protected queueText(b0: number, text: string): void {
    const units = text.length;
    if (units <= ASCII_LOOP_MAX) {
      // ASCII fast path: one byte per unit, so the length is known upfront
      // and the header goes first. Cheaper than a native encode call for
      // short texts; abandoned at the first non-ASCII unit.
      const headerLength = headerSize(units, this.#buffers.masks !== undefined);
      const buffer = this.#buffers.slab.reserve(headerLength + units);
      const at = this.#buffers.slab.offset() + headerLength;
      let i = 0;
      for (; i < units; i++) {
        const unit = text.charCodeAt(i);
        if (unit >= 0x80) break;
        buffer[at + i] = unit;
      }
      if (i === units) {
        const start = this.#frameBefore(buffer, at, b0, units);
        this.#pushSlab(buffer, start, at + units);
        return;
      }
    }
    if (units * 3 + MAX_HEADER_SIZE <= SLAB_LIMIT) {
      // Encode straight after the largest possible header, then write the
      // header just before the payload.
      const buffer = this.#buffers.slab.reserve(MAX_HEADER_SIZE + units * 3);
      const payloadStart = this.#buffers.slab.offset() + MAX_HEADER_SIZE;
      const length = encoder.encodeInto(
        text,
        buffer.subarray(payloadStart, payloadStart + units * 3),
      ).written;
      const start = this.#frameBefore(buffer, payloadStart, b0, length);
      this.#pushSlab(buffer, start, payloadStart + length);
      return;
    }
    if (units <= SMALL_TEXT) {
      const buffer = new Uint8Array(MAX_HEADER_SIZE + units * 3);
      const length = encoder.encodeInto(
        text,
        buffer.subarray(MAX_HEADER_SIZE),
      ).written;
      const start = this.#frameBefore(buffer, MAX_HEADER_SIZE, b0, length);
      this.#push(buffer.subarray(start, MAX_HEADER_SIZE + length));
      return;
    }
    this.queueOwned(b0, encoder.encode(text));
  }

  /** Queues a frame header alone, from the slab. */
  #queueHeader(
    b0: number,
    length: number,
    mask: Uint8Array | undefined,
  ): void {
    const buffer = this.#buffers.slab.reserve(MAX_HEADER_SIZE);
    const start = this.#buffers.slab.offset();
    const size = writeHeader(buffer, start, b0, length, mask);
    this.#pushSlab(buffer, start, start + size);
  }

  /** A whole frame (masked copy of `payload` in the client role) as one chunk. */
  #queueCopy(b0: number, payload: Uint8Array): void {
    const length = payload.length;
    const headerLength = headerSize(length, this.#buffers.masks !== undefined);
    const room = headerLength + length;
    if (room > SLAB_LIMIT) {
      const buffer = new Uint8Array(room);
      buffer.set(payload, headerLength);
      this.#frameBefore(buffer, headerLength, b0, length);
      this.#push(buffer);
      return;
    }
    const buffer = this.#buffers.slab.reserve(room);
    const payloadStart = this.#buffers.slab.offset() + headerLength;
    buffer.set(payload, payloadStart);
    const start = this.#frameBefore(buffer, payloadStart, b0, length);
    this.#pushSlab(buffer, start, payloadStart + length);
  }

  /** A control frame: small, always one chunk (a copy of `payload`). */
  protected queueControl(b0: number, payload: Uint8Array): void {
    this.#queueCopy(b0, payload);
  }

  /**
   * A data frame whose payload the caller owns: not copied in the server
   * role unless it is small.
   */
  protected queueShared(b0: number, payload: Uint8Array): void {
    const length = payload.length;
    // A client must not mask the caller's bytes in place: one masked copy.
    // A small payload is copied next to its header: one chunk instead of
    // two, and a frame alone in its write needs no joining copy.
    if (this.#buffers.masks !== undefined || length <= SHARED_COPY_MAX) {
      this.#queueCopy(b0, payload);
      return;
    }
    this.#queueHeader(b0, length, undefined);
    if (length !== 0) this.#push(payload);
  }

  /** A data frame whose payload we own (freshly encoded): masked in place for a client. */
  protected queueOwned(b0: number, payload: Uint8Array): void {
    const length = payload.length;
    const mask = this.#buffers.masks?.mask();
    this.#queueHeader(b0, length, mask);
    if (mask !== undefined) maskRange(payload, 0, length, mask, 0);
    if (length !== 0) this.#push(payload);
  }
}
