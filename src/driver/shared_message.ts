/**
 * One message sent to many connections (a broadcast, a room, a message
 * relayed from another node): framed once, and compressed once for all the
 * receivers that agreed to permessage-deflate without context takeover.
 *
 * @module
 */

import type { PerMessageDeflate } from "../protocol/deflate/per_message_deflate.ts";
import { Frame } from "../protocol/frame.ts";
import { encodeFrame } from "../protocol/frame_encoder.ts";
import { Opcode } from "../protocol/opcode.ts";

const encoder = new TextEncoder();

/**
 * A whole data message, with its wire forms made on first use and kept for
 * the next receiver: the plain frame, and one compressed frame (RSV1) per
 * window size the receivers allow (RFC 7692 §7.1.2: in practice one, since
 * browsers do not limit the server's window).
 *
 * @example
 * ```ts
 * import { SharedMessage } from "./shared_message.ts";
 * const message = SharedMessage.of("hello everyone");
 * console.log(message.plainFrame().length); // 16
 * ```
 */
export class SharedMessage {
  /** Whether it is a text message (else binary). */
  readonly isText: boolean;
  /** The payload bytes (UTF-8 for text). */
  readonly payload: Uint8Array;
  #plain: Uint8Array | undefined;
  #compressed: Map<number, Uint8Array> | undefined;

  /** A message of `payload` bytes; `plain` is its frame, when already made. */
  constructor(isText: boolean, payload: Uint8Array, plain?: Uint8Array) {
    this.isText = isText;
    this.payload = payload;
    this.#plain = plain;
  }

  /**
   * A text (string) or binary (Uint8Array) message.
   *
   * @example
   * ```ts
   * import { SharedMessage } from "./shared_message.ts";
   * console.log(SharedMessage.of(new Uint8Array([1, 2])).isText); // false
   * ```
   */
  static of(data: string | Uint8Array): SharedMessage {
    return typeof data === "string"
      ? new SharedMessage(true, encoder.encode(data))
      : new SharedMessage(false, data);
  }

  /**
   * The message of a whole, unmasked, uncompressed data frame (as relayed
   * between nodes), keeping `frame` as its plain form.
   *
   * @example
   * ```ts
   * import { SharedMessage } from "./shared_message.ts";
   * const message = SharedMessage.fromFrame(new Uint8Array([0x81, 0x02, 0x68, 0x69]));
   * console.log(new TextDecoder().decode(message.payload)); // "hi"
   * ```
   */
  static fromFrame(frame: Uint8Array): SharedMessage {
    const length7 = frame[1] & 0x7f;
    const start = length7 < 126 ? 2 : length7 === 126 ? 4 : 10;
    return new SharedMessage(
      (frame[0] & 0x0f) === Opcode.Text,
      frame.subarray(start),
      frame,
    );
  }

  /** The uncompressed frame (RFC 6455 §5.2: FIN, the opcode, unmasked). */
  plainFrame(): Uint8Array {
    return this.#plain ??= encodeFrame(
      new Frame(this.isText ? Opcode.Text : Opcode.Binary, this.payload),
    );
  }

  /**
   * The compressed frame for a receiver whose `deflate` sends without
   * context takeover (`deflate.sharedKey` defined), compressed once per
   * key: RFC 7692 §6, RSV1 set.
   */
  compressedFrame(deflate: PerMessageDeflate): Uint8Array {
    const key = deflate.sharedKey!;
    const cache = this.#compressed ??= new Map();
    let bytes = cache.get(key);
    if (bytes === undefined) {
      bytes = encodeFrame(
        new Frame(
          this.isText ? Opcode.Text : Opcode.Binary,
          deflate.compress(this.payload, true),
          { rsv: 4 },
        ),
      );
      cache.set(key, bytes);
    }
    return bytes;
  }
}
