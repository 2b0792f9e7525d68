// Long file: the one owner of a connection's state: the read path, the write path, flow control and timers each change that state, and keeping them together is what makes it impossible to catch out.
/**
 * The connection driver, written once for every engine and both roles: it
 * runs an opening phase (the server's HTTP side, or the client's
 * handshake), feeds bytes to the sans-I/O {@link Protocol}, corks what it
 * sends into one write per turn, applies backpressure both ways, and owns
 * the timers. The protocol owns the connection's state: the driver asks it
 * (readyState, closeSent, shouldCloseTransport, closeInfo) instead of
 * keeping a copy. `ServerConnection` and `ClientConnection` extend it with
 * their opening handshake and their API.
 *
 * It is one class of ~650 lines on purpose: it is one object per
 * connection, and its read path, write path and timers share one flags
 * field (see docs/design.md, "Memory per connection").
 *
 * @module
 */

import { asProtocolError, ProtocolError } from "../protocol/errors.ts";
import { Frame } from "../protocol/frame.ts";
import {
  type HttpRequest,
  releaseParsedFields,
} from "../protocol/http_request.ts";
import { Protocol } from "../protocol/protocol.ts";
import type { PerMessageDeflate } from "../protocol/deflate/per_message_deflate.ts";
import { ReadyState } from "../protocol/protocol_events.ts";
import type {
  Message,
  SendOptions,
  WebSocketConnection,
} from "./connection.ts";
import type { SharedMessage } from "./shared_message.ts";
import type { DriverHost } from "./driver_host.ts";
import { randomUuid } from "./connection_id.ts";
import type { Transport, TransportHandler } from "./engine.ts";
import type { TimerHandle } from "../shared/clock.ts";
import type { Flushable } from "./flush_scheduler.ts";
import { joinBytes } from "./join_bytes.ts";

/**
 * Where a connection is. Opening: the opening phase (the server's HTTP
 * side, or the client's handshake); Open: a WebSocket; Done: answered with
 * plain HTTP, waiting for the peer to close; Closed: the transport is gone.
 */
const Phase = {
  Opening: 0,
  Open: 1,
  Done: 2,
  Closed: 3,
} as const;
type Phase = typeof Phase[keyof typeof Phase];

const encoder = new TextEncoder();

/**
 * Pieces of at least this many bytes on average are written unjoined where
 * the transport can (`Transport.writeChunks`): copying them costs more than
 * handing the kernel one more buffer; smaller ones are joined into one write.
 */
const UNJOINED_PIECE_SIZE = 1024;
/** The request of a connection whose head has not arrived yet. */
const NO_REQUEST: HttpRequest = Object.freeze({
  method: "",
  target: "",
  path: "",
  query: new URLSearchParams(),
  version: "",
  headers: new Headers(),
  rawHeaders: [],
});

// The driver's yes/no state, kept in one number (a field costs every idle
// connection 8 bytes or more).
/** Set by reads and drains, cleared by the heartbeat: the peer is alive. */
const SEEN = 1;
/** Inside onData: what is queued is flushed when it returns. */
const DELIVERING = 2;
/** A flush is due (scheduled for the end of the turn, or after onData). */
const FLUSH_SCHEDULED = 4;
/** The transport's write returned false: wait for onDrain. */
const BLOCKED = 8;
/** bufferedAmount went over drainThreshold: the host hears `drained`. */
const OVER_THRESHOLD = 16;
/** The transport was told to end (our FIN). */
const ENDING = 32;
/** Reading is paused by the application (`conn.pause()`). */
const PAUSED_BY_APP = 128;
/** Reading is paused because the peer does not take what it asked for. */
const PAUSED_BY_BACKPRESSURE = 256;
/** Where the phase is kept in the same field: bits 9 and 10. */
const PHASE_SHIFT = 9;
const PHASE_MASK = 3 << PHASE_SHIFT;
/**
 * We aborted the transport: its close is on the way (engines report it on a
 * later turn). Meanwhile nothing more is written, opened or answered.
 */
const DROPPED = 1 << 12;
const PAUSED = PAUSED_BY_APP | PAUSED_BY_BACKPRESSURE;

