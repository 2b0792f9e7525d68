// Long file: RFC 6455's state machine for one connection; over a third of it is the RFC's text quoted beside the code.
/**
 * The sans-I/O WebSocket protocol state machine (RFC 6455 §5-§7): bytes in,
 * events and bytes out. Synchronous, no I/O, no timers; the driver moves the
 * bytes and owns the clock.
 *
 * @module
 */

import { encodeClosePayload, parseClosePayload } from "./close_payload.ts";
import { CloseCode } from "./close_code.ts";
import {
  asProtocolError,
  closeCodeFor,
  ProtocolError,
  UsageError,
} from "./errors.ts";
import type { Frame } from "./frame.ts";
import { FrameDecoder, type FrameHandler } from "./frame_decoder.ts";
import { FrameBuffers } from "./frame_buffers.ts";
import { FrameWriter } from "./frame_writer.ts";
import type { PerMessageDeflate } from "./deflate/per_message_deflate.ts";
import { MessageAssembler } from "./message_assembler.ts";
import { isControl, Opcode } from "./opcode.ts";
import {
  type CloseInfo,
  type ProtocolEvent,
  ReadyState,
} from "./protocol_events.ts";
import { checkControl, checkSendable } from "./send_rules.ts";

/**
 * Options of a {@link Protocol}.
 *
 * @example
 * ```ts
 * import type { ProtocolOptions } from "@anyws/anyws/protocol";
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
   * Write buffers shared with other connections of the same role (a slab
   * for small frames, masking keys for a client). Default: buffers of this
   * connection's own, allocated on first use.
   */
  buffers?: FrameBuffers;
  /**
   * RSV bits negotiated by an extension other than permessage-deflate
   * (RSV1 << 2 | RSV2 << 1 | RSV3). Default 0: any RSV bit fails with 1002.
   * The bits are only let through (and allowed in `sendFrame`).
   */
  allowedRsv?: number;
  /**
   * The permessage-deflate state, when the handshake agreed to it (RFC
   * 7692): messages whose first frame has RSV1 set are inflated (within
   * `maxMessageSize`), and `sendText`/`sendBinary` compress messages the
   * agreement's threshold allows.
   */
  deflate?: PerMessageDeflate;
}

const EMPTY = new Uint8Array(0);
/** RSV1 in the RSV bits (RSV1 << 2 | RSV2 << 1 | RSV3). */
const RSV1 = 4;
const encoder = new TextEncoder();

// Protocol's yes/no state, kept in one number (a field costs every idle
// connection 8 bytes or more).
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
/** Inside receive(): the caller gave up the bytes (binary messages may be views of them). */
const KEEPING = 1 << 11;

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
export class Protocol extends FrameWriter implements FrameHandler {
  /** The protocol's yes/no state (the flag constants above), one field. */
  #flags = 0;
  #maxMessageSize: number;
  // Created on the first data frame: a connection that never sends a
  // message holds none.
  #assembler: MessageAssembler | undefined;
  #deflate: PerMessageDeflate | undefined;
  // What the closing handshake or a failure left: created when one starts.
  #ending: Ending | undefined;
  #decoder: FrameDecoder;

  #state: ReadyState = ReadyState.Open;
  // Created on first use: an idle connection holds no arrays. Events are
  // taken from #eventHead on; the array is dropped once all are taken.
  #events: ProtocolEvent[] | undefined;
  #eventHead = 0;

