/**
 * The sans-I/O WebSocket protocol state machine (RFC 6455 §5-§7): bytes in,
 * events and bytes out. Synchronous, no I/O, no timers; the driver moves the
 * bytes and owns the clock.
 *
 * @module
 */

import { encodeClosePayload, parseClosePayload } from "./close_payload.ts";
import { CloseCode, isValidCloseCode } from "./close_code.ts";
import {
  asProtocolError,
  closeCodeFor,
  type ProtocolError,
  UsageError,
} from "./errors.ts";
import type { Frame } from "./frame.ts";
import { FrameDecoder, type FrameHandler } from "./frame_decoder.ts";
import { headerSize, MAX_HEADER_SIZE, writeHeader } from "./_frame_header.ts";
import { maskRange } from "./_mask_range.ts";
import { MessageAssembler } from "./message_assembler.ts";
import { isControl, isKnownOpcode, Opcode } from "./opcode.ts";
import { randomMask } from "./_random.ts";
import { claim, reserve, reservedOffset, SLAB_LIMIT } from "./_slab.ts";
import { isValidUtf8 } from "./utf8.ts";

/**
 * Connection states, with the values of the browser `WebSocket.readyState`.
 *
 * @example
 * ```ts
 * import { Protocol, ReadyState } from "@anyws/anyws";
 * console.log(new Protocol().readyState === ReadyState.Open); // true
 * ```
 */
export const ReadyState = {
  /** The opening handshake is under way (never reported by `Protocol`). */
  Connecting: 0,
  /** Messages flow both ways. */
  Open: 1,
  /** A close frame was sent or received, or the connection failed. */
  Closing: 2,
  /** The transport is closed. */
  Closed: 3,
} as const;

/**
 * One of the {@link ReadyState} values.
 *
 * @example
 * ```ts
 * import { ReadyState } from "@anyws/anyws";
 * const state: ReadyState = ReadyState.Closing;
 * ```
 */
export type ReadyState = typeof ReadyState[keyof typeof ReadyState];

/**
 * Options of a {@link Protocol}.
 *
 * @example
 * ```ts
 * import type { ProtocolOptions } from "@anyws/anyws";
 * const options: ProtocolOptions = { role: "server", maxMessageSize: 1024 * 1024 };
 * ```
 */
export interface ProtocolOptions {
  /**
   * `"server"` (default): incoming frames must be masked (1002 otherwise),
   * outgoing frames are not. `"client"`: incoming frames must not be masked,
   * outgoing frames are masked with random keys from
   * `crypto.getRandomValues`.
   */
  role?: "server" | "client";
  /** Largest incoming message across its fragments, in bytes; over it: 1009. Default 16 MiB. */
  maxMessageSize?: number;
  /**
   * Largest incoming data frame, in bytes; a header announcing more fails
   * with 1009 before its payload arrives. Default `maxMessageSize`.
   */
  maxFrameSize?: number;
  /**
   * RSV bits negotiated by an extension (RSV1 << 2 | RSV2 << 1 | RSV3).
   * Default 0: any RSV bit fails with 1002. The bits are only let through
   * (and allowed in `sendFrame`); no extension is implemented here.
   */
  allowedRsv?: number;
}

/**
 * What {@link Protocol.nextEvent} reports. The protocol's answer to an event
 * is queued when the event is taken, so that whatever the application sends
 * in answer to the events before it goes out first.
 *
 * - `text`, `binary`: a complete message; `data` is owned by the receiver.
 * - `ping`: a ping arrived; taking it queues the pong with the same payload
 *   (RFC 6455 §5.5.2, §5.5.3) unless a close was already sent.
 * - `pong`: a pong arrived.
 * - `close`: the peer's close frame arrived (`code` 1005 when its body was
 *   empty). Taking it moves to `Closing` and, if no close was sent, queues
 *   the reply: the same code, or an empty body when the peer sent none.
 *   Nothing more is read.
 * - `error`: the peer violated the protocol. Taking it is RFC 6455 §7.1.7
 *   "Fail the WebSocket Connection": it moves to `Closing` and queues a close
 *   frame with `error.code` (unless one was already sent). Nothing more is
 *   read.
 *
 * @example
 * ```ts
 * import type { ProtocolEvent } from "@anyws/anyws";
 * function describe(event: ProtocolEvent): string {
 *   switch (event.type) {
 *     case "text": return `text ${event.data}`;
 *     case "binary": return `binary ${event.data.length} bytes`;
 *     case "ping": case "pong": return event.type;
 *     case "close": return `close ${event.code} ${event.reason}`;
 *     case "error": return `error ${event.error.code}`;
 *   }
 * }
 * ```
 */
