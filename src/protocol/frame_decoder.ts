/**
 * The streaming frame decoder (RFC 6455 §5.2): bytes in any chunking in,
 * frame callbacks out. It validates each frame header as early as its bytes
 * allow and unmasks payloads in place. Message-level rules (fragment order,
 * message size, UTF-8) belong to the message assembler.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { MAX_HEADER_SIZE } from "./_frame_header.ts";
import { maskRange } from "./_mask_range.ts";
import { isControl, isKnownOpcode } from "./opcode.ts";

/**
 * Receives what a {@link FrameDecoder} decodes. Payloads are unmasked and
 * valid only during the call: copy what you keep. A data payload piece is
 * given as a range of the pushed chunk (no view is created per frame). A
 * method may throw a `ProtocolError`; it propagates out of `push()`.
 *
 * @example
 * ```ts
 * import type { FrameHandler } from "@anyws/anyws/protocol";
 * const handler: FrameHandler = {
 *   onDataFrameStart: (opcode, fin, rsv, length) => console.log("frame", opcode, fin, rsv, length),
 *   onDataFramePayload: (source, start, end) => console.log("payload", source.subarray(start, end)),
 *   onDataFrameEnd: () => console.log("end"),
 *   onControlFrame: (opcode, payload) => console.log("control", opcode, payload.length),
 * };
 * ```
 */
export interface FrameHandler {
  /** A data frame (text, binary, continuation) header was decoded. */
  onDataFrameStart(
    opcode: number,
    fin: boolean,
    rsv: number,
    length: number,
  ): void;
  /** The next piece of the data frame's payload: `source[start..end)`, never empty. */
  onDataFramePayload(source: Uint8Array, start: number, end: number): void;
  /** The data frame's payload is complete. */
  onDataFrameEnd(): void;
  /** A whole control frame (close, ping, pong; at most 125 bytes). */
  onControlFrame(opcode: number, payload: Uint8Array, rsv: number): void;
}

/**
 * Options of a {@link FrameDecoder}.
 *
 * @example
 * ```ts
 * import type { FrameDecoderOptions } from "@anyws/anyws/protocol";
 * const options: FrameDecoderOptions = { role: "server", maxFrameSize: 1 << 20 };
 * ```
 */
export interface FrameDecoderOptions {
  /**
   * `"server"` (default) decodes frames a client sent: they must be masked.
   * `"client"` decodes frames a server sent: they must not be.
   */
  role?: "server" | "client";
  /**
   * Largest data frame payload accepted, in bytes; a header announcing more
   * fails with 1009 before any payload arrives. Default 16 MiB.
   */
  maxFrameSize?: number;
  /** RSV bits an extension negotiated (RSV1 << 2 | RSV2 << 1 | RSV3). Default 0. */
  allowedRsv?: number;
}

const HEADER = 0;
const PAYLOAD = 1;
const STOPPED = 2;
/** In #frameBits (the first header byte): the opcode is a control opcode. */
const CONTROL_BIT = 0x8;
/** In #frameBits, above the first header byte: the frame is masked. */
const MASKED_BIT = 0x100;
/** In #rules, above the RSV bits: frames must be masked (server role). */
const EXPECT_MASKED = 0x8;
const EMPTY = new Uint8Array(0);
// Scratch: the current frame's masking key, spelled out for maskRange
// within one call.
const maskBytes = new Uint8Array(4);

/**
 * A streaming, allocation-light frame decoder. Feed it bytes with
 * {@link FrameDecoder.push} in any chunking, down to one byte at a time. It
 * buffers at most one frame header (14 bytes) and one control frame payload
 * (125 bytes); data frame payloads are handed on, unmasked in place in the
 * caller's buffer, as they arrive. A violation throws a `ProtocolError` and
 * stops the decoder.
 *
 * @example
 * ```ts
 * import { FrameDecoder } from "@anyws/anyws/protocol";
 * const decoder = new FrameDecoder({
 *   onDataFrameStart: (opcode, fin, rsv, length) => console.log("start", opcode, length),
 *   onDataFramePayload: (source, start, end) => console.log(new TextDecoder().decode(source.subarray(start, end))),
 *   onDataFrameEnd: () => console.log("end"),
 *   onControlFrame: () => {},
 * });
 * // RFC 6455 §5.7: a single-frame masked text message "Hello".
 * decoder.push(new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]));
 * ```
 */
export class FrameDecoder {
  #handler: FrameHandler;
  /** The negotiated RSV bits, plus EXPECT_MASKED in the server role. */
  #rules: number;
  #maxFrameSize: number;

  #state = HEADER;
  // Allocated on the first header split across reads.
  #header: Uint8Array | undefined;
  #headerLength = 0;
  #headerNeeded = 2;