/**
 * What runs before a connection is a WebSocket: the server's HTTP side or
 * the client's handshake. It reports back through the driver's `opened`,
 * `answered` and `crashed`.
 *
 * @example
 * ```ts
 * import type { OpeningPhase } from "./connection_driver.ts";
 * const waiting: OpeningPhase = { onData: () => {}, onEnd: () => true };
 * ```
 */
export interface OpeningPhase {
  /** Bytes arrived before the connection opened. */
  onData(bytes: Uint8Array): void;
  /** The peer half-closed; returns whether the driver may end its side now. */
  onEnd(): boolean;
}

/** What the opening phase hands over when the connection opens. */
export interface OpenInit {
  /** The agreed subprotocol, or `""`. */
  protocol: string;
  /** Bytes to write before anything else (the server's 101 response). */
  response?: Uint8Array;
  /** Bytes that followed the handshake, to read first. */
  early?: Uint8Array[];
  /** The peer half-closed during the handshake. */
  peerEnded: boolean;
  /** The agreed permessage-deflate state, if any. */
  deflate?: PerMessageDeflate;
}

/**
 * Drives one transport from its first byte to the closed socket, and is the
 * {@link WebSocketConnection} the application sees.
 *
 * @example
 * ```ts
 * import { ConnectionDriver } from "./connection_driver.ts";
 * import type { DriverHost } from "./driver_host.ts";
 * import type { Transport } from "./engine.ts";
 * declare const host: DriverHost<unknown>;
 * declare const transport: Transport;
 * const driver = new ConnectionDriver(host, transport); // done by the Server
 * console.log(driver.readyState); // 0 (connecting)
 * ```
 */
