// Long file: one state machine (connecting, handshaking, open, waiting, closing) that reconnect, the queue, requests and sessions all act on.
/**
 * The event client: the JSON event protocol of an anyws server (events,
 * requests and answers both ways, sessions that resume) over any
 * WebSocket-like socket, reconnecting by itself.
 *
 * @module
 */

import type { EventMap } from "../driver/connection.ts";
import { UsageError } from "../protocol/errors.ts";
import {
  type AnyHandler,
  EventRegistry,
  isPromiseLike,
} from "../events/event_registry.ts";
import type { TimerHandle } from "../shared/clock.ts";
import {
  EVENT_CLIENT_PARAM,
  EVENT_PROTOCOL_VERSION,
  isLibraryEvent,
  SESSION_EVENT,
} from "../events/names.ts";
import { PendingRequests } from "../events/pending_requests.ts";
import { DisconnectedError } from "../events/request_errors.ts";
import {
  encodeHello,
  readSession,
  type SessionInfo,
} from "../events/session_messages.ts";
import {
  type AckErrorBody,
  type AckId,
  encodeAck,
  encodeAckError,
  encodeEvent,
  parseIncoming,
} from "../events/wire.ts";
import { backoffDelay } from "./backoff.ts";
import { CLIENT_EVENTS, type ClientEvents } from "./client_events.ts";
import {
  type EventClientOptions,
  resolveClientOptions,
  type ResolvedClientOptions,
} from "./event_client_options.ts";
import type { Disconnect } from "./reconnect_policy.ts";
import { SendQueue, utf8Length } from "./send_queue.ts";
import type { SocketCloseEvent, SocketLike } from "./socket_like.ts";
import { webSocketUrl } from "./websocket_url.ts";

/**
 * Options of {@link EventClient.request}.
 *
 * @example
 * ```ts
 * import type { RequestOptions } from "./event_client.ts";
 * const options: RequestOptions = { timeout: 2000 };
 * ```
 */
export interface RequestOptions {
  /** How long to wait for the answer, in ms (`Infinity`: forever). Default the client's `requestTimeout`. */
  timeout?: number;
}

/**
 * Where the client is: `connecting` (a socket is being opened),
 * `handshaking` (open, waiting for the session message), `open`,
 * `waiting` (a reconnect is scheduled), `closing` (after `close()`, while
 * the closing handshake runs), `closed` (for good).
 */
type Phase =
  | "connecting"
  | "handshaking"
  | "open"
  | "waiting"
  | "closing"
  | "closed";

/**
 * A client of the JSON event protocol, with the API of a server connection:
 * `on(event, handler)`, `emit`, `send`, `request`, `close`, `readyState`,
 * `bufferedAmount`, `id`. It connects as soon as it is created.
 *
 * - **Events**: `emit("say", data)` sends `{"event": "say", "data": data}`;
 *   `on("said", handler)` receives the server's `said` events. `In` types
 *   the events the server sends, `Out` those the client sends, `Answers`
 *   the answers to the client's requests.
 * - **Requests both ways**: `await request("add", [1, 2])` resolves with the
 *   server's answer; when the server asks the client (`{"event", "data",
 *   "id"}`), the last handler's return value (awaited) is sent back as
 *   `{"ack": id, "data"}`, or its error as `{"ack": id, "error":
 *   {"message"}}`. A server request with no handler is answered with an
 *   error at once.
 * - **Reconnect** (on by default): exponential backoff with jitter (see
 *   `DEFAULT_BACKOFF`), on network errors, handshake timeouts, 5xx, 408,
 *   429 and close codes 1001/1006/1011/1012/1013/1014 (see
 *   `isRetryable`); `close()` stops it.
 * - **Queue**: what is sent while disconnected waits in a bounded queue
 *   (1000 messages, 1 MiB by default) and is sent once, in order, after
 *   the reconnect; a message over the bounds throws a `QueueFullError`.
 *   Delivery is at most once: a message handed to a socket that then drops
 *   is not sent again (a request sent on it rejects with
 *   `DisconnectedError`).
 * - **Sessions**: the server gives each connection an id and a resume
 *   token; after a drop the client presents the token, and if the server
 *   still holds the session (same id, rooms, user, data) the client emits
 *   `resume`, otherwise `open` again.
 *
 * @example
 * ```ts
 * import { EventClient } from "./event_client.ts";
 * import { type EventMap } from "@anyws/anyws";
 * interface FromServer extends EventMap { said: { from: string; text: string } }
 * interface ToServer extends EventMap { say: { text: string }; add: [number, number] }
 * interface Answers extends EventMap { add: number }
 * const client = new EventClient<FromServer, ToServer, Answers>("ws://127.0.0.1:8080/chat");
 * client.on("open", ({ id }) => console.log("connected as", id));
 * client.on("said", ({ from, text }) => console.log(`${from}: ${text}`));
 * client.emit("say", { text: "hello" }); // queued until connected
 * const sum: number = await client.request("add", [1, 2], { timeout: 2000 });
 * client.close();
 * ```
 */