export type ProtocolEvent =
  | { type: "text"; data: string }
  | { type: "binary"; data: Uint8Array }
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  | { type: "close"; code: number; reason: string }
  | { type: "error"; error: ProtocolError };

const NO_CHUNKS: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Texts up to this many UTF-16 units are first tried as ASCII, in a JS loop. */
const ASCII_LOOP_MAX = 256;
/** Texts up to this many UTF-16 units are encoded straight into one frame buffer. */
const SMALL_TEXT = 4096;
/** Shared payloads up to this many bytes are copied next to their frame header. */
const SHARED_COPY_MAX = 1024;

// Protocol's yes/no state, kept in one number (a field costs every idle
// connection 8 bytes or more).
/** The client role: frames sent are masked, frames received must not be. */
const CLIENT = 1;
/** Our close frame is queued: nothing may be queued after it. */
const CLOSE_QUEUED = 2;
/** Our close frame was handed out by takeOutgoing(). */
const CLOSE_SENT = 4;
/** The peer's close frame arrived. */
const CLOSE_RECEIVED = 8;
/** The application is sending a fragmented message (FIN not yet sent). */
const SENDING_FRAGMENTS = 16;
/** The peer violated the protocol (`ending.failed` holds how once its event is taken). */
const FAILED = 32;
/** The connection was dropped from our side (`ending.failed` may hold why). */
const ABORTED = 64;
/** The peer's end of the stream (FIN) arrived. */
const EOF = 128;
/** Where the negotiated RSV bits are kept in the same field: bits 8 to 10. */
const RSV_SHIFT = 8;

/** What the closing handshake or a failure leaves on a Protocol. */
interface Ending {
  /** The peer's close code (1005 if its close frame had none). */
  code?: number;
  /** The peer's close reason. */
  reason?: string;
  /** The violation, or the local failure, that ended the connection. */
  failed?: ProtocolError;
}

/**
 * How a connection ended, as its `close` event reports it (RFC 6455 §7.1.5,
 * §7.1.6).
 *
 * - `code`: the code of the peer's close frame (1005 when it had none); or,
 *   when this side failed the connection (a protocol violation, a slow
 *   consumer, a keepalive timeout), the code of that failure; otherwise
 *   1006 (the connection dropped without a close frame).
 * - `wasClean`: both close frames were exchanged (ours written out, the
 *   peer's received) before the connection closed.
 *
 * @example
 * ```ts
 * import type { CloseInfo } from "@anyws/anyws";
 * const info: CloseInfo = { code: 1006, reason: "", wasClean: false };
 * ```
 */
export interface CloseInfo {
  /** Close code (RFC 6455 §7.4). */
  readonly code: number;
  /** Close reason (UTF-8 text, up to 123 bytes). */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
}

/**
 * One WebSocket connection's protocol state, after the opening handshake.
 * Feed it received bytes with {@link Protocol.receive}; take what happened,
 * one event at a time, with {@link Protocol.nextEvent}, and what to write
 * with {@link Protocol.takeOutgoing}. It never throws for anything the peer
 * sends: violations become an `error` event and a close frame. API misuse
 * throws a `UsageError`.
 *
 * The protocol is the one owner of the connection's state: the closing
 * handshake, the close frame sent (handed out by `takeOutgoing()`, not
 * merely queued), and how the connection ended ({@link Protocol.closeInfo}).
 * Whatever path closes the connection (the application's `sendClose` or
 * close frame, the peer's close frame, a violation, an abort), the state
 * moves to `Closing` or `Closed` in one place.
 *
 * Every `send*` method returns `true` when the frame was queued and `false`
 * when it was dropped because the connection is no longer open (a close was
 * queued or taken, the connection failed or was aborted). Sent payloads over
 * 1 KiB are not copied in the server role: do not modify them until they
 * were taken with `takeOutgoing()` and written.
 *
 * @example
 * ```ts
 * import { Protocol } from "@anyws/anyws/protocol";
 * const protocol = new Protocol();
 * // RFC 6455 §5.7: a masked text frame "Hello" from a client.
 * protocol.receive(new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]));
 * for (let event = protocol.nextEvent(); event; event = protocol.nextEvent()) {
 *   if (event.type === "text") protocol.sendText(event.data.toUpperCase());
 * }
 * console.log(protocol.takeOutgoing()); // [ Uint8Array(7) [ 129, 5, 72, 69, 76, 76, 79 ] ]
 * ```
 */
