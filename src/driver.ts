/**
 * The connection driver, written once for every engine: it runs the HTTP
 * upgrade, feeds bytes to the sans-I/O {@link Protocol}, corks what it sends
 * into one write per turn, applies backpressure both ways, and owns the
 * timers. The protocol owns the connection's state: the driver asks it
 * (readyState, closeSent, shouldCloseTransport, closeInfo) instead of
 * keeping a copy.
 *
 * @module
 */

import type { Flushable, FlushScheduler } from "./_flush_scheduler.ts";
import type { CloseInfo, Connection, Message } from "./connection.ts";
import type { Timers, Transport, TransportHandler } from "./engine.ts";
import { asProtocolError, ProtocolError } from "./errors.ts";
import { Frame } from "./frame.ts";
import {
  computeAcceptKey,
  isWebSocketUpgrade,
  type UpgradeRequest,
  validateUpgrade,
} from "./handshake.ts";
import {
  hostProblem,
  type HttpRequest,
  releaseParsedFields,
  RequestHeadReader,
} from "./http_request.ts";
import {
  buildAcceptResponse,
  buildErrorResponse,
  serializeResponse,
} from "./http_response.ts";
import { Protocol, ReadyState } from "./protocol.ts";
import { randomUuid } from "./_random.ts";
import type { ResolvedServerOptions } from "./server_options.ts";
import type { TokenBucket } from "./rate_limiter.ts";

/**
 * The answer of the server's upgrade policy for one request.
 *
 * @example
 * ```ts
 * import type { UpgradeDecision } from "@anyws/anyws";
 * const accept: UpgradeDecision = { accept: true, protocol: "chat" };
 * const reject: UpgradeDecision = { accept: false, status: 403, body: "Forbidden" };
 * ```
 */
export type UpgradeDecision =
  | {
    accept: true;
    /** Subprotocol to answer with. */
    protocol?: string;
    /** Extra headers of the 101 response. */
    headers?: Record<string, string>;
    /** Initial `conn.data`. */
    data?: unknown;
    /** The user the connection belongs to. */
    user?: string;
  }
  | {
    accept: false;
    status: number;
    body?: string;
    headers?: Record<string, string>;
  };

/** What a driver reports to, and asks of, the server that owns it. */
export interface DriverHost<Data = Record<string, unknown>> {
  readonly options: ResolvedServerOptions;
  readonly scheduler: FlushScheduler;
  readonly timers: Timers;
  /**
   * Answers a request that is not a WebSocket upgrade, or returns
   * `undefined` to answer 426.
   */
  respond(
    request: HttpRequest,
    body: Uint8Array | null,
    remoteAddress: string,
  ): Response | Promise<Response> | undefined;
  /** Decides whether to accept a valid upgrade request. */
  decide(
    request: HttpRequest,
    upgrade: UpgradeRequest,
    remoteAddress: string,
  ): UpgradeDecision | Promise<UpgradeDecision>;
  opened(conn: ConnectionDriver<Data>): void;
  message(conn: ConnectionDriver<Data>, data: string | Uint8Array): void;
  errored(error: unknown, conn: ConnectionDriver<Data>): void;
  drained(conn: ConnectionDriver<Data>): void;
  roomsOf(conn: ConnectionDriver<Data>): ReadonlySet<string>;
  join(conn: ConnectionDriver<Data>, room: string): boolean;
  leave(conn: ConnectionDriver<Data>, room: string): boolean;
  userOf(conn: ConnectionDriver<Data>): string | undefined;
  setUser(conn: ConnectionDriver<Data>, user: string | undefined): void;
  closed(conn: ConnectionDriver<Data>, info: CloseInfo): void;
  /** The transport is gone, whether or not the connection ever opened. */
  released(conn: ConnectionDriver<Data>): void;
}

/**
 * Where a connection is. Head: reading the request head; Body: reading a
 * plain request's body; Upgrading: the upgrade policy is deciding; Open: a
 * WebSocket; Http: the request handler is answering; Done: answered,
 * waiting for the peer to close; Closed: the transport is gone.
 */
const Phase = {
  Head: 0,
  Body: 1,
  Upgrading: 2,
  Open: 3,
  Http: 4,
  Done: 5,
  Closed: 6,
} as const;
type Phase = typeof Phase[keyof typeof Phase];