export class EventClient<
  In extends EventMap = EventMap,
  Out extends EventMap = EventMap,
  Answers extends EventMap = EventMap,
> {
  /** The URL given (without the session marker). */
  readonly url: string;

  readonly #options: ResolvedClientOptions;
  readonly #connectUrl: string;
  readonly #events = new EventRegistry((error, event) =>
    this.#handlerFailed(error, event)
  );
  readonly #pending: PendingRequests;
  readonly #queue: SendQueue;
  #phase: Phase = "connecting";
  #socket: SocketLike | undefined;
  #handshakeTimer: TimerHandle | undefined;
  #retryTimer: TimerHandle | undefined;
  /** Failed attempts in a row since the last stable connection. */
  #attempt = 0;
  #everOpened = false;
  #connectionOpen = false;
  #openedAt = 0;
  /** While `open`/`resume`/`reconnected` handlers run: their sends go first. */
  #direct = false;
  #closeRequest: { code: number; reason: string } | undefined;
  #id: string | undefined;
  #token: string | undefined;

  /**
   * Connects to `url` (`ws:`, `wss:`, or `http:`/`https:` meaning the
   * same); see {@link EventClientOptions}. Throws a `UsageError` for a
   * URL or option that cannot work.
   */
  constructor(url: string | URL, options: EventClientOptions = {}) {
    const parsed = webSocketUrl(url);
    this.url = parsed.href;
    this.#options = resolveClientOptions(options);
    if (this.#options.session) {
      parsed.searchParams.set(
        EVENT_CLIENT_PARAM,
        String(EVENT_PROTOCOL_VERSION),
      );
    }
    this.#connectUrl = parsed.href;
    this.#pending = new PendingRequests({
      maxPending: this.#options.maxPendingRequests,
      clock: this.#options.clock,
    });
    this.#queue = new SendQueue(this.#options.queue);
    // After the caller's own code: handlers registered right after `new`
    // see every event, even a socket factory that fails at once.
    queueMicrotask(() => this.#connect());
  }

  /** 0 connecting (also while a reconnect waits), 1 open, 2 closing, 3 closed. */
  get readyState(): 0 | 1 | 2 | 3 {
    switch (this.#phase) {
      case "open":
        return 1;
      case "closing":
        return 2;
      case "closed":
        return 3;
      default:
        return 0;
    }
  }

  /** The connection id the server gave (kept across a resume), or `undefined`. */
  get id(): string | undefined {
    return this.#id;
  }

  /** Bytes not yet handed to the network: the socket's, plus the queue's. */
  get bufferedAmount(): number {
    return (this.#socket?.bufferedAmount ?? 0) + this.#queue.bytes;
  }

  /** How many messages wait in the queue for a connection. */
  get queuedMessages(): number {
    return this.#queue.length;
  }

  /** The subprotocol the server chose, or `""`. */
  get protocol(): string {
    return this.#socket?.protocol ?? "";
  }

  /** The extensions the server chose, or `""`. */
  get extensions(): string {
    return this.#socket?.extensions ?? "";
  }

  /** Adds a handler of one of the client's own events (see {@link ClientEvents}). */
  on<K extends keyof ClientEvents>(
    event: K,
    handler: ClientEvents[K],
  ): () => void;
  /**
   * Adds a handler of the server's event `event`. When the server sends it
   * as a request, the last handler's return value (awaited) is the answer.
   */
  on<K extends string & keyof In>(
    event: K,
    handler: (data: In[K]) => unknown,
  ): () => void;
  /**
   * Adds a handler; several handlers of one event run in registration
   * order. Returns a function that removes it. Names starting with
   * `anyws:` are the library's and throw a `UsageError`.
   */
  on(event: string, handler: AnyHandler): () => void {
    if (isLibraryEvent(event)) {
      throw new UsageError(`Event names starting with "anyws:" are reserved`);
    }
    return this.#events.on(event, handler);
  }

  /**
   * Sends a text (string) or binary (Uint8Array) message: at once when
   * open, otherwise into the queue. Returns `false` when the client is
   * closing or closed (nothing is sent); throws a `QueueFullError` when
   * the queue cannot take it.
   */
  send(message: string | Uint8Array): boolean {
    if (this.#phase === "closing" || this.#phase === "closed") return false;
    this.#write(typeof message === "string" ? message : ownBytes(message));
    return true;
  }

  /**
   * Sends `{"event": event, "data": data}` (see {@link send} for the
   * result). Throws what `JSON.stringify` throws for data it cannot
   * encode.
   */
  emit<K extends string & keyof Out>(event: K, data?: Out[K]): boolean {
    if (isLibraryEvent(event)) {
      throw new UsageError(`Event names starting with "anyws:" are reserved`);
    }
    if (this.#phase === "closing" || this.#phase === "closed") return false;
    this.#write(encodeEvent(event, data));
    return true;
  }

  /**
   * Sends `event` as a request and resolves with the server's answer.
   * Rejects (never throws) with a `RequestTimeoutError`, a
   * `RequestRejectedError` (the server answered with an error), a
   * `DisconnectedError` (the connection it was sent on dropped, or the
   * client closed), a `TooManyRequestsError`, a `QueueFullError`, or what
   * `JSON.stringify` throws.
   */
  request<K extends string & keyof Out>(
    event: K,
    data?: Out[K],
    options: RequestOptions = {},
  ): Promise<Answers[K]> {
    if (isLibraryEvent(event)) {
      return Promise.reject(
        new UsageError(`Event names starting with "anyws:" are reserved`),
      );
    }
    if (this.#phase === "closing" || this.#phase === "closed") {
      return Promise.reject(
        new DisconnectedError(event, "the client is closed"),
      );
    }
    let request: { id: number; promise: Promise<unknown> };
    try {
      request = this.#pending.add(
        event,
        options.timeout ?? this.#options.requestTimeout,
      );
    } catch (error) {
      return Promise.reject(error);
    }
    try {
      this.#write(encodeEvent(event, data, request.id), request.id);
    } catch (error) {
      this.#pending.cancel(request.id, () => error as Error);
    }
    return request.promise as Promise<Answers[K]>;
  }

  /**
   * Closes the connection (code 1000 by default; else 3000-4999) and stops
   * reconnecting. Queued messages are dropped; waiting requests reject
   * with a `DisconnectedError`. Before the connection is open, the client
   * ends at once and `close` reports the code given.
   */
  close(code?: number, reason = ""): void {
    if (
      code !== undefined &&
      !(code === 1000 ||
        (Number.isInteger(code) && code >= 3000 && code <= 4999))
    ) {
      throw new UsageError(
        `Invalid close code: ${code} (use 1000 or 3000-4999)`,
      );
    }
    if (utf8Length(reason) > 123) {
      throw new UsageError("Close reason longer than 123 bytes");
    }
    if (this.#phase === "closing" || this.#phase === "closed") return;
    this.#closeRequest = { code: code ?? 1000, reason };
    this.#options.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const socket = this.#socket;
    if (socket !== undefined && this.#connectionOpen) {
      this.#phase = "closing";
      socket.close(code ?? 1000, reason);
      return;
    }
    // Not open (connecting, handshaking, waiting): end here.
    this.#detach();
    this.#finish({ code: code ?? 1000, reason, wasClean: true });
  }

  // ── connecting ────────────────────────────────────────────────────────

  #connect(): void {
    if (this.#phase === "closing" || this.#phase === "closed") return;
    this.#retryTimer = undefined;
    this.#phase = "connecting";
    let socket: SocketLike;
    try {
      socket = this.#options.socket(this.#connectUrl, this.#options.protocols);
    } catch (error) {
      this.#reportError(
        new Error(`Could not create a socket for ${this.url}`, {
          cause: error,
        }),
      );
      this.#ended({ code: 1006, reason: "", wasClean: false, opened: false });
      return;
    }
    this.#socket = socket;
    try {
      socket.binaryType = "arraybuffer";
    } catch {
      // A socket that only knows one binary type; messages are checked anyway.
    }
    socket.addEventListener("open", () => {
      if (socket === this.#socket) this.#socketOpened(socket);
    });
    socket.addEventListener("message", (event) => {
      if (socket === this.#socket) this.#received(socket, event.data);
    });
    socket.addEventListener("close", (event) => {
      if (socket === this.#socket) this.#socketClosed(event);
    });
    socket.addEventListener("error", (event) => {
      if (socket === this.#socket) this.#socketErrored(event);
    });
    this.#handshakeTimer = this.#options.clock.setTimeout(
      () => this.#handshakeTimedOut(socket),
      this.#options.handshakeTimeout,
    );
  }

  #socketOpened(socket: SocketLike): void {
    if (!this.#options.session) {
      this.#established(undefined);
      return;
    }
    this.#phase = "handshaking";
    socket.send(encodeHello(this.#token));
  }

  #handshakeTimedOut(socket: SocketLike): void {
    if (socket !== this.#socket) return;
    this.#detach();
    const what = this.#options.session
      ? "no anyws:session message (set session: false for a server without sessions)"
      : "the connection did not open";
    this.#reportError(
      new Error(
        `Handshake timeout: ${what} within ${this.#options.handshakeTimeout} ms from ${this.url}`,
      ),
    );
    this.#ended({
      code: 1006,
      reason: "",
      wasClean: false,
      opened: false,
      timedOut: true,
    });
  }

  /** The session began (or, without sessions, the socket opened). */
  #established(session: SessionInfo | undefined): void {
    this.#options.clock.clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    const reconnected = this.#everOpened;
    this.#everOpened = true;
    this.#phase = "open";
    this.#connectionOpen = true;
    this.#openedAt = this.#options.clock.now();
    if (session !== undefined) {
      this.#id = session.id;
      this.#token = session.token;
    }
    const resumed = session?.resumed === true;
    this.#direct = true;
    try {
      if (reconnected) {
        this.#events.emit("reconnected", { attempt: this.#attempt, resumed });
      }
      if (resumed) this.#events.emit("resume", { id: this.#id });
      else this.#events.emit("open", { id: this.#id });
    } finally {
      this.#direct = false;
    }
    this.#flush();
  }

  /** Sends what waited in the queue, oldest first. */
  #flush(): void {
    while (
      this.#phase === "open" && this.#socket !== undefined &&
      this.#queue.length > 0
    ) {
      const item = this.#queue.shift()!;
      // A request that timed out while queued is not sent any more.
      if (item.ackId !== undefined && !this.#pending.has(item.ackId)) continue;
      this.#socket.send(item.data);
    }
  }

  #write(data: string | Uint8Array<ArrayBuffer>, ackId?: number): void {
    const socket = this.#socket;
    if (
      this.#phase === "open" && socket !== undefined &&
      (this.#queue.length === 0 || this.#direct)
    ) {
      socket.send(data);
      return;
    }
    this.#queue.push(data, ackId);
  }

  // ── ending ────────────────────────────────────────────────────────────

  #socketErrored(event: unknown): void {
    const detail = event as { message?: unknown; error?: unknown } | null;
    const message = typeof detail?.message === "string" && detail.message
      ? `: ${detail.message}`
      : "";
    this.#reportError(
      new Error(`WebSocket error (${this.url})${message}`, {
        cause: detail?.error ?? event,
      }),
    );
  }

  #socketClosed(event: SocketCloseEvent): void {
    const opened = this.#connectionOpen;
    this.#detach();
    // A code outside 1000-4999 means no close frame came: some runtimes'
    // WebSocket reports 0 for a dropped TCP connection where browsers
    // report 1006.
    const code = Number.isInteger(event.code) && event.code >= 1000 &&
        event.code <= 4999
      ? event.code
      : 1006;
    const disconnect: Disconnect = {
      code,
      reason: event.reason,
      wasClean: event.wasClean,
      opened,
      ...(event.status === undefined ? {} : { status: event.status }),
      ...(event.retryAfter === undefined
        ? {}
        : { retryAfter: event.retryAfter }),
    };
    this.#ended(disconnect);
  }

  /** Forgets the current socket (closing it if need be) and its timer. */
  #detach(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#options.clock.clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    if (socket !== undefined && socket.readyState < 2) {
      try {
        socket.close();
      } catch {
        // Already failing: nothing more to do with it.
      }
    }
  }

  /** A connection or an attempt ended: retry, or finish. */
  #ended(disconnect: Disconnect): void {
    const wasOpen = this.#connectionOpen;
    this.#connectionOpen = false;
    const why = `the connection closed (code ${disconnect.code})`;
    // Requests written to the dropped socket can no longer be answered;
    // those still queued go out on the next connection.
    this.#pending.rejectAll(
      (event) => new DisconnectedError(event, why),
      (id) => this.#queue.holds(id),
    );
    const { backoff, clock } = this.#options;
    if (
      wasOpen && backoff !== undefined &&
      clock.now() - this.#openedAt >= backoff.resetAfter
    ) {
      this.#attempt = 0;
    }
    const retry = this.#closeRequest === undefined && backoff !== undefined &&
      this.#attempt < backoff.maxAttempts &&
      this.#options.shouldReconnect(disconnect, this.#attempt + 1);
    if (!retry) {
      this.#finish(disconnect);
      return;
    }
    this.#phase = "waiting";
    this.#attempt++;
    let delay = backoffDelay(this.#attempt, backoff, this.#options.random);
    if (disconnect.retryAfter !== undefined && disconnect.retryAfter > 0) {
      delay = Math.max(
        delay,
        Math.min(disconnect.retryAfter * 1000, backoff.maxDelay),
      );
    }
    if (wasOpen) {
      this.#events.emit("close", {
        code: disconnect.code,
        reason: disconnect.reason,
        wasClean: disconnect.wasClean,
        reconnecting: true,
      });
    }
    // A close handler may have closed the client.
    if (this.#phase !== "waiting") return;
    this.#retryTimer = clock.setTimeout(() => this.#connect(), delay);
    this.#events.emit("reconnecting", {
      attempt: this.#attempt,
      delay,
      code: disconnect.code,
      ...(disconnect.status === undefined ? {} : { status: disconnect.status }),
    });
  }

  /** The client is done: no socket, no reconnect. */
  #finish(info: { code: number; reason: string; wasClean: boolean }): void {
    this.#phase = "closed";
    this.#token = undefined;
    const closed = this.#closeRequest !== undefined;
    const why = closed
      ? "the client was closed"
      : `the client stopped reconnecting (code ${info.code})`;
    this.#pending.rejectAll((event) => new DisconnectedError(event, why));
    const unsent = this.#queue.clear();
    if (unsent.length > 0 && !closed) {
      this.#reportError(
        new Error(
          `${unsent.length} queued message(s) were not sent: ${why}`,
        ),
      );
    }
    this.#events.emit("close", {
      code: info.code,
      reason: info.reason,
      wasClean: info.wasClean,
      reconnecting: false,
    });
  }

  // ── receiving ─────────────────────────────────────────────────────────

  #received(socket: SocketLike, data: unknown): void {
    if (typeof data === "string") {
      this.#receivedText(socket, data);
    } else if (data instanceof ArrayBuffer) {
      this.#events.emit("message", new Uint8Array(data));
    } else if (ArrayBuffer.isView(data)) {
      this.#events.emit(
        "message",
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      );
    } else {
      this.#reportError(
        new Error(
          `Unsupported message data from the socket: ${
            Object.prototype.toString.call(data)
          }`,
        ),
      );
    }
  }

  #receivedText(socket: SocketLike, text: string): void {
    const incoming = parseIncoming(text, this.#options.limits);
    switch (incoming.kind) {
      case "ack":
        this.#pending.settle(incoming);
        return;
      case "refused":
        this.#reportError(
          new Error(`Dropped a message from the server: ${incoming.message}`),
        );
        return;
      case "other":
        this.#events.emit("message", text);
        return;
    }
    const { event, data, id } = incoming;
    if (isLibraryEvent(event)) {
      this.#libraryEvent(event, data);
      return;
    }
    const handlers = CLIENT_EVENTS.has(event)
      ? []
      : this.#events.handlers(event);
    if (handlers.length === 0) {
      this.#events.emit("message", text);
      if (id !== undefined) {
        this.#answer(socket, id, undefined, {
          message: `No handler for "${event}" on the client`,
        });
      }
      return;
    }
    for (let i = 0; i < handlers.length; i++) {
      const ackId = i === handlers.length - 1 ? id : undefined;
      let value: unknown;
      try {
        value = handlers[i](data);
      } catch (error) {
        this.#requestFailed(socket, event, error, ackId);
        continue;
      }
      if (isPromiseLike(value)) {
        value.then(
          (result) =>
            ackId !== undefined && this.#answer(socket, ackId, result),
          (error) => this.#requestFailed(socket, event, error, ackId),
        );
      } else if (ackId !== undefined) {
        this.#answer(socket, ackId, value);
      }
    }
  }

  #libraryEvent(event: string, data: unknown): void {
    if (event !== SESSION_EVENT || !this.#options.session) return;
    const session = readSession(data);
    if (session === undefined) {
      this.#reportError(new Error("Malformed anyws:session message"));
      return;
    }
    if (this.#phase === "handshaking") {
      this.#established(session);
    } else if (this.#phase === "open") {
      // The server handed out a new token (or id) mid-connection.
      this.#id = session.id;
      this.#token = session.token;
    }
  }

  /**
   * Answers a server request on the connection it came on; an answer for
   * a connection that has dropped is dropped too (the server has already
   * failed that request).
   */
  #answer(
    socket: SocketLike,
    id: AckId,
    result: unknown,
    error?: AckErrorBody,
  ): void {
    if (socket !== this.#socket || !this.#connectionOpen) return;
    let text: string;
    try {
      text = error === undefined
        ? encodeAck(id, result)
        : encodeAckError(id, error);
    } catch (failure) {
      this.#reportError(
        new Error(`Could not encode the answer to request ${id}`, {
          cause: failure,
        }),
      );
      text = encodeAckError(id, { message: "Answer could not be encoded" });
    }
    this.#write(text);
  }

  #requestFailed(
    socket: SocketLike,
    event: string,
    error: unknown,
    ackId: AckId | undefined,
  ): void {
    this.#handlerFailed(error, event);
    if (ackId === undefined) return;
    const message = error instanceof Error ? error.message : String(error);
    const issues = (error as { issues?: unknown } | null)?.issues;
    this.#answer(
      socket,
      ackId,
      undefined,
      Array.isArray(issues) ? { message, issues } : { message },
    );
  }

  // ── errors ────────────────────────────────────────────────────────────

  #handlerFailed(error: unknown, event: string): void {
    if (event === "error") {
      console.error("anyws: an error handler failed", error);
      return;
    }
    const failure = error instanceof Error
      ? error
      : new Error(`A "${event}" handler failed: ${String(error)}`);
    if (this.#events.has("error")) this.#events.emit("error", failure);
    else console.error(`anyws: a "${event}" handler failed`, error);
  }

  #reportError(error: Error): void {
    if (this.#events.has("error")) this.#events.emit("error", error);
  }
}

/** Bytes a socket can send: over a plain ArrayBuffer (a copy otherwise). */
function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : bytes.slice() as Uint8Array<ArrayBuffer>;
}