  /**
   * A connection in the Open state (the HTTP handshake happens elsewhere).
   *
   * @param options Role, size limits, negotiated RSV bits.
   */
  constructor(options?: ProtocolOptions) {
    super(buffersFor(options));
    const role = options?.role ?? "server";
    const maxMessageSize = options?.maxMessageSize ?? 16 * 1024 * 1024;
    const maxFrameSize = options?.maxFrameSize ?? maxMessageSize;
    checkLimit("maxMessageSize", maxMessageSize);
    checkLimit("maxFrameSize", maxFrameSize);
    let allowedRsv = options?.allowedRsv ?? 0;
    if (!Number.isInteger(allowedRsv) || allowedRsv < 0 || allowedRsv > 7) {
      throw new UsageError(`Invalid allowedRsv: ${allowedRsv}`);
    }
    const deflate = options?.deflate;
    if (deflate !== undefined) {
      // RFC 7692 §6: permessage-deflate uses RSV1 ("Per-Message Compressed").
      allowedRsv |= RSV1;
      this.#deflate = deflate;
    }
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
    rsv: number,
    length: number,
  ): void {
    const assembler = this.#assembler ??= new MessageAssembler({
      maxMessageSize: this.#maxMessageSize,
    });
    if (this.#deflate?.frameStart(opcode, fin, rsv, assembler.inProgress)) {
      return;
    }
    assembler.frameStart(opcode, fin, length);
  }

  /** For the decoder: payload bytes of the current data frame. Not for applications. */
  onDataFramePayload(source: Uint8Array, start: number, end: number): void {
    if (this.#deflate?.inflating) {
      this.#deflate.framePayload(source, start, end);
      return;
    }
    this.#assembler!.framePayload(source, start, end, this.#has(KEEPING));
  }

  /** For the decoder: the current data frame ended. Not for applications. */
  onDataFrameEnd(): void {
    const message = this.#deflate?.inflating
      ? this.#deflate.frameEnd(this.#assembler!, this.#maxMessageSize)
      : this.#assembler!.frameEnd();
    if (message === undefined) return;
    this.#event(
      typeof message === "string"
        ? { type: "text", data: message }
        : { type: "binary", data: message },
    );
  }

  /** For the decoder: a whole control frame. Not for applications. */
  onControlFrame(opcode: number, payload: Uint8Array, rsv: number): void {
    // RFC 7692 §6: control frames are never compressed; an extension's RSV
    // bit on one is a violation.
    if (rsv !== 0) {
      throw new ProtocolError(
        "protocol",
        `RSV bits set on a control frame: ${rsv}`,
      );
    }
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

  /** Whether the application is midway through a fragmented message. */
  get sendingFragments(): boolean {
    return this.#has(SENDING_FRAGMENTS);
  }

  /** The permessage-deflate state, when the handshake agreed to it. */
  get deflate(): PerMessageDeflate | undefined {
    return this.#deflate;
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
   * and is not kept after the call, unless `giveUp` is `true`: the caller
   * then never touches `bytes` (nor its buffer) again, and a binary
   * message that fills at least a quarter of that buffer is handed out as
   * a view of it, unmasked where it lies, instead of a copy. Never throws
   * for anything the peer sends. Bytes after the peer's close frame, after
   * a violation or after the connection closed are ignored.
   */
  receive(bytes: Uint8Array, giveUp = false): void {
    if (this.#has(CLOSE_RECEIVED | FAILED | ABORTED | EOF)) return;
    if (giveUp) this.#flags |= KEEPING;
    try {
      this.#decoder.push(bytes);
    } catch (error) {
      this.#violation(error);
    } finally {
      this.#flags &= ~KEEPING;
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
          this.queueControl(0x8a, event.data);
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
  override takeOutgoing(): Uint8Array[] {
    const chunks = super.takeOutgoing();
    // Nothing is queued after a close frame: it left with these chunks.
    if (this.#has(CLOSE_QUEUED)) this.#flags |= CLOSE_SENT;
    return chunks;
  }

  /**
   * Queues a text message (one final frame), compressed when
   * permessage-deflate was agreed, `compress` is not `false` and the
   * message reaches the threshold. Returns `false` if the connection is not
   * open. Throws a `UsageError` while a fragmented message sent with
   * `sendFrame` is unfinished.
   */
  sendText(text: string, compress = true): boolean {
    if (!this.#canSendMessage()) return false;
    const deflate = this.#deflate;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: a text under a third of
    // the threshold cannot reach it, and keeps the fast path; encode first
    // only when it may compress.
    if (
      deflate !== undefined && compress &&
      deflate.shouldCompress(text.length * 3)
    ) {
      const bytes = encoder.encode(text);
      if (deflate.shouldCompress(bytes.length)) {
        // RFC 7692 §6: RSV1 marks the message compressed.
        this.queueOwned(0xc1, deflate.compress(bytes, true));
        return true;
      }
      this.queueOwned(0x81, bytes);
      return true;
    }
    this.queueText(0x81, text);
    return true;
  }

  /**
   * Queues a binary message (one final frame), compressed when
   * permessage-deflate was agreed, `compress` is not `false` and the
   * message reaches the threshold. `data` over 1 KiB is not copied in the
   * server role when it is not compressed. Returns `false` if the
   * connection is not open. Throws a `UsageError` while a fragmented
   * message sent with `sendFrame` is unfinished.
   */
  sendBinary(data: Uint8Array, compress = true): boolean {
    if (!this.#canSendMessage()) return false;
    const deflate = this.#deflate;
    if (
      deflate !== undefined && compress && deflate.shouldCompress(data.length)
    ) {
      this.queueOwned(0xc2, deflate.compress(data, true));
      return true;
    }
    this.queueShared(0x82, data);
    return true;
  }

  /**
   * Queues a whole message given as its payload bytes (UTF-8 for text: the
   * caller vouches for it), compressed like {@link sendText} and
   * {@link sendBinary}. The payload is not copied when it is not
   * compressed.
   */
  sendPayload(text: boolean, payload: Uint8Array, compress = true): boolean {
    if (!this.#canSendMessage()) return false;
    const deflate = this.#deflate;
    if (
      deflate !== undefined && compress &&
      deflate.shouldCompress(payload.length)
    ) {
      this.queueOwned(text ? 0xc1 : 0xc2, deflate.compress(payload, true));
      return true;
    }
    this.queueShared(text ? 0x81 : 0x82, payload);
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
    checkSendable(frame, (this.#flags >>> RSV_SHIFT) & 7);
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
    else if (isControl(opcode)) this.queueControl(b0, payload);
    else this.queueShared(b0, payload);
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
    this.queueEncoded(bytes);
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
    this.queueControl(0x89, payload);
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
    this.queueControl(0x8a, payload);
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
    this.dropOutgoing();
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
    this.queueControl(0x88, payload);
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
}

/** The write buffers for a new Protocol: the shared ones given, or its own. */
function buffersFor(options: ProtocolOptions | undefined): FrameBuffers {
  const role = options?.role ?? "server";
  if (role !== "server" && role !== "client") {
    throw new UsageError(`Invalid role: ${role}`);
  }
  const buffers = options?.buffers;
  if (buffers === undefined) return new FrameBuffers(role);
  if ((buffers.masks !== undefined) !== (role === "client")) {
    throw new UsageError(`The buffers given are not for the ${role} role`);
  }
  return buffers;
}

function checkLimit(name: string, value: number): void {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new UsageError(`Invalid ${name}: ${value}`);
  }
}
