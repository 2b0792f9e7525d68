/**
 * The connection driver, written once for every engine: it runs the HTTP
 * upgrade, feeds bytes to the sans-I/O {@link Protocol}, corks what it sends
 * into one write per turn, tracks backpressure, and owns the timers of the
 * closing handshake.
 *
 * @module
 */

import type { Flushable, FlushScheduler } from "./_flush_scheduler.ts";
import type { CloseInfo, Connection, Message } from "./connection.ts";
import type { Transport, TransportHandler } from "./engine.ts";
import { CloseCode } from "./close_code.ts";
import { ProtocolError } from "./errors.ts";
import { Frame } from "./frame.ts";
import {
  computeAcceptKey,
  type UpgradeRequest,
  validateUpgrade,
} from "./handshake.ts";
import {
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
  /**
   * Answers a request that is not a WebSocket upgrade, or returns
   * `undefined` to answer 426.
   */
  respond(
    request: HttpRequest,
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

/** Head: reading the request; Http: answering a plain request; Done: answered, closing. */
const Phase = {
  Head: 0,
  Upgrading: 1,
  Open: 2,
  Closed: 3,
  Http: 4,
  Done: 5,
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
/** Set by the heartbeat: whether anything arrived since the last tick. */
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
/** Where the phase is kept in the same field: bits 6 to 8. */
const PHASE_SHIFT = 6;
const PHASE_MASK = 7 << PHASE_SHIFT;

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
  // Bytes that arrived behind the request head during the handshake; created
  // on first use: an idle connection holds no arrays.
  #early: { chunks: Uint8Array[]; bytes: number } | undefined;
  #ws: Protocol | undefined;
  #pending: Uint8Array[] | undefined;
  #pendingBytes = 0;
  #inTransport = 0;
  /** The driver's yes/no state and its phase (the constants above), one field. */
  #flags = SEEN | Phase.Head << PHASE_SHIFT;
  #localFailure: ProtocolError | undefined;
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
      this.#timer = setTimeout(
        () => this.#transport.abort(),
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
    return this.#pendingBytes + (this.#ws?.outgoingBytes ?? 0) +
      this.#inTransport;
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
    if (queued) this.#scheduleFlush();
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
    if (queued) this.#scheduleFlush();
    return queued;
  }

  close(code?: number, reason?: string): void {
    const ws = this.#ws;
    if (this.#phase() !== Phase.Open || ws === undefined) {
      if (this.#phase() !== Phase.Closed) this.#transport.abort();
      return;
    }
    if (ws.closeSent) return;
    ws.sendClose(code, reason);
    this.#startCloseTimer();
    this.#scheduleFlush();
  }

  terminate(): void {
    this.#transport.abort();
  }

  get rooms(): ReadonlySet<string> {
    return this.#host.roomsOf(this);
  }

  join(room: string): boolean {
    if (this.#phase() !== Phase.Open) return false;
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

  /** Queues an already-encoded frame (a broadcast); returns whether it was queued. */
  sendEncoded(bytes: Uint8Array): boolean {
    const ws = this.#ws;
    if (ws === undefined) return false;
    let queued: boolean;
    try {
      queued = ws.sendFrameBytes(bytes);
    } catch {
      // The application is midway through a fragmented message on this
      // connection: a frame in between would corrupt it.
      return false;
    }
    if (queued) this.#scheduleFlush();
    return queued;
  }

  /**
   * One heartbeat tick: ping a silent peer, close one silent past the idle
   * timeout with 1011 and drop its socket.
   */
  heartbeat(pingInterval: number, idleTimeout: number, tick: number): void {
    if (this.#ws?.readyState !== ReadyState.Open) return;
    if (this.#flags & SEEN) {
      this.#flags &= ~SEEN;
      this.silentTicks = 0;
      return;
    }
    this.silentTicks++;
    if (idleTimeout > 0 && this.silentTicks * tick >= idleTimeout) {
      this.#failLocally(
        new ProtocolError(
          CloseCode.InternalError,
          "Keepalive timeout: no data from the peer",
        ),
      );
    } else if (pingInterval > 0) {
      this.ping();
    }
  }

  // ── TransportHandler: what the engine reports ─────────────────────────

  /** Bytes arrived from the peer. */
  onData(bytes: Uint8Array): void {
    switch (this.#phase()) {
      case Phase.Open:
        this.#flags |= SEEN | DELIVERING;
        // Everything the handlers send in answer to these bytes goes out in
        // one write when they are done, without waiting for the end of the
        // turn (one hop less for a request/response exchange).
        try {
          this.#ws!.receive(bytes);
          this.#processEvents();
        } finally {
          this.#flags &= ~DELIVERING;
        }
        if (this.#flags & FLUSH_SCHEDULED) this.flush();
        return;
      case Phase.Head:
        this.#readHead(bytes);
        return;
      case Phase.Upgrading:
        this.#keepEarly(bytes);
        return;
    }
  }

  /** The transport can take more bytes. */
  onDrain(): void {
    this.#flags &= ~BLOCKED;
    this.#inTransport = 0;
    this.flush();
    if (
      (this.#flags & (OVER_THRESHOLD | BLOCKED)) === OVER_THRESHOLD &&
      this.bufferedAmount <= this.#host.options.drainThreshold
    ) {
      this.#flags &= ~OVER_THRESHOLD;
      this.#host.drained(this);
    }
  }

  /** The peer sent FIN. */
  onEnd(): void {
    if (this.#phase() === Phase.Open) this.#ws!.receiveEnd();
    this.#flags |= ENDING;
    this.#transport.end();
  }

  /** The transport is fully closed. */
  onClose(_error?: Error): void {
    if (this.#phase() === Phase.Closed) return;
    const wasOpen = this.#phase() === Phase.Open;
    this.#setPhase(Phase.Closed);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
    this.#pendingBytes = 0;
    this.#inTransport = 0;
    this.#early = undefined;
    if (wasOpen) {
      const ws = this.#ws!;
      ws.markClosed();
      ws.takeOutgoing();
      this.#host.closed(this, this.#closeInfo(ws));
    }
    this.#host.released(this);
  }

  /** Flushes queued bytes in one write; the flush scheduler calls it at the end of the turn. */
  flush(): void {
    this.#flags &= ~FLUSH_SCHEDULED;
    const ws = this.#ws;
    if (ws !== undefined && ws.outgoingBytes > 0) {
      this.#pendingBytes += ws.outgoingBytes;
      const pending = this.#pending;
      if (pending === undefined) this.#pending = ws.takeOutgoing();
      else for (const chunk of ws.takeOutgoing()) pending.push(chunk);
    }
    if (this.#phase() === Phase.Closed) return;
    if (this.#flags & BLOCKED) {
      this.#checkBufferCap();
      return;
    }
    if (this.#pendingBytes > 0) {
      const bytes = concat(this.#pending!, this.#pendingBytes);
      this.#pending = undefined;
      this.#pendingBytes = 0;
      // The application saw bufferedAmount over drainThreshold while these
      // bytes were queued, and may wait for `drain` even when the transport
      // takes them at once.
      if (bytes.length > this.#host.options.drainThreshold) {
        this.#flags |= OVER_THRESHOLD;
      }
      if (!this.#transport.write(bytes)) {
        this.#flags |= BLOCKED;
        this.#inTransport = bytes.length;
        this.#checkBufferCap();
      } else if (this.#flags & OVER_THRESHOLD) {
        this.#flags &= ~OVER_THRESHOLD;
        this.#host.drained(this);
      }
    }
    if (ws?.shouldCloseTransport && !(this.#flags & ENDING)) {
      this.#flags |= ENDING;
      this.#startCloseTimer();
      this.#transport.end();
    }
  }

  // ── internals ─────────────────────────────────────────────────────────

  #scheduleFlush(): void {
    const flags = this.#flags;
    if (flags & FLUSH_SCHEDULED) return;
    this.#flags = flags | FLUSH_SCHEDULED;
    if (!(flags & DELIVERING)) this.#host.scheduler.schedule(this);
  }

  #checkBufferCap(): void {
    const buffered = this.bufferedAmount;
    const { maxBufferedAmount, drainThreshold } = this.#host.options;
    if (buffered > drainThreshold) this.#flags |= OVER_THRESHOLD;
    // One write in the transport may exceed the cap on its own (a message
    // of maxMessageSize echoed back); the cap is on bytes queued behind it.
    if (
      maxBufferedAmount > 0 && buffered > maxBufferedAmount &&
      buffered > this.#inTransport
    ) {
      this.#failLocally(
        new ProtocolError(
          CloseCode.PolicyViolation,
          `Send buffer limit exceeded: ${buffered} bytes queued`,
        ),
      );
    }
  }

  /** Fails the connection from our side and drops the socket at once. */
  #failLocally(error: ProtocolError): void {
    if (this.#localFailure || this.#phase() === Phase.Closed) return;
    this.#localFailure = error;
    this.#host.errored(error, this);
    this.#transport.abort();
  }

  #readHead(bytes: Uint8Array): void {
    const result = this.#head!.push(bytes);
    if (result.state === "incomplete") return;
    this.#head = undefined;
    if (result.state === "error") {
      this.#reject(result.status, result.message);
      return;
    }
    if (!result.request.rawHeaders.some(([name]) => isUpgradeHeader(name))) {
      this.#serveHttp(result.request);
      return;
    }
    const validation = validateUpgrade(result.request);
    if (!validation.ok) {
      this.#reject(validation.status, validation.message, validation.headers);
      return;
    }
    this.#setPhase(Phase.Upgrading);
    this.request = result.request;
    if (result.rest.length > 0) this.#keepEarly(result.rest, false);
    this.#upgrade(result.request, validation.upgrade).catch((error) => {
      this.#host.errored(error, this);
      this.#reject(500, "Internal Server Error");
    });
  }

  async #upgrade(request: HttpRequest, upgrade: UpgradeRequest): Promise<void> {
    const [accept, decision] = await Promise.all([
      computeAcceptKey(upgrade.key),
      this.#host.decide(request, upgrade, this.remoteAddress),
    ]);
    if (this.#phase() !== Phase.Upgrading) return;
    if (!decision.accept) {
      this.#reject(decision.status, decision.body ?? "", decision.headers);
      return;
    }
    const response = buildAcceptResponse(accept, {
      protocol: decision.protocol,
      headers: decision.headers,
    });
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.protocol = decision.protocol ?? "";
    if (decision.data !== undefined) this.data = decision.data as Data;
    if (decision.user !== undefined) this.#host.setUser(this, decision.user);
    const { options } = this.#host;
    this.#ws = new Protocol({
      role: "server",
      maxMessageSize: options.maxMessageSize,
      maxFrameSize: options.maxFrameSize,
      deferCloseReply: true,
    });
    // The handshake has read the fields: keep the head as one string.
    releaseParsedFields(request);
    this.#setPhase(Phase.Open);
    this.#queue(response);
    this.#host.opened(this);
    const early = this.#early?.chunks ?? [];
    this.#early = undefined;
    for (const bytes of early) {
      if (this.#phase() !== Phase.Open) break;
      this.onData(bytes);
    }
  }

  /** A plain HTTP request: the application's `request` handler answers it, or 426. */
  #serveHttp(request: HttpRequest): void {
    this.#setPhase(Phase.Http);
    this.request = request;
    let answer: Response | Promise<Response> | undefined;
    try {
      answer = this.#host.respond(request, this.remoteAddress);
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
      .then((bytes) => this.#respondWith(bytes))
      .catch((error) => {
        this.#host.errored(error, this);
        this.#reject(500, "Internal Server Error");
      });
  }

  #respondWith(bytes: Uint8Array): void {
    if (this.#phase() === Phase.Http) this.#answer(bytes);
  }

  #keepEarly(bytes: Uint8Array, copy = true): void {
    const early = this.#early ??= { chunks: [], bytes: 0 };
    early.bytes += bytes.length;
    if (early.bytes > this.#host.options.maxFrameSize + 14) {
      this.#transport.abort();
      return;
    }
    early.chunks.push(copy ? bytes.slice() : bytes);
  }

  #reject(
    status: number,
    message: string,
    headers?: HeadersInit,
  ): void {
    if (this.#phase() === Phase.Closed) return;
    this.#answer(buildErrorResponse(status, { body: message, headers }));
  }

  /**
   * Sends a final HTTP response and closes. The socket is dropped if the
   * peer has not closed its side within `closeTimeout`, as after a close
   * frame.
   */
  #answer(response: Uint8Array): void {
    this.#setPhase(Phase.Done);
    if (this.#host.options.closeTimeout > 0) {
      // Otherwise the handshake timer stays the bound.
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#startCloseTimer();
    }
    this.#queue(response);
    this.flush();
    this.#flags |= ENDING;
    this.#transport.end();
  }

  #queue(bytes: Uint8Array): void {
    (this.#pending ??= []).push(bytes);
    this.#pendingBytes += bytes.length;
    this.#scheduleFlush();
  }

  #processEvents(): void {
    const ws = this.#ws!;
    const events = ws.takeEvents();
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      switch (event.type) {
        case "text":
        case "binary":
          this.#host.message(this, event.data);
          break;
        case "close":
          ws.replyToClose();
          this.#startCloseTimer();
          break;
        case "error":
          this.#host.errored(event.error, this);
          this.#startCloseTimer();
          break;
      }
    }
    if (ws.outgoingBytes > 0 || ws.shouldCloseTransport) this.#scheduleFlush();
  }

  #startCloseTimer(): void {
    if (this.#timer !== undefined || this.#phase() === Phase.Closed) return;
    const { closeTimeout } = this.#host.options;
    if (closeTimeout <= 0) return;
    this.#timer = setTimeout(() => this.#transport.abort(), closeTimeout);
  }

  #closeInfo(ws: Protocol): CloseInfo {
    if (ws.closeReceived) {
      return {
        code: ws.closeCode ?? CloseCode.NoStatus,
        reason: ws.closeReason ?? "",
        wasClean: ws.closeSent,
      };
    }
    const failure = this.#localFailure ?? ws.failed;
    if (failure) {
      return { code: failure.code, reason: failure.message, wasClean: false };
    }
    return { code: CloseCode.Abnormal, reason: "", wasClean: false };
  }
}

function isUpgradeHeader(name: string): boolean {
  return name.length === 7 && name.toLowerCase() === "upgrade";
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (let i = 0; i < chunks.length; i++) {
    out.set(chunks[i], offset);
    offset += chunks[i].length;
  }
  return out;
}