  // The frame being decoded: its first header byte (FIN, RSV, opcode) and
  // MASKED_BIT, in one field (a field costs every connection 8 bytes).
  #frameBits = 0;
  // The masking key as a big-endian 32-bit number: no array per connection.
  #mask = 0;
  #payloadLength = 0;
  #received = 0;
  // Allocated on the first control frame split across reads.
  #controlBuffer: Uint8Array | undefined;

  /**
   * A decoder that reports frames to `handler` as their bytes arrive.
   *
   * @param handler Receives the decoded frames.
   * @param options Role, frame size limit, negotiated RSV bits.
   */
  constructor(handler: FrameHandler, options?: FrameDecoderOptions) {
    this.#handler = handler;
    this.#rules = (options?.allowedRsv ?? 0) |
      ((options?.role ?? "server") === "server" ? EXPECT_MASKED : 0);
    this.#maxFrameSize = options?.maxFrameSize ?? 16 * 1024 * 1024;
  }

  /** Whether the decoder stopped (after {@link FrameDecoder.stop} or a violation). */
  get stopped(): boolean {
    return this.#state === STOPPED;
  }

  /**
   * Bytes held between `push()` calls: a partial header and a partial
   * control frame payload. Never more than 14 + 125.
   */
  get bufferedBytes(): number {
    return this.#headerLength +
      (this.#state === PAYLOAD && (this.#frameBits & CONTROL_BIT) !== 0
        ? this.#received
        : 0);
  }

  /**
   * Stops decoding: the rest of the current chunk and every later one are
   * ignored. A handler calls it, for instance, after a Close frame.
   */
  stop(): void {
    this.#state = STOPPED;
  }

  /**
   * Decodes `bytes`. Masked payloads are unmasked in place inside `bytes`.
   * Throws a `ProtocolError` on a violation; the decoder is then stopped.
   */
  push(bytes: Uint8Array): void {
    if (this.#state === STOPPED) return;
    try {
      this.#push(bytes);
    } catch (error) {
      this.#state = STOPPED;
      throw error;
    }
  }

  #push(bytes: Uint8Array): void {
    const length = bytes.length;
    let pos = 0;
    while (pos < length) {
      const state = this.#state;
      if (state === PAYLOAD) {
        pos = this.#readPayload(bytes, pos);
        continue;
      }
      if (state === STOPPED) return;
      // Fast path: a whole header inside this chunk.
      if (this.#headerLength === 0 && length - pos >= 2) {
        const b1 = bytes[pos + 1];
        const size = sizeFromSecondByte(b1);
        if (length - pos >= size) {
          this.#readFirstByte(bytes[pos]);
          this.#readSecondByte(b1);
          this.#readHeader(bytes, pos);
          pos += size;
          this.#startFrame();
          continue;
        }
      }
      // Slow path: gather the header byte by byte, checking the first two
      // bytes as soon as they arrive.
      const header = this.#header ??= new Uint8Array(MAX_HEADER_SIZE);
      while (pos < length && this.#headerLength < this.#headerNeeded) {
        const b = bytes[pos++];
        const index = this.#headerLength++;
        header[index] = b;
        if (index === 0) this.#readFirstByte(b);
        else if (index === 1) {
          this.#readSecondByte(b);
          this.#headerNeeded = sizeFromSecondByte(b);
        }
      }
      if (this.#headerLength === this.#headerNeeded) {
        this.#readHeader(header, 0);
        this.#headerLength = 0;
        this.#headerNeeded = 2;
        this.#startFrame();
      }
    }
  }

  #readFirstByte(b0: number): void {
    const fin = (b0 & 0x80) !== 0;
    const rsv = (b0 >>> 4) & 0x7;
    const opcode = b0 & 0xf;
    // RFC 6455 §5.2: "RSV1, RSV2, RSV3: 1 bit each. MUST be 0 unless an
    // extension is negotiated that defines meanings for non-zero values. If
    // a nonzero value is received and none of the negotiated extensions
    // defines the meaning of such a nonzero value, the receiving endpoint
    // MUST _Fail the WebSocket Connection_."
    if ((rsv & ~this.#rules & 0x7) !== 0) {
      throw new ProtocolError("protocol", `Invalid RSV bits: ${rsv}`);
    }
    // RFC 6455 §5.2: "If an unknown opcode is received, the receiving
    // endpoint MUST _Fail the WebSocket Connection_."
    if (!isKnownOpcode(opcode)) {
      throw new ProtocolError("protocol", `Invalid opcode: ${opcode}`);
    }
    const control = isControl(opcode);
    // RFC 6455 §5.5: "Control frames MAY be injected in the middle of a
    // fragmented message. [...] All control frames MUST have a payload
    // length of 125 bytes or less and MUST NOT be fragmented."
    if (control && !fin) {
      throw new ProtocolError(
        "protocol",
        `Fragmented control frame: opcode ${opcode}`,
      );
    }
    this.#frameBits = b0;
  }