export class Protocol implements FrameHandler {
  /** The protocol's yes/no state (the flag constants above), one field. */
  #flags = 0;
  #maxMessageSize: number;
  // Created on the first data frame: a connection that never sends a
  // message holds none.
  #assembler: MessageAssembler | undefined;
  // What the closing handshake or a failure left: created when one starts.
  #ending: Ending | undefined;
  #decoder: FrameDecoder;

  #state: ReadyState = ReadyState.Open;
  // Created on first use: an idle connection holds no arrays. Events are
  // taken from #eventHead on; the array is dropped once all are taken.
  #events: ProtocolEvent[] | undefined;
  #eventHead = 0;
  #outgoing: Uint8Array[] | undefined;
  // The slab region queued last, not yet a view in #outgoing: frames written
  // one after another extend it, and it becomes one view when taken.
  #run: Uint8Array | undefined;
  #runStart = 0;
  #runEnd = 0;
  #outgoingBytes = 0;

  /**
   * A connection in the Open state (the HTTP handshake happens elsewhere).
   *
   * @param options Role, size limits, negotiated RSV bits.
   */
  constructor(options?: ProtocolOptions) {
    const role = options?.role ?? "server";
    if (role !== "server" && role !== "client") {
      throw new UsageError(`Invalid role: ${role}`);
    }
    const maxMessageSize = options?.maxMessageSize ?? 16 * 1024 * 1024;
    const maxFrameSize = options?.maxFrameSize ?? maxMessageSize;
    checkLimit("maxMessageSize", maxMessageSize);
    checkLimit("maxFrameSize", maxFrameSize);
    const allowedRsv = options?.allowedRsv ?? 0;
    if (!Number.isInteger(allowedRsv) || allowedRsv < 0 || allowedRsv > 7) {
      throw new UsageError(`Invalid allowedRsv: ${allowedRsv}`);
    }
    if (role === "client") this.#flags |= CLIENT;
    this.#flags |= allowedRsv << RSV_SHIFT;
    this.#maxMessageSize = maxMessageSize;
    this.#decoder = new FrameDecoder(this, { role, maxFrameSize, allowedRsv });
  }

  /** Whether any of `flags` is set. */
  #has(flags: number): boolean {
    return (this.#flags & flags) !== 0;
  }

  // ── FrameHandler: what this protocol's decoder reports ───────────────
  // The protocol is its decoder's handler (no object in between): data
  // frames go to the message assembler; control frames are handled here.