const encoder = new TextEncoder();
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
/** The peer's FIN arrived before the connection was open or answered. */
const PEER_ENDED = 64;
/** Reading is paused by the application (`conn.pause()`). */
const PAUSED_BY_APP = 128;
/** Reading is paused because the peer does not take what it asked for. */
const PAUSED_BY_BACKPRESSURE = 256;
/** Where the phase is kept in the same field: bits 9 to 11. */
const PHASE_SHIFT = 9;
const PHASE_MASK = 7 << PHASE_SHIFT;
/**
 * We aborted the transport: its close is on the way (engines report it on a
 * later turn). Meanwhile nothing more is written, opened or answered.
 */
const DROPPED = 1 << 12;
const PAUSED = PAUSED_BY_APP | PAUSED_BY_BACKPRESSURE;

/** A plain request waiting for its body. */
interface PendingBody {
  request: HttpRequest;
  chunks: Uint8Array[];
  received: number;
  length: number;
}

/**
 * Drives one transport from the first request byte to the closed socket, and
 * is the {@link Connection} the application sees.
 *
 * @example
 * ```ts ignore
 * const driver = new ConnectionDriver(host, transport); // done by the Server
 * ```
 */
export class ConnectionDriver<Data = Record<string, unknown>>
  implements Flushable, Connection<Data>, TransportHandler {
  readonly id: string = randomUuid();
  readonly remoteAddress: string;
  request: HttpRequest = NO_REQUEST;
  protocol = "";
  #data: Data | undefined; // created on first use
  /** Heartbeat ticks in a row without a byte from the peer. */
  silentTicks = 0;
  /** The message rate limit of this connection, when the server has one. */
  limiter: TokenBucket | undefined;

  #host: DriverHost<Data>;
  #transport: Transport;
  #head: RequestHeadReader | undefined;
  // Bytes that arrived behind the request head during the handshake, or a
  // plain request's body; created on first use.
  #early: { chunks: Uint8Array[]; bytes: number } | undefined;
  #body: PendingBody | undefined;
  #ws: Protocol | undefined;
  /** HTTP bytes (the 101, or a whole response) to write before anything else. */
  #http: Uint8Array | undefined;
  /** The driver's yes/no state and its phase (the constants above), one field. */
  #flags = SEEN | Phase.Head << PHASE_SHIFT;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Starts the handshake timer; the engine then reports the transport's events to this driver. */
  constructor(host: DriverHost<Data>, transport: Transport) {
    this.#host = host;
    this.#transport = transport;
    this.remoteAddress = transport.remoteAddress;
    const { options } = host;
    this.#head = new RequestHeadReader({
      maxHeadBytes: options.maxHeadBytes,
      maxHeaderCount: options.maxHeaderCount,
    });
    if (options.handshakeTimeout > 0) {
      this.#timer = host.timers.setTimeout(
        () => this.#drop(),
        options.handshakeTimeout,
      );
    }
  }

  // Methods, not private accessors: a private getter on the frame decoder's
  // hot path cost V8 over a quarter of its small-frame speed.
  #phase(): Phase {
    return ((this.#flags & PHASE_MASK) >> PHASE_SHIFT) as Phase;
  }

  #setPhase(phase: Phase): void {
    this.#flags = (this.#flags & ~PHASE_MASK) | phase << PHASE_SHIFT;
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

  send(message: Message): boolean {
    const ws = this.#ws;
    if (ws === undefined) return false;
    let queued: boolean;
    if (typeof message === "string") queued = ws.sendText(message);
    else if (message instanceof Uint8Array) queued = ws.sendBinary(message);
    else if (message instanceof Frame) queued = ws.sendFrame(message);
    else {
      throw new TypeError(
        `Cannot send a message of type: ${
          Object.prototype.toString.call(message)
        }`,
      );
    }
    if (queued) this.#afterSend();
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

  get rooms(): ReadonlySet<string> {
    return this.#host.roomsOf(this);
  }

  join(room: string): boolean {
    if (this.readyState !== ReadyState.Open) return false;
    return this.#host.join(this, room);
  }

  leave(room: string): boolean {
    return this.#host.leave(this, room);
  }

  get user(): string | undefined {
    return this.#host.userOf(this);
  }

  setUser(user: string | undefined): void {
    if (this.#phase() === Phase.Closed && user !== undefined) return;
    this.#host.setUser(this, user);
  }

  /**
   * Queues a whole, already-encoded data frame (a broadcast); returns
   * whether it was queued (not while the application is midway through a
   * fragmented message on this connection).
   */
  sendEncoded(bytes: Uint8Array): boolean {
    const ws = this.#ws;
    if (ws === undefined || !ws.sendEncoded(bytes)) return false;
    this.#afterSend();
    return true;
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
    try {
      switch (this.#phase()) {
        case Phase.Open:
          this.#receive(bytes);
          return;
        case Phase.Head:
          this.#readHead(bytes);
          return;
        case Phase.Body:
          this.#readBody(bytes);
          return;
        case Phase.Upgrading:
          this.#keepEarly(bytes);
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
        case Phase.Body:
        case Phase.Upgrading:
        case Phase.Http:
          // Answer first: a client may half-close right after its request.
          this.#flags |= PEER_ENDED;
          return;
        case Phase.Head:
          this.#endTransport();
          return;
      }
    } catch (error) {
      this.#crash(error);
    }
  }

  /** The transport is fully closed. */
  onClose(_error?: Error): void {
    if (this.#phase() === Phase.Closed) return;
    const wasOpen = this.#phase() === Phase.Open;
    // Read before the phase changes: whatever was written and not yet sent.
    const flushed = this.#transport.unsentBytes === 0;
    this.#setPhase(Phase.Closed);
    this.#host.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#early = undefined;
    this.#body = undefined;
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
      const bytes = join(http, chunks, total);
      // The application saw bufferedAmount over drainThreshold while these
      // bytes were queued, and may wait for `drain`.
      if (total > this.#host.options.drainThreshold) {
        this.#flags |= OVER_THRESHOLD;
      }
      if (!this.#transport.write(bytes)) {
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

  /** Feeds a read to the protocol and delivers its events, then writes the answers at once. */
  #receive(bytes: Uint8Array): void {
    this.#flags |= SEEN | DELIVERING;
    // Everything the handlers send in answer to these bytes goes out in
    // one write when they are done, without waiting for the end of the
    // turn (one hop less for a request/response exchange).
    try {
      this.#ws!.receive(bytes);
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
      this.bufferedAmount > this.#host.options.drainThreshold
    ) {
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
    this.#timer = this.#host.timers.setTimeout(
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

  // ── the HTTP side: the upgrade, or a plain request ────────────────────

  #readHead(bytes: Uint8Array): void {
    const result = this.#head!.push(bytes);
    if (result.state === "incomplete") return;
    this.#head = undefined;
    if (result.state === "error") {
      this.#reject(result.status, result.message);
      return;
    }
    const { request, rest } = result;
    this.request = request;
    // RFC 9110 §7.8: a server may ignore an upgrade it does not support;
    // only a `websocket` upgrade starts the opening handshake.
    if (!isWebSocketUpgrade(request)) {
      this.#readRequestBody(request, rest);
      return;
    }
    const validation = validateUpgrade(request);
    if (!validation.ok) {
      this.#reject(validation.status, validation.message, validation.headers);
      return;
    }
    this.#setPhase(Phase.Upgrading);
    if (rest.length > 0) this.#keepEarly(rest, false);
    this.#upgrade(request, validation.upgrade).catch((error) => {
      if (this.#phase() !== Phase.Upgrading) {
        this.#crash(error);
        return;
      }
      this.#host.errored(error, this);
      this.#reject(500, "Internal Server Error");
    });
  }

  async #upgrade(request: HttpRequest, upgrade: UpgradeRequest): Promise<void> {
    const [accept, decision] = await Promise.all([
      computeAcceptKey(upgrade.key),
      this.#host.decide(request, upgrade, this.remoteAddress),
    ]);
    // Dropped meanwhile (the handshake timer, stop()): its close is on the
    // way, and it must not open.
    if (this.#phase() !== Phase.Upgrading || this.#flags & DROPPED) return;
    if (!decision.accept) {
      this.#reject(decision.status, decision.body ?? "", decision.headers);
      return;
    }
    const response = buildAcceptResponse(accept, {
      protocol: decision.protocol,
      headers: decision.headers,
    });
    const { options, timers } = this.#host;
    timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.protocol = decision.protocol ?? "";
    if (decision.data !== undefined) this.data = decision.data as Data;
    if (decision.user !== undefined) this.#host.setUser(this, decision.user);
    const ws = this.#ws = new Protocol({
      role: "server",
      maxMessageSize: options.maxMessageSize,
      maxFrameSize: options.maxFrameSize,
    });
    // The handshake has read the fields: keep the head as one string.
    releaseParsedFields(request);
    this.#setPhase(Phase.Open);
    this.#http = response;
    this.#scheduleFlush();
    this.#host.opened(this);
    const early = this.#early?.chunks;
    this.#early = undefined;
    if (early !== undefined) {
      for (const bytes of early) {
        if (this.#phase() !== Phase.Open) break;
        this.#receive(bytes);
      }
    }
    if (this.#flags & PEER_ENDED && this.#phase() === Phase.Open) {
      ws.receiveEof();
      this.#afterSend();
    }
  }

  /**
   * A plain request. RFC 9112 §6.3: a body is delimited by Content-Length
   * (read here, up to `maxRequestBodySize`: 413 beyond) or by chunked
   * transfer coding (not supported: 411, so the client can retry with a
   * length).
   */
  #readRequestBody(request: HttpRequest, rest: Uint8Array): void {
    const badHost = hostProblem(request);
    if (badHost !== undefined) {
      this.#reject(400, badHost);
      return;
    }
    const { headers } = request;
    if (headers.has("transfer-encoding")) {
      this.#reject(411, "Length Required: send the body with a Content-Length");
      return;
    }
    const lengthField = headers.get("content-length");
    if (lengthField === null || lengthField === "0") {
      this.#serveHttp(request, null);
      return;
    }
    if (!/^\d{1,15}$/.test(lengthField)) {
      this.#reject(400, "Bad Request: invalid Content-Length");
      return;
    }
    const length = Number(lengthField);
    const limit = this.#host.options.maxRequestBodySize;
    if (length > limit) {
      this.#reject(413, `Content Too Large: the limit is ${limit} bytes`);
      return;
    }
    this.#body = { request, chunks: [], received: 0, length };
    this.#setPhase(Phase.Body);
    this.#readBody(rest, false);
  }

  #readBody(bytes: Uint8Array, copy = true): void {
    const body = this.#body!;
    const take = Math.min(bytes.length, body.length - body.received);
    if (take > 0) {
      body.chunks.push(copy ? bytes.slice(0, take) : bytes.subarray(0, take));
      body.received += take;
    }
    if (body.received < body.length) return;
    this.#body = undefined;
    this.#serveHttp(body.request, join(undefined, body.chunks, body.length));
  }

  /** A plain HTTP request: the application's `request` handler answers it, or 426. */
  #serveHttp(request: HttpRequest, body: Uint8Array | null): void {
    this.#setPhase(Phase.Http);
    let answer: Response | Promise<Response> | undefined;
    try {
      answer = this.#host.respond(request, body, this.remoteAddress);
    } catch (error) {
      this.#host.errored(error, this);
      this.#reject(500, "Internal Server Error");
      return;
    }
    if (answer === undefined) {
      // RFC 9110 §15.5.22: a 426 response MUST send an Upgrade header.
      this.#reject(426, "Upgrade Required: this is a WebSocket endpoint", {
        Upgrade: "websocket",
      });
      return;
    }
    Promise.resolve(answer)
      .then((response) => {
        if (!(response instanceof Response)) {
          throw new TypeError(
            `The request handler returned no Response: ${String(response)}`,
          );
        }
        return serializeResponse(response, { head: request.method === "HEAD" });
      })
      .then((bytes) => {
        if (this.#phase() === Phase.Http) this.#answer(bytes);
      })
      .catch((error) => {
        this.#host.errored(error, this);
        this.#reject(500, "Internal Server Error");
      });
  }

  #keepEarly(bytes: Uint8Array, copy = true): void {
    const early = this.#early ??= { chunks: [], bytes: 0 };
    early.bytes += bytes.length;
    if (early.bytes > this.#host.options.maxFrameSize + 14) {
      this.#drop();
      return;
    }
    early.chunks.push(copy ? bytes.slice() : bytes);
  }

  #reject(status: number, message: string, headers?: HeadersInit): void {
    const phase = this.#phase();
    if (phase === Phase.Closed || phase === Phase.Done) return;
    this.#answer(buildErrorResponse(status, { body: message, headers }));
  }

  /**
   * Sends a final HTTP response and half-closes. The socket is dropped if
   * the peer has not closed its side within `closeTimeout`, as after a close
   * frame (otherwise the handshake timer stays the bound).
   */
  #answer(response: Uint8Array): void {
    if (this.#flags & DROPPED) return;
    this.#setPhase(Phase.Done);
    this.#body = undefined;
    this.#early = undefined;
    if (this.#host.options.closeTimeout > 0) {
      this.#host.timers.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#http = response;
    this.flush();
  }
}

/** `head` then `chunks` as one byte array of `total` bytes (no copy for a single piece). */
function join(
  head: Uint8Array | undefined,
  chunks: Uint8Array[] | undefined,
  total: number,
): Uint8Array {
  const count = chunks?.length ?? 0;
  if (head === undefined && count === 1) return chunks![0];
  if (head !== undefined && count === 0) return head;
  const out = new Uint8Array(total);
  let offset = 0;
  if (head !== undefined) {
    out.set(head, 0);
    offset = head.length;
  }
  for (let i = 0; i < count; i++) {
    out.set(chunks![i], offset);
    offset += chunks![i].length;
  }
  return out;
}
