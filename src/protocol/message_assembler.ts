/**
 * Reassembles data frames into messages (RFC 6455 §5.4): fragment order,
 * the message size limit and incremental UTF-8 validation of text.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { Opcode } from "./opcode.ts";
import { decodeUtf8, Utf8StreamDecoder } from "./utf8.ts";

/**
 * Options of a {@link MessageAssembler}.
 *
 * @example
 * ```ts
 * import type { MessageAssemblerOptions } from "@anyws/anyws/protocol";
 * const options: MessageAssemblerOptions = { maxMessageSize: 1 << 20 };
 * ```
 */
export interface MessageAssemblerOptions {
  /** Largest message, in bytes, across all its fragments. Default 16 MiB. */
  maxMessageSize?: number;
}

/**
 * A single-frame binary message arriving in pieces gets one buffer of its
 * announced length up to this size. Larger ones collect the pieces and join
 * them at the end, so that memory follows what the peer actually sent, not
 * what its header claims.
 */
const PREALLOCATE_LIMIT = 64 * 1024;

/**
 * Turns data frames into messages: a `string` for text, a `Uint8Array`
 * (owned by the caller) for binary. Feed it the data frame callbacks of a
 * `FrameDecoder`; control frames never reach it, so they may arrive between
 * fragments. Violations throw a `ProtocolError`: 1002 for fragments out of
 * order, 1009 for a message over the limit (checked from each frame header,
 * before its payload), 1007 for invalid UTF-8 (at the first invalid byte).
 *
 * A single-frame message whose payload arrives in one piece is decoded with
 * one call (text) or copied once (binary).
 *
 * @example
 * ```ts
 * import { MessageAssembler, Opcode } from "@anyws/anyws/protocol";
 * const assembler = new MessageAssembler();
 * const bytes = new TextEncoder().encode("Hello");
 * assembler.frameStart(Opcode.Text, false, 3);
 * assembler.framePayload(bytes, 0, 3);
 * console.log(assembler.frameEnd()); // undefined: more fragments follow
 * assembler.frameStart(Opcode.Continuation, true, 2);
 * assembler.framePayload(bytes, 3, 5);
 * console.log(assembler.frameEnd()); // "Hello"
 * ```
 */
export class MessageAssembler {
  #maxMessageSize: number;

  /** Opcode of the message in progress (Text or Binary), 0 when none. */
  #opcode = 0;
  /** The current frame ends the message. */
  #fin = false;
  /** The message is a single frame (first frame had FIN set). */
  #single = false;
  /** Bytes announced so far by the message's frame headers. */
  #size = 0;
  #frameLength = 0;
  #frameReceived = 0;

  // Text.
  // Created on the first fragmented text message: most connections never need one.
  #utf8: Utf8StreamDecoder | undefined;
  #streaming = false;
  #text = "";
  // Binary.
  #result: Uint8Array | undefined = undefined;
  #pieces: Uint8Array[] | undefined; // created on first use

  /**
   * An assembler with no message in progress.
   *
   * @param options The message size limit.
   */
  constructor(options?: MessageAssemblerOptions) {
    this.#maxMessageSize = options?.maxMessageSize ?? 16 * 1024 * 1024;
  }

  /** Whether a message has started and its final frame has not ended yet. */
  get inProgress(): boolean {
    return this.#opcode !== 0;
  }

  /** A data frame begins. Throws a `ProtocolError` (1002, 1009). */
  frameStart(opcode: number, fin: boolean, length: number): void {
    if (opcode === Opcode.Continuation) {
      // RFC 6455 §5.4: "A fragmented message consists of a single frame with
      // the FIN bit clear and an opcode other than 0, followed by zero or
      // more frames with the FIN bit clear and the opcode set to 0, and
      // terminated by a single frame with the FIN bit set and an opcode of 0."
      if (this.#opcode === 0) {
        throw new ProtocolError("protocol", "Unexpected continuation frame");
      }
    } else {
      if (this.#opcode !== 0) {
        throw new ProtocolError(
          "protocol",
          `Expected a continuation frame, got opcode ${opcode}`,
        );
      }
      this.#opcode = opcode;
      this.#single = fin;
      this.#size = 0;
    }
    const size = this.#size + length;
    // RFC 6455 §10.4: "implementations will likely want to impose
    // implementation-specific limits on frame size and total message size
    // after reassembly from multiple frames"; §7.4.1 assigns 1009 to a
    // received message that is too big.
    if (size > this.#maxMessageSize) {
      throw new ProtocolError(
        "too-big",
        `Message too big: ${size} bytes, limit ${this.#maxMessageSize}`,
      );
    }
    this.#size = size;
    this.#fin = fin;
    this.#frameLength = length;
    this.#frameReceived = 0;
  }

  /**
   * The next piece of the frame's payload (unmasked): `source[start..end)`.
   * Read during the call only, never kept, unless `keep` is `true` (the
   * caller never touches `source`'s buffer again): a whole binary message
   * filling at least a quarter of that buffer then becomes a view of it, not a
   * copy (the quarter bounds what a kept message holds on to). Throws a
   * `ProtocolError` (1007) for invalid UTF-8.
   */
  framePayload(
    source: Uint8Array,
    start: number,
    end: number,
    keep = false,
  ): void {
    const size = end - start;
    const whole = this.#single && this.#frameReceived === 0 &&
      size === this.#frameLength;
    this.#frameReceived += size;
    if (this.#opcode === Opcode.Text) {
      if (whole) {
        // Fast path: the whole message in one view, one decode call.
        this.#text = decodeUtf8(source.subarray(start, end));
      } else {
        // RFC 6455 §8.1 with fragments: fail at the first invalid byte,
        // without waiting for the rest of the message.
        this.#streaming = true;
        this.#text += (this.#utf8 ??= new Utf8StreamDecoder()).push(
          source.subarray(start, end),
        );
      }
      return;
    }
    if (whole) {
      this.#result = keep && size * 4 >= source.buffer.byteLength
        ? source.subarray(start, end)
        : source.slice(start, end);
    } else if (this.#single && this.#frameLength <= PREALLOCATE_LIMIT) {
      // One frame in several pieces: its length is known, fill one buffer.
      let buffer = this.#result;
      if (buffer === undefined) {
        buffer = this.#result = new Uint8Array(this.#frameLength);
      }
      buffer.set(source.subarray(start, end), this.#frameReceived - size);
    } else {
      (this.#pieces ??= []).push(source.slice(start, end));
    }
  }

  /**
   * The frame's payload is complete. Returns the message when this frame
   * ended it, `undefined` otherwise. Throws a `ProtocolError` (1007) when a
   * text message ends inside a UTF-8 sequence.
   */
  frameEnd(): string | Uint8Array | undefined {
    if (!this.#fin) return undefined;
    const opcode = this.#opcode;
    this.#opcode = 0;
    if (opcode === Opcode.Text) {
      let text = this.#text;
      this.#text = "";
      if (this.#streaming) {
        this.#streaming = false;
        text += this.#utf8?.end() ?? "";
      }
      return text;
    }
    let result = this.#result;
    if (result !== undefined) {
      this.#result = undefined;
      return result;
    }
    const pieces = this.#pieces;
    if (pieces === undefined) return new Uint8Array(0);
    this.#pieces = undefined;
    if (pieces.length === 1) return pieces[0];
    result = new Uint8Array(this.#size);
    let offset = 0;
    for (const piece of pieces) {
      result.set(piece, offset);
      offset += piece.length;
    }
    return result;
  }
}