  /** For the decoder: a data frame starts. Not for applications. */
  onDataFrameStart(
    opcode: number,
    fin: boolean,
    _rsv: number,
    length: number,
  ): void {
    (this.#assembler ??= new MessageAssembler({
      maxMessageSize: this.#maxMessageSize,
    })).frameStart(opcode, fin, length);
  }

  /** For the decoder: payload bytes of the current data frame. Not for applications. */
  onDataFramePayload(source: Uint8Array, start: number, end: number): void {
    this.#assembler!.framePayload(source, start, end);
  }

  /** For the decoder: the current data frame ended. Not for applications. */
  onDataFrameEnd(): void {
    const message = this.#assembler!.frameEnd();
    if (message === undefined) return;
    this.#event(
      typeof message === "string"
        ? { type: "text", data: message }
        : { type: "binary", data: message },
    );
  }

  /** For the decoder: a whole control frame. Not for applications. */
  onControlFrame(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.Ping) {
      this.#event({ type: "ping", data: payload.slice() });
    } else if (opcode === Opcode.Pong) {
      this.#event({ type: "pong", data: payload.slice() });
    } else {
      const { code, reason } = parseClosePayload(payload);
      this.#flags |= CLOSE_RECEIVED;
      // RFC 6455 §1.4: "After sending a control frame indicating the
      // connection should be closed, a peer does not send any further data".
      this.#decoder.stop();
      this.#event({ type: "close", code, reason });
    }
  }

  /** The connection state. Starts `Open`: the HTTP handshake happened elsewhere. */
  get readyState(): ReadyState {
    return this.#state;
  }

  /** Whether our close frame was sent, that is, handed out by {@link takeOutgoing}. */
  get closeSent(): boolean {
    return this.#has(CLOSE_SENT);
  }

  /** Whether the peer's close frame arrived. */
  get closeReceived(): boolean {
    return this.#has(CLOSE_RECEIVED);
  }

  /**
   * Whether the transport should now be flushed and half-closed: our close
   * frame is sent and the closing handshake is complete or the connection
   * failed, or the peer ended its stream. RFC 6455 §7.1.1: "The underlying
   * TCP connection, in most normal cases, SHOULD be closed first by the
   * server" (a client would rather wait a moment for the server to do so).
   */
  get shouldCloseTransport(): boolean {
    if (this.#has(EOF)) return true;
    return this.#has(CLOSE_SENT) && this.#has(CLOSE_RECEIVED | FAILED);
  }

  /** Total length of the queued outgoing chunks, in bytes. */
  get outgoingBytes(): number {
    return this.#outgoingBytes;
  }

  /**
   * How the connection ended, once the transport is closed (RFC 6455
   * §7.1.5): the peer's close code, else the code of our failure, else
   * 1006. `flushed` says whether every byte taken with `takeOutgoing()`
   * reached the network; the close was clean if our close frame did and
   * the peer's arrived. A close frame or a violation counts once its event
   * was taken: after an `abort()` with events still untaken (the rest of a
   * read the application terminated), they never happened.
   */
  closeInfo(flushed: boolean): CloseInfo {
    const ending = this.#ending;
    if (ending?.code !== undefined) {
      return {
        code: ending.code,
        reason: ending.reason!,
        wasClean: flushed && this.#has(CLOSE_SENT),
      };
    }
    const failure = ending?.failed;
    if (failure !== undefined) {
      return {
        code: closeCodeFor(failure),
        reason: failure.message,
        wasClean: false,
      };
    }
    return { code: CloseCode.Abnormal, reason: "", wasClean: false };
  }

  /**
   * Processes received bytes. `bytes` may be modified in place (unmasking)
   * and is not kept after the call. Never throws for anything the peer
   * sends. Bytes after the peer's close frame, after a violation or after
   * the connection closed are ignored.
   */
  receive(bytes: Uint8Array): void {
    if (this.#has(CLOSE_RECEIVED | FAILED | ABORTED | EOF)) return;
    try {
      this.#decoder.push(bytes);
    } catch (error) {
      this.#violation(error);
    }
  }

  /**
   * The peer's end of the stream (TCP FIN): nothing more will be read. The
   * connection is `Closed` unless the closing handshake is under way (the
   * peer may still read our close frame).
   */
  receiveEof(): void {
    if (this.#has(EOF | ABORTED)) return;
    this.#flags |= EOF;
    this.#decoder.stop();
    if (!this.#has(CLOSE_RECEIVED | FAILED | CLOSE_QUEUED)) {
      this.#state = ReadyState.Closed;
    }
  }

  /**
   * Takes the next event, in the order the bytes arrived, and queues the
   * protocol's answer to it (see {@link ProtocolEvent}); `undefined` when
   * there is none. Take every event: the answers to a ping, a close or a
   * violation are only queued when it is taken.
   */
  nextEvent(): ProtocolEvent | undefined {
    const events = this.#events;
    if (events === undefined) return undefined;
    const event = events[this.#eventHead++];
    if (this.#eventHead === events.length) {
      this.#events = undefined;
      this.#eventHead = 0;
    }
    switch (event.type) {
      case "ping":
        // RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST
        // send a Pong frame in response, unless it already received a Close
        // frame." §5.5.3: "A Pong frame sent in response to a Ping frame must
        // have identical "Application data" as found in the message body of
        // the Ping frame being replied to." No frame may follow our close.
        if (this.#state === ReadyState.Open) {
          this.#queueControl(0x8a, event.data);
        }
        break;
      case "close": {
        // RFC 6455 §7.1.5: the close code is "the status code [...]
        // contained in the first Close control frame received by the
        // application": recorded when the event is taken.
        const ending = this.#ending ??= {};
        ending.code = event.code;
        ending.reason = event.reason;
        // RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did not
        // previously send a Close frame, the endpoint MUST send a Close frame
        // in response. [...] When sending a Close frame in response, the
        // endpoint typically echos the status code it received." No code
        // received (1005): echo an empty body. "It SHOULD do so as soon as
        // practical. An endpoint MAY delay sending a Close frame until its
        // current message is sent": the answers to the messages before it.
        this.#queueClose(
          event.code === CloseCode.NoStatus
            ? EMPTY
            : encodeClosePayload(event.code),
        );
        break;
      }
      case "error":
        // This side fails the connection when the violation is taken.
        (this.#ending ??= {}).failed = event.error;
        // RFC 6455 §7.1.7: "the endpoint SHOULD send a Close frame with an
        // appropriate status code (Section 7.4) before proceeding to _Close
        // the WebSocket Connection_." The reason names the violation; an
        // internal error's message is not shown to the peer.
        this.#queueClose(
          encodeClosePayload(
            closeCodeFor(event.error),
            event.error.kind === "internal" ? undefined : event.error.message,
          ),
        );
        break;
    }
    return event;
  }

  /**
   * The chunks to write, in order; clears the queue. A chunk holds a frame
   * header, a payload, or a whole frame. Once the close frame was taken,
   * {@link closeSent} is `true`.
   */
  takeOutgoing(): Uint8Array[] {
    this.#endRun();
    const chunks = this.#outgoing;
    if (chunks === undefined) return NO_CHUNKS;
    this.#outgoing = undefined;
    this.#outgoingBytes = 0;
    // Nothing is queued after a close frame: it left with these chunks.
    if (this.#has(CLOSE_QUEUED)) this.#flags |= CLOSE_SENT;
    return chunks;
  }

  /**
   * Queues a text message (one final frame). Returns `false` if the
   * connection is not open. Throws a `UsageError` while a fragmented
   * message sent with `sendFrame` is unfinished.
   */
  sendText(text: string): boolean {
    if (!this.#canSendMessage()) return false;
    this.#queueText(0x81, text);
    return true;
  }

  /**
   * Queues a binary message (one final frame). `data` over 1 KiB is not
   * copied in the server role. Returns `false` if the connection is not
   * open. Throws a `UsageError` while a fragmented message sent with
   * `sendFrame` is unfinished.
   */
  sendBinary(data: Uint8Array): boolean {
    if (!this.#canSendMessage()) return false;
    this.#queueShared(0x82, data);
    return true;
  }

  /**
   * Queues any frame, including fragments (FIN unset, then continuation
   * frames) and close frames. Throws a `UsageError` for a frame that may not
   * be sent (see {@link checkSendable}) or fragments out of order. Returns
   * `false` if the connection is not open. A data frame's payload over
   * 1 KiB is not copied in the server role.
   */
  sendFrame(frame: Frame): boolean {
    const { opcode, fin, rsv, payload } = frame;
    checkSendable(frame, this.#flags >>> RSV_SHIFT);
    if (this.#state !== ReadyState.Open) return false;
    if (opcode === Opcode.Continuation) {
      if (!this.#has(SENDING_FRAGMENTS)) {
        throw new UsageError("Continuation frame without a fragmented message");
      }
      if (fin) this.#flags &= ~SENDING_FRAGMENTS;
    } else if (opcode === Opcode.Text || opcode === Opcode.Binary) {
      if (this.#has(SENDING_FRAGMENTS)) {
        throw new UsageError(
          "Cannot start a message while a fragmented message is unfinished",
        );
      }
      if (!fin) this.#flags |= SENDING_FRAGMENTS;
    }
    const b0 = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
    if (opcode === Opcode.Close) this.#queueClose(payload);
    else if (isControl(opcode)) this.#queueControl(b0, payload);
    else this.#queueShared(b0, payload);
    return true;
  }

  /**
   * Queues a whole, already-encoded data message frame as is (a broadcast:
   * frame once, write everywhere); the caller vouches that it is a final
   * text or binary frame, masked in the client role. The bytes are not
   * copied. Returns `false` if the connection is not open; also `false`
   * while the application is midway through a fragmented message (a frame
   * in between would corrupt it).
   */
  sendEncoded(bytes: Uint8Array): boolean {
    if (this.#state !== ReadyState.Open) return false;
    if (this.#has(SENDING_FRAGMENTS)) return false;
    this.#push(bytes);
    return true;
  }

  /**
   * Queues a ping. Throws a `UsageError` if `data` exceeds 125 bytes.
   * Returns `false` if the connection is not open.
   */
  sendPing(data?: Uint8Array): boolean {
    const payload = data ?? EMPTY;
    checkControl(payload, true);
    if (this.#state !== ReadyState.Open) return false;
    this.#queueControl(0x89, payload);
    return true;
  }

  /**
   * Queues an unsolicited pong (a heartbeat; RFC 6455 §5.5.3). Throws a
   * `UsageError` if `data` exceeds 125 bytes. Returns `false` if the
   * connection is not open.
   */
  sendPong(data?: Uint8Array): boolean {
    const payload = data ?? EMPTY;
    checkControl(payload, true);
    if (this.#state !== ReadyState.Open) return false;
    this.#queueControl(0x8a, payload);
    return true;
  }

  /**
   * Starts the closing handshake: queues a close frame (no code: empty
   * body) and moves to `Closing`. Throws a `UsageError` for a code that may
   * not be sent (see `isValidCloseCode`) or a reason without a code; the
   * reason is cut to 123 UTF-8 bytes. Returns `false`, doing nothing, if a
   * close was already queued or the connection is closed.
   */
  sendClose(code?: number, reason?: string): boolean {
    const payload = encodeClosePayload(code, reason);
    if (this.#has(CLOSE_QUEUED) || this.#state === ReadyState.Closed) {
      return false;
    }
    this.#queueClose(payload);
    return true;
  }

  /**
   * Drops the connection from our side, now: the state becomes `Closed`,
   * nothing queued or received is delivered any more, and every send
   * returns `false`. `reason`, when given, is the failure the close info
   * reports (such as a keepalive timeout); without it, the connection
   * ends as the closing handshake left it.
   */
  abort(reason?: ProtocolError): void {
    if (this.#has(ABORTED)) return;
    this.#flags |= ABORTED;
    if (reason !== undefined) (this.#ending ??= {}).failed ??= reason;
    this.#state = ReadyState.Closed;
    this.#decoder.stop();
    this.#events = undefined;
    this.#eventHead = 0;
    this.#run = undefined;
    this.#outgoing = undefined;
    this.#outgoingBytes = 0;
  }

  #canSendMessage(): boolean {
    if (this.#state !== ReadyState.Open) return false;
    if (this.#has(SENDING_FRAGMENTS)) {
      throw new UsageError(
        "Cannot start a message while a fragmented message is unfinished",
      );
    }
    return true;
  }

  #event(event: ProtocolEvent): void {
    (this.#events ??= []).push(event);
  }

  /** Queues our close frame, once; the state becomes `Closing`. */
  #queueClose(payload: Uint8Array): void {
    if (this.#has(CLOSE_QUEUED) || this.#state === ReadyState.Closed) return;
    this.#queueControl(0x88, payload);
    this.#flags |= CLOSE_QUEUED;
    this.#state = ReadyState.Closing;
  }

  /** The peer broke the protocol: report it; the close goes out when the event is taken. */
  #violation(error: unknown): void {
    const failure = asProtocolError(error);
    this.#flags |= FAILED;
    this.#decoder.stop();
    this.#event({ type: "error", error: failure });
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
    claim(end);
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
    if (!this.#has(CLIENT)) {
      const start = payloadStart - headerSize(length, false);
      writeHeader(buffer, start, b0, length, undefined);
      return start;
    }
    const mask = randomMask();
    const start = payloadStart - headerSize(length, true);
    writeHeader(buffer, start, b0, length, mask);
    maskRange(buffer, payloadStart, payloadStart + length, mask, 0);
    return start;
  }

  /** A text frame as one chunk: the header and the UTF-8 payload together. */
  #queueText(b0: number, text: string): void {
    const units = text.length;
    if (units <= ASCII_LOOP_MAX) {
      // ASCII fast path: one byte per unit, so the length is known upfront
      // and the header goes first. Cheaper than a native encode call for
      // short texts; abandoned at the first non-ASCII unit.
      const headerLength = headerSize(units, this.#has(CLIENT));
      const buffer = reserve(headerLength + units);
      const at = reservedOffset() + headerLength;
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
      const buffer = reserve(MAX_HEADER_SIZE + units * 3);
      const payloadStart = reservedOffset() + MAX_HEADER_SIZE;
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
    this.#queueOwned(b0, encoder.encode(text));
  }

  /** Queues a frame header alone, from the slab. */
  #queueHeader(
    b0: number,
    length: number,
    mask: Uint8Array | undefined,
  ): void {
    const buffer = reserve(MAX_HEADER_SIZE);
    const start = reservedOffset();
    const size = writeHeader(buffer, start, b0, length, mask);
    this.#pushSlab(buffer, start, start + size);
  }

  /** A whole frame (masked copy of `payload` in the client role) as one chunk. */
  #queueCopy(b0: number, payload: Uint8Array): void {
    const length = payload.length;
    const headerLength = headerSize(length, this.#has(CLIENT));
    const room = headerLength + length;
    if (room > SLAB_LIMIT) {
      const buffer = new Uint8Array(room);
      buffer.set(payload, headerLength);
      this.#frameBefore(buffer, headerLength, b0, length);
      this.#push(buffer);
      return;
    }
    const buffer = reserve(room);
    const payloadStart = reservedOffset() + headerLength;
    buffer.set(payload, payloadStart);
    const start = this.#frameBefore(buffer, payloadStart, b0, length);
    this.#pushSlab(buffer, start, payloadStart + length);
  }

  /** A control frame: small, always one chunk (a copy of `payload`). */
  #queueControl(b0: number, payload: Uint8Array): void {
    this.#queueCopy(b0, payload);
  }

  /**
   * A data frame whose payload the caller owns: not copied in the server
   * role unless it is small.
   */
  #queueShared(b0: number, payload: Uint8Array): void {
    const length = payload.length;
    // A client must not mask the caller's bytes in place: one masked copy.
    // A small payload is copied next to its header: one chunk instead of
    // two, and a frame alone in its write needs no joining copy.
    if (this.#has(CLIENT) || length <= SHARED_COPY_MAX) {
      this.#queueCopy(b0, payload);
      return;
    }
    this.#queueHeader(b0, length, undefined);
    if (length !== 0) this.#push(payload);
  }

  /** A data frame whose payload we own (freshly encoded): masked in place for a client. */
  #queueOwned(b0: number, payload: Uint8Array): void {
    const length = payload.length;
    const mask = this.#has(CLIENT) ? randomMask() : undefined;
    this.#queueHeader(b0, length, mask);
    if (mask !== undefined) maskRange(payload, 0, length, mask, 0);
    if (length !== 0) this.#push(payload);
  }
}

function checkLimit(name: string, value: number): void {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new UsageError(`Invalid ${name}: ${value}`);
  }
}

/**
 * Throws a `UsageError` unless `frame` may be sent on a connection that
 * negotiated the RSV bits `allowedRsv`: a known opcode, no RSV bit that was
 * not negotiated, and for a control frame a payload of at most 125 bytes,
 * FIN set, and a valid close body (RFC 6455 §5.5, §7.4).
 *
 * @example
 * ```ts
 * import { checkSendable, Frame } from "@anyws/anyws/protocol";
 * checkSendable(Frame.text("fine"), 0); // no throw
 * try {
 *   checkSendable(new Frame(3, new Uint8Array()), 0);
 * } catch (error) {
 *   console.log((error as Error).message); // "Invalid opcode: 3"
 * }
 * ```
 */
export function checkSendable(frame: Frame, allowedRsv: number): void {
  const { opcode, fin, rsv, payload } = frame;
  if (!isKnownOpcode(opcode)) {
    throw new UsageError(`Invalid opcode: ${opcode}`);
  }
  if ((rsv & ~allowedRsv) !== 0) {
    throw new UsageError(`RSV bits not negotiated: ${rsv}`);
  }
  if (isControl(opcode)) {
    checkControl(payload, fin);
    if (opcode === Opcode.Close) checkCloseBody(payload);
  }
}

function checkControl(payload: Uint8Array, fin: boolean): void {
  // RFC 6455 §5.5: "All control frames MUST have a payload length of 125
  // bytes or less and MUST NOT be fragmented."
  if (!fin) throw new UsageError("Control frames cannot be fragmented");
  if (payload.length > 125) {
    throw new UsageError(
      `Control frame payload too long: ${payload.length} bytes`,
    );
  }
}

function checkCloseBody(payload: Uint8Array): void {
  if (payload.length === 0) return;
  if (payload.length === 1) {
    throw new UsageError("Invalid close frame: 1-byte body");
  }
  const code = (payload[0] << 8) | payload[1];
  if (!isValidCloseCode(code)) {
    throw new UsageError(`Invalid close code: ${code}`);
  }
  if (!isValidUtf8(payload.subarray(2))) {
    throw new UsageError("Invalid close reason: not UTF-8");
  }
}
