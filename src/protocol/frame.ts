/**
 * One WebSocket frame (RFC 6455 §5.2), as the application builds it.
 *
 * @module
 */

import { encodeClosePayload } from "./close_payload.ts";
import { UsageError } from "./errors.ts";
import { Opcode } from "./opcode.ts";

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Options of a {@link Frame}.
 *
 * @example
 * ```ts
 * import type { FrameOptions } from "@anyws/anyws";
 * const first: FrameOptions = { fin: false };
 * ```
 */
export interface FrameOptions {
  /** Whether this is the final fragment of its message. Default `true`. */
  fin?: boolean;
  /** The three RSV bits as a number: RSV1 << 2 | RSV2 << 1 | RSV3. Default 0. */
  rsv?: number;
}

function controlPayload(data: Uint8Array | string | undefined): Uint8Array {
  const payload = data === undefined
    ? EMPTY
    : typeof data === "string"
    ? encoder.encode(data)
    : data;
  // RFC 6455 §5.5: "All control frames MUST have a payload length of 125
  // bytes or less and MUST NOT be fragmented."
  if (payload.length > 125) {
    throw new UsageError(
      `Control frame payload too long: ${payload.length} bytes`,
    );
  }
  return payload;
}

/**
 * A frame: opcode, payload, FIN flag and RSV bits. The constructor checks
 * only the shape (opcode 0-15, RSV 0-7) so that any frame, even an invalid
 * one, can be built; the factories and `Protocol.sendFrame` enforce the
 * protocol rules.
 *
 * @example
 * ```ts
 * import { Frame } from "@anyws/anyws";
 * import { Opcode } from "@anyws/anyws/protocol";
 * const first = new Frame(Opcode.Text, new TextEncoder().encode("Hel"), { fin: false });
 * const last = new Frame(Opcode.Continuation, new TextEncoder().encode("lo"));
 * console.log(first.fin, last.fin); // false true
 * ```
 */
export class Frame {
  /** The opcode (see `Opcode`). */
  readonly opcode: number;
  /** The (unmasked) payload. Not copied: do not modify it while in use. */
  readonly payload: Uint8Array;
  /** Whether this is the final fragment of its message. */
  readonly fin: boolean;
  /** The RSV bits: RSV1 << 2 | RSV2 << 1 | RSV3. */
  readonly rsv: number;

  /**
   * A frame; the factories are the usual way to make one.
   *
   * @param opcode 0-15.
   * @param payload The payload; kept, not copied.
   * @param options FIN (default `true`) and RSV bits (default 0).
   */
  constructor(opcode: number, payload: Uint8Array, options?: FrameOptions) {
    if (!Number.isInteger(opcode) || opcode < 0 || opcode > 0xf) {
      throw new UsageError(`Invalid opcode: ${opcode}`);
    }
    const rsv = options?.rsv ?? 0;
    if (!Number.isInteger(rsv) || rsv < 0 || rsv > 7) {
      throw new UsageError(`Invalid RSV bits: ${rsv}`);
    }
    this.opcode = opcode;
    this.payload = payload;
    this.fin = options?.fin ?? true;
    this.rsv = rsv;
  }

  /**
   * A final text frame holding the UTF-8 encoding of `text`.
   *
   * @example
   * ```ts
   * import { Frame } from "@anyws/anyws";
   * console.log(Frame.text("Hello").payload.length); // 5
   * ```
   */
  static text(text: string): Frame {
    return new Frame(Opcode.Text, encoder.encode(text));
  }

  /**
   * A final binary frame holding `data` (not copied).
   *
   * @example
   * ```ts
   * import { Frame } from "@anyws/anyws";
   * console.log(Frame.binary(new Uint8Array([1, 2, 3])).opcode); // 2
   * ```
   */
  static binary(data: Uint8Array): Frame {
    return new Frame(Opcode.Binary, data);
  }

  /**
   * A ping frame. Throws a `UsageError` if the payload exceeds 125 bytes.
   *
   * @example
   * ```ts
   * import { Frame } from "@anyws/anyws";
   * console.log(Frame.ping("are you there?").opcode); // 9
   * ```
   */
  static ping(data?: Uint8Array | string): Frame {
    return new Frame(Opcode.Ping, controlPayload(data));
  }

  /**
   * A pong frame. Throws a `UsageError` if the payload exceeds 125 bytes.
   *
   * @example
   * ```ts
   * import { Frame } from "@anyws/anyws";
   * console.log(Frame.pong().payload.length); // 0
   * ```
   */
  static pong(data?: Uint8Array | string): Frame {
    return new Frame(Opcode.Pong, controlPayload(data));
  }

  /**
   * A close frame. No code gives an empty body. Throws a `UsageError` for a
   * code that may not be sent or a reason without a code; the reason is cut
   * to 123 UTF-8 bytes without splitting a character.
   *
   * @example
   * ```ts
   * import { Frame } from "@anyws/anyws";
   * console.log(Frame.close(1000, "bye").payload); // Uint8Array(5) [ 3, 232, 98, 121, 101 ]
   * ```
   */
  static close(code?: number, reason?: string): Frame {
    return new Frame(Opcode.Close, encodeClosePayload(code, reason));
  }
}