export class ConnectionDriver<Data = Record<string, unknown>>
  implements Flushable, WebSocketConnection<Data>, TransportHandler {
  /** Unique, unguessable id; a resumed session gets its old one back. */
  id: string = randomUuid();
  readonly remoteAddress: string;
  request: HttpRequest = NO_REQUEST;
  protocol = "";
  #data: Data | undefined; // created on first use
  /** Heartbeat ticks in a row without a byte from the peer. */
  silentTicks = 0;
  /** The message rate limit of this connection, kept here for the host. */
  limiter: { take(): boolean } | undefined;

  #host: DriverHost<Data>;
  #transport: Transport;
  // The opening phase, until the connection is open or answered.
  #opening: OpeningPhase | undefined;
  #ws: Protocol | undefined;
  /** HTTP bytes (the 101, or a whole response) to write before anything else. */
  #http: Uint8Array | undefined;
  /** The driver's yes/no state and its phase (the constants above), one field. */
  #flags = SEEN | Phase.Opening << PHASE_SHIFT;
  #timer: TimerHandle;

  /**
   * Starts the handshake timer; the engine then reports the transport's
   * events to this driver. The subclass starts its opening phase
   * ({@link beginOpening}).
   */
  constructor(host: DriverHost<Data>, transport: Transport) {
    this.#host = host;
    this.#transport = transport;
    this.remoteAddress = transport.remoteAddress;
    const { options } = host;
    if (options.handshakeTimeout > 0) {
      this.#timer = host.clock.setTimeout(() => {
        this.handshakeTimedOut();
        this.#drop();
      }, options.handshakeTimeout);
    }
  }

  /**
   * The handshake timer fired: the connection is dropped right after. A
   * client records why; a server says nothing (a silent peer gets no
   * answer).
   */
  protected handshakeTimedOut(): void {}

  // Methods, not private accessors: a private getter on the frame decoder's
  // hot path cost V8 over a quarter of its small-frame speed.
  #phase(): Phase {
    return ((this.#flags & PHASE_MASK) >> PHASE_SHIFT) as Phase;
  }

  #setPhase(phase: Phase): void {
    this.#flags = (this.#flags & ~PHASE_MASK) | phase << PHASE_SHIFT;
  }

  /** The host this connection reports to. */
  protected get host(): DriverHost<Data> {
    return this.#host;
  }

  /** The transport, for the opening phase that writes before the connection opens. */
  protected get transport(): Transport {
    return this.#transport;
  }

  /** Sets the phase that runs until the connection opens. */
  protected beginOpening(opening: OpeningPhase): void {
    this.#opening = opening;
  }

  /** Whether the transport was dropped from our side (its close is on the way). */
  protected get dropped(): boolean {
    return (this.#flags & DROPPED) !== 0;
  }

  get data(): Data {
    return this.#data ??= {} as Data;
  }

  set data(value: Data) {
    this.#data = value;
  }

  get readyState(): ReadyState {
    if (this.#phase() === Phase.Closed) return ReadyState.Closed;
    return this.#ws?.readyState ?? ReadyState.Connecting;
  }

  get bufferedAmount(): number {
    if (this.#phase() === Phase.Closed) return 0;
    return (this.#ws?.outgoingBytes ?? 0) + (this.#http?.length ?? 0) +
      this.#transport.unsentBytes;
  }

  // ── Connection ────────────────────────────────────────────────────────

  send(message: Message, options?: SendOptions): boolean {
    const ws = this.#ws;
    if (ws === undefined) return false;
    const compress = options?.compress ?? true;
    let queued: boolean;
    if (typeof message === "string") queued = ws.sendText(message, compress);
    else if (message instanceof Uint8Array) {
      queued = ws.sendBinary(message, compress);
    } else if (message instanceof Frame) queued = ws.sendFrame(message);
    else {
      throw new TypeError(
        `Cannot send a message of type: ${
          Object.prototype.toString.call(message)
        }`,
      );
    }
    if (queued) {
      this.#host.counters.messagesOut++;
      this.#afterSend();
    }
    return queued;
  }

  emit(event: string, data?: unknown): boolean {
    return this.send(JSON.stringify({ event, data }));
  }

  ping(data?: Uint8Array | string): boolean {
    const ws = this.#ws;
    if (ws === undefined) return false;
    const payload = typeof data === "string" ? encoder.encode(data) : data;
    const queued = ws.sendPing(payload);
    if (queued) this.#afterSend();
    return queued;
  }

  close(code?: number, reason?: string): void {
    const ws = this.#ws;
    if (ws === undefined) {
      // Not open yet (or a plain HTTP exchange): nothing to hand shake with.
      if (this.#phase() !== Phase.Closed) this.#drop();
      return;
    }
    if (ws.sendClose(code, reason)) this.#afterSend();
  }

  terminate(): void {
    if (this.#phase() === Phase.Closed) return;
    this.#drop();
  }

  pause(): void {
    this.#setPaused(this.#flags | PAUSED_BY_APP);
  }

  resume(): void {
    this.#setPaused(this.#flags & ~PAUSED_BY_APP);
  }

  /**
   * Queues a message sent to many connections (a broadcast): its plain
   * frame, its compressed frame for a connection that compresses without
   * context takeover, or a compression of its own with context takeover.
   * Returns whether it was queued (not while the application is midway
   * through a fragmented message on this connection).
   */
  sendShared(message: SharedMessage): boolean {
    const ws = this.#ws;
    if (ws === undefined) return false;
    const deflate = ws.deflate;
    let queued: boolean;
    if (
      deflate === undefined || !deflate.shouldCompress(message.payload.length)
    ) {
      queued = ws.sendEncoded(message.plainFrame());
    } else if (deflate.sharedKey !== undefined) {
      queued = ws.sendEncoded(message.compressedFrame(deflate));
    } else {
      queued = !ws.sendingFragments &&
        ws.sendPayload(message.isText, message.payload);
    }
    if (queued) {
      const counters = this.#host.counters;
      counters.messagesOut++;
      counters.sharedDeliveries++;
      this.#afterSend();
    }
    return queued;
  }

  /**
   * One heartbeat tick: ping a silent peer, close one silent past the idle
   * timeout with 1011 and drop its socket. A connection the application
   * paused is not blamed for the silence.
   */
  heartbeat(pingInterval: number, idleTimeout: number, tick: number): void {
    if (this.#ws?.readyState !== ReadyState.Open) return;
    if (this.#flags & (SEEN | PAUSED_BY_APP)) {
      this.#flags &= ~SEEN;
      this.silentTicks = 0;
      return;
    }
    this.silentTicks++;
    if (idleTimeout > 0 && this.silentTicks * tick >= idleTimeout) {
      this.#fail(
        new ProtocolError(
          "keepalive",
          "Keepalive timeout: no data from the peer",
        ),
      );
    } else if (pingInterval > 0) {
      this.ping();
    }
  }

  // ── TransportHandler: what the engine reports ─────────────────────────
  // Each runs inside the engine's own callback: nothing of ours may escape
  // it. A throw becomes an `error` event and a dropped connection.

  /** Bytes arrived from the peer. */
  onData(bytes: Uint8Array): void {
    this.#host.counters.bytesIn += bytes.length;
    try {
      switch (this.#phase()) {
        case Phase.Open:
          this.#receive(bytes, this.#transport.readsAreFresh === true);
          return;
        case Phase.Opening:
          this.#opening!.onData(bytes);
          return;
      }
    } catch (error) {
      this.#crash(error);
    }
  }

  /** The transport can take more bytes. */
  onDrain(): void {
    try {
      this.#flags = (this.#flags & ~BLOCKED) | SEEN;
      this.flush();
      if (this.#flags & PAUSED_BY_BACKPRESSURE) {
        const threshold = this.#host.options.drainThreshold;
        if (!(this.#flags & BLOCKED) || this.bufferedAmount <= threshold) {
          this.#setPaused(this.#flags & ~PAUSED_BY_BACKPRESSURE);
        }
      }
    } catch (error) {
      this.#crash(error);
    }
  }

  /** The peer sent FIN. */
  onEnd(): void {
    try {
      switch (this.#phase()) {
        case Phase.Open:
          this.#ws!.receiveEof();
          this.#afterSend();
          return;
        case Phase.Opening:
          // Answer first: a client may half-close right after its request.
          if (this.#opening!.onEnd()) this.#endTransport();
          return;
      }
    } catch (error) {
      this.#crash(error);
    }
  }

  /** The transport is fully closed. */
  onClose(_error?: Error): void {
    if (this.#phase() === Phase.Closed) return;
    const phase = this.#phase();
    const wasOpen = phase === Phase.Open;
    // No answer was written: the handshake timed out, or the peer left.
    if (phase === Phase.Opening) this.#host.counters.handshakesAbandoned++;
    // Read before the phase changes: whatever was written and not yet sent.
    const flushed = this.#transport.unsentBytes === 0;
    this.#setPhase(Phase.Closed);
    this.#host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#opening = undefined;
    this.#http = undefined;
    try {
      if (wasOpen) {
        const ws = this.#ws!;
        const info = ws.closeInfo(flushed);
        ws.abort();
        this.#host.closed(this, info);
      }
    } catch (error) {
      this.#report(error);
    } finally {
      this.#host.released(this);
    }
  }

  /** Writes what is queued in one write; the flush scheduler calls it at the end of the turn. */
  flush(): void {
    this.#flags &= ~FLUSH_SCHEDULED;
    const phase = this.#phase();
    if (phase === Phase.Closed || this.#flags & (BLOCKED | DROPPED)) {
      this.#checkBufferCap();
      return;
    }
    const ws = this.#ws;
    const http = this.#http;
    const chunks = ws === undefined ? undefined : ws.takeOutgoing();
    let total = http?.length ?? 0;
    if (chunks !== undefined) {
      for (let i = 0; i < chunks.length; i++) total += chunks[i].length;
    }
    if (total > 0) {
      this.#http = undefined;
      this.#host.counters.bytesOut += total;
      // The application saw bufferedAmount over drainThreshold while these
      // bytes were queued, and may wait for `drain`.
      if (total > this.#host.options.drainThreshold) {
        this.#flags |= OVER_THRESHOLD;
      }
      if (!this.#write(http, chunks, total)) {
        this.#flags |= BLOCKED;
        if (phase === Phase.Done) this.#endTransport();
        else this.#checkBufferCap();
        return;
      }
    }
    if (this.#flags & OVER_THRESHOLD) this.#checkDrained();
    if (phase === Phase.Done) this.#endTransport();
    else if (ws?.shouldCloseTransport && ws.outgoingBytes === 0) {
      this.#endTransport();
    }
  }

  /**
   * Hands `head` then `chunks` (`total` bytes) to the transport: joined
   * into one write, unless the pieces are large on average and the
   * transport can take them unjoined (a header and a large payload are
   * then sent without copying the payload).
   */
  #write(
    head: Uint8Array | undefined,
    chunks: Uint8Array[] | undefined,
    total: number,
  ): boolean {
    const transport = this.#transport;
    const count = (head === undefined ? 0 : 1) + (chunks?.length ?? 0);
    if (
      count > 1 && total >= count * UNJOINED_PIECE_SIZE &&
      transport.writeChunks !== undefined
    ) {
      return transport.writeChunks(
        head === undefined ? chunks! : [head, ...chunks!],
      );
    }
    return transport.write(joinBytes(head, chunks, total));
  }

  /**
   * After bufferedAmount went over drainThreshold: the `drain` event, once
   * it is back under (the transport says when it has sent what it holds).
   */
  #checkDrained(): void {
    if (this.#phase() !== Phase.Open) {
      this.#flags &= ~OVER_THRESHOLD;
      return;
    }
    if (
      this.bufferedAmount > this.#host.options.drainThreshold &&
      !this.#transport.requestDrain()
    ) return;
    this.#flags &= ~OVER_THRESHOLD;
    this.#host.drained(this);
  }

  // ── the open connection ───────────────────────────────────────────────

  /**
   * Feeds a read to the protocol and delivers its events, then writes the
   * answers at once. `fresh`: nothing else holds `bytes`' buffer (messages
   * may be views of it).
   */
  #receive(bytes: Uint8Array, fresh = false): void {
    this.#flags |= SEEN | DELIVERING;
    // Everything the handlers send in answer to these bytes goes out in
    // one write when they are done, without waiting for the end of the
    // turn (one hop less for a request/response exchange).
    try {
      this.#ws!.receive(bytes, fresh);
      this.#deliver();
    } finally {
      this.#flags &= ~DELIVERING;
    }
    const answered = (this.#flags & FLUSH_SCHEDULED) !== 0;
    if (answered) this.flush();
    // Read-side flow control: a peer whose own messages produce more than
    // it reads is not read until it catches up, so it meets TCP
    // backpressure instead of filling our memory.
    if (
      answered && (this.#flags & BLOCKED) !== 0 &&
      (this.#flags & PAUSED_BY_BACKPRESSURE) === 0 &&
      this.bufferedAmount > this.#host.options.drainThreshold
    ) {
      this.#host.counters.backpressurePauses++;
      this.#setPaused(this.#flags | PAUSED_BY_BACKPRESSURE);
    }
  }

  /** Takes the protocol's events one by one and hands them to the host. */
  #deliver(): void {
    const ws = this.#ws!;
    for (
      let event = ws.nextEvent();
      event !== undefined;
      event = ws.nextEvent()
    ) {
      switch (event.type) {
        case "text":
        case "binary":
          this.#host.message(this, event.data);
          break;
        case "error":
          this.#host.errored(event.error, this);
          break;
      }
    }
    this.#afterProtocol(ws);
  }

  /** Something was queued on the protocol: write it and follow its state. */
  #afterSend(): void {
    this.#afterProtocol(this.#ws!);
  }

  /**
   * The one place the driver follows the protocol's state: a connection
   * that started closing (by any path) gets the close timer; queued bytes
   * and a due end of the transport get a flush.
   */
  #afterProtocol(ws: Protocol): void {
    if (this.#phase() !== Phase.Open) return;
    if (ws.readyState !== ReadyState.Open) this.#startCloseTimer();
    if (ws.outgoingBytes > 0 || ws.shouldCloseTransport) this.#scheduleFlush();
  }

  #setPaused(flags: number): void {
    const was = (this.#flags & PAUSED) !== 0;
    this.#flags = flags;
    const now = (flags & PAUSED) !== 0;
    if (was === now || this.#phase() === Phase.Closed) return;
    if (this.#flags & DROPPED) return;
    if (now) this.#transport.pause();
    else this.#transport.resume();
  }

  #scheduleFlush(): void {
    const flags = this.#flags;
    if (flags & FLUSH_SCHEDULED) return;
    this.#flags = flags | FLUSH_SCHEDULED;
    if (!(flags & DELIVERING)) this.#host.scheduler.schedule(this);
  }

  #checkBufferCap(): void {
    const ws = this.#ws;
    if (ws === undefined || this.#phase() !== Phase.Open) return;
    const buffered = this.bufferedAmount;
    const { maxBufferedAmount, drainThreshold } = this.#host.options;
    if (buffered > drainThreshold) this.#flags |= OVER_THRESHOLD;
    // One write in the transport may exceed the cap on its own (a message
    // of maxMessageSize echoed back); the cap is on bytes queued behind it.
    if (
      maxBufferedAmount > 0 && buffered > maxBufferedAmount &&
      ws.outgoingBytes > 0
    ) {
      this.#host.counters.bufferLimitCloses++;
      this.#fail(
        new ProtocolError(
          "policy",
          `Send buffer limit exceeded: ${buffered} bytes queued`,
        ),
      );
    }
  }

  /** Fails the connection from our side and drops the socket at once. */
  #fail(error: ProtocolError): void {
    if (this.#phase() === Phase.Closed) return;
    this.#flags |= DROPPED;
    this.#ws?.abort(error);
    this.#host.errored(error, this);
    this.#transport.abort();
  }

  /** Drops the socket now; the protocol learns it first, so nothing more is delivered or sent. */
  #drop(): void {
    this.#flags |= DROPPED;
    this.#ws?.abort();
    this.#transport.abort();
  }

  /** A bug of ours (or an engine's) surfaced in an engine callback. */
  #crash(error: unknown): void {
    if (this.#phase() === Phase.Closed) {
      this.#report(error);
      return;
    }
    this.#fail(asProtocolError(error));
  }

  #report(error: unknown): void {
    try {
      this.#host.errored(error, this);
    } catch { /* the host's own fallback failed: nothing more to do */ }
  }

  #startCloseTimer(): void {
    if (this.#timer !== undefined || this.#phase() === Phase.Closed) return;
    if (this.#flags & DROPPED) return;
    const { closeTimeout } = this.#host.options;
    if (closeTimeout <= 0) return;
    this.#timer = this.#host.clock.setTimeout(
      () => this.#drop(),
      closeTimeout,
    );
  }

  #endTransport(): void {
    if (this.#flags & ENDING) return;
    this.#flags |= ENDING;
    this.#startCloseTimer();
    this.#transport.end();
  }

  // ── the opening phase reports here ────────────────────────────────────

  /**
   * For the opening phase: the handshake succeeded. Opens the WebSocket in
   * the host's role: `init.response` (the server's 101) goes out first, with
   * whatever the `open` handlers send; then the bytes that followed the
   * handshake are read. Returns `false` when the connection was dropped
   * meanwhile (the handshake timer, `stop()`: its close is on the way, and
   * it must not open). Not for applications.
   */
  opened(init: OpenInit): boolean {
    if (this.#flags & DROPPED || this.#phase() !== Phase.Opening) return false;
    const { options, clock } = this.#host;
    this.#opening = undefined;
    clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.protocol = init.protocol;
    const ws = this.#ws = new Protocol({
      role: this.#host.role,
      buffers: this.#host.buffers,
      maxMessageSize: options.maxMessageSize,
      maxFrameSize: options.maxFrameSize,
      deflate: init.deflate,
    });
    // The handshake has read the fields: keep the head as one string.
    releaseParsedFields(this.request);
    this.#setPhase(Phase.Open);
    if (init.response !== undefined) {
      this.#http = init.response;
      this.#scheduleFlush();
    }
    this.#host.opened(this);
    if (init.early !== undefined) {
      for (const bytes of init.early) {
        if (this.#phase() !== Phase.Open) break;
        this.#receive(bytes);
      }
    }
    if (init.peerEnded && this.#phase() === Phase.Open) {
      ws.receiveEof();
      this.#afterSend();
    }
    return true;
  }

  /**
   * For the opening phase: sends a final HTTP response and half-closes. The
   * socket is dropped if the peer has not closed its side within
   * `closeTimeout`, as after a close frame (otherwise the handshake timer
   * stays the bound). Not for applications.
   */
  answered(response: Uint8Array): void {
    if (this.#phase() === Phase.Closed || this.#flags & DROPPED) return;
    this.#opening = undefined;
    this.#setPhase(Phase.Done);
    if (this.#host.options.closeTimeout > 0) {
      this.#host.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#http = response;
    this.flush();
  }

  /** For the opening phase: an error of ours surfaced asynchronously. Not for applications. */
  crashed(error: unknown): void {
    this.#crash(error);
  }

  /** For the opening phase: writes bytes before the connection opens (the client's request). Not for applications. */
  writeOpening(bytes: Uint8Array): void {
    if (this.#phase() !== Phase.Opening || this.#flags & DROPPED) return;
    this.#http = this.#http === undefined
      ? bytes
      : joinBytes(this.#http, [bytes], this.#http.length + bytes.length);
    this.flush();
  }

  /** For the opening phase: gives up on the connection (a failed handshake). Not for applications. */
  abandon(): void {
    this.terminate();
  }
}