  #readSecondByte(b1: number): void {
    const masked = (b1 & 0x80) !== 0;
    // RFC 6455 §5.1: "The server MUST close the connection upon receiving a
    // frame that is not masked. [...] A client MUST close a connection if it
    // detects a masked frame." Both with status code 1002 (§7.4.1).
    if (masked !== ((this.#rules & EXPECT_MASKED) !== 0)) {
      throw new ProtocolError(
        "protocol",
        masked ? "Masked frame from server" : "Unmasked frame from client",
      );
    }
    if ((this.#frameBits & CONTROL_BIT) !== 0 && (b1 & 0x7f) > 125) {
      throw new ProtocolError(
        "protocol",
        "Control frame payload over 125 bytes",
      );
    }
    if (masked) this.#frameBits |= MASKED_BIT;
  }

  /** Reads the length and the mask of a header whose first two bytes were checked. */
  #readHeader(buf: Uint8Array, start: number): void {
    const length7 = buf[start + 1] & 0x7f;
    let p = start + 2;
    let length: number;
    if (length7 < 126) {
      length = length7;
    } else if (length7 === 126) {
      length = (buf[p] << 8) | buf[p + 1];
      p += 2;
    } else {
      const high = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) |
        buf[p + 3]) >>> 0;
      // RFC 6455 §5.2: "the following 8 bytes interpreted as a 64-bit
      // unsigned integer (the most significant bit MUST be 0)".
      if (high >= 0x80000000) {
        throw new ProtocolError(
          "protocol",
          "Invalid payload length: most significant bit set",
        );
      }
      const low = ((buf[p + 4] << 24) | (buf[p + 5] << 16) |
        (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
      length = high * 0x100000000 + low;
      p += 8;
    }
    const bits = this.#frameBits;
    if ((bits & CONTROL_BIT) === 0 && length > this.#maxFrameSize) {
      throw new ProtocolError(
        "too-big",
        `Frame too big: ${length} bytes, limit ${this.#maxFrameSize}`,
      );
    }
    if ((bits & MASKED_BIT) !== 0) {
      this.#mask = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) |
        buf[p + 3]) >>> 0;
    }
    this.#payloadLength = length;
    this.#received = 0;
  }

  #startFrame(): void {
    const length = this.#payloadLength;
    const bits = this.#frameBits;
    const opcode = bits & 0xf;
    const rsv = (bits >>> 4) & 0x7;
    if ((bits & CONTROL_BIT) !== 0) {
      if (length === 0) {
        this.#handler.onControlFrame(opcode, EMPTY, rsv);
      } else {
        this.#state = PAYLOAD;
      }
      return;
    }
    if (length !== 0) this.#state = PAYLOAD;
    this.#handler.onDataFrameStart(opcode, (bits & 0x80) !== 0, rsv, length);
    if (length === 0) this.#handler.onDataFrameEnd();
  }

  /** Consumes payload bytes from `bytes[pos]`; returns the new position. */
  #readPayload(bytes: Uint8Array, pos: number): number {
    const length = this.#payloadLength;
    const received = this.#received;
    const available = bytes.length - pos;
    const needed = length - received;
    const take = needed < available ? needed : available;
    const end = pos + take;
    const bits = this.#frameBits;
    // RFC 6455 §5.3: the payload is unmasked with the key octet at index
    // (position in the payload) modulo 4.
    if ((bits & MASKED_BIT) !== 0) {
      const key = this.#mask;
      maskBytes[0] = key >>> 24;
      maskBytes[1] = key >>> 16;
      maskBytes[2] = key >>> 8;
      maskBytes[3] = key;
      maskRange(bytes, pos, end, maskBytes, received);
    }
    const done = take === needed;
    this.#received = received + take;
    if (done) this.#state = HEADER;
    if ((bits & CONTROL_BIT) !== 0) {
      const opcode = bits & 0xf;
      const rsv = (bits >>> 4) & 0x7;
      if (received === 0 && done) {
        this.#handler.onControlFrame(opcode, bytes.subarray(pos, end), rsv);
      } else {
        (this.#controlBuffer ??= new Uint8Array(125)).set(
          bytes.subarray(pos, end),
          received,
        );
        if (done) {
          this.#handler.onControlFrame(
            opcode,
            this.#controlBuffer!.subarray(0, length),
            rsv,
          );
        }
      }
    } else {
      this.#handler.onDataFramePayload(bytes, pos, end);
      if (done) this.#handler.onDataFrameEnd();
    }
    return end;
  }
}

/** Header size implied by the second byte: 2, 4 or 10, plus 4 if masked. */
function sizeFromSecondByte(b1: number): number {
  const length7 = b1 & 0x7f;
  const base = length7 < 126 ? 2 : length7 === 126 ? 4 : 10;
  return (b1 & 0x80) !== 0 ? base + 4 : base;
}
