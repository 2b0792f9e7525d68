// Long file: the WebSocket API's states (connecting, open, closing, closed), events and options act on one connection's state; splitting would pass that state around.
/**
 * anyws's own WebSocket client: the browser's `WebSocket` API (events,
 * `send`, `close`, `readyState`, `bufferedAmount`) on the same driver and
 * sans-I/O core as the server, in the client role, over any engine that
 * can connect. It adds what a program needs and a browser hides: request
 * headers, TLS options, limits, a heartbeat, the HTTP status of a refused
 * handshake.
 *
 * @module
 */

import { defaultEngine } from "../driver/default_engine.ts";
import type { DriverHost, DriverOptions } from "../driver/driver_host.ts";
import type {
  DeflateImplementation,
  Engine,
  Transport,
  TransportHandler,
} from "../driver/engine.ts";
import { FlushScheduler } from "../driver/flush_scheduler.ts";
import { startHeartbeat } from "../driver/heartbeat.ts";
import { TrafficCounters } from "../driver/traffic_counters.ts";
import { generateKey } from "../protocol/accept_key.ts";
import { buildUpgradeRequest } from "../protocol/client_request.ts";
import { deflateOffers } from "../protocol/deflate/client_negotiation.ts";
import { DeflateContexts } from "../protocol/deflate/deflate_contexts.ts";
import { UsageError } from "../protocol/errors.ts";
import type { ExtensionOffer } from "../protocol/extensions.ts";
import { FrameBuffers } from "../protocol/frame_buffers.ts";
import type { CloseInfo } from "../protocol/protocol_events.ts";
import type { ResponseHead } from "../protocol/response_head_reader.ts";
import { type Clock, systemClock } from "../shared/clock.ts";
import { ClientConnection } from "./client_connection.ts";
import type { HandshakeFailure } from "./client_opening.ts";
import {
  type ClientSocketOptions,
  resolveClientSocketOptions,
  type ResolvedClientSocketOptions,
} from "./client_socket_options.ts";
import { utf8Length } from "./send_queue.ts";
import { webSocketUrl } from "./websocket_url.ts";
import type {
  SocketCloseEvent,
  SocketLike,
  SocketMessageEvent,
} from "./socket_like.ts";

/**
 * An `error` event of a {@link ClientSocket}.
 *
 * @example
 * ```ts
 * import type { ClientErrorEvent } from "@anyws/anyws";
 * const log = (event: ClientErrorEvent) => console.error(event.message, event.error);
 * ```
 */
export interface ClientErrorEvent {
  /** Always `"error"`. */
  readonly type: "error";
  /** What went wrong, in words. */
  readonly message: string;
  /** The error: a `ConnectError`, a `ProtocolError`, or an `Error` describing a failed handshake. */
  readonly error: Error;
}

/**
 * The events of a {@link ClientSocket} and what their listeners receive.
 *
 * @example
 * ```ts
 * import type { ClientSocketEvents } from "@anyws/anyws";
 * const onClose: (event: ClientSocketEvents["close"]) => void = (event) =>
 *   console.log(event.code, event.reason);
 * ```
 */
export interface ClientSocketEvents {
  /** The handshake succeeded: the connection is open. */
  open: { readonly type: "open" };
  /** A message arrived: `data` is a string, or binary per `binaryType`. */
  message: SocketMessageEvent & { readonly type: "message" };
  /** The connection, or the attempt, ended. Fires once. */
  close: SocketCloseEvent & { readonly type: "close" };
  /** Something failed; `close` follows. */
  error: ClientErrorEvent;
}

type Listener<K extends keyof ClientSocketEvents> = (
  event: ClientSocketEvents[K],
) => void;

/** The client role's write buffers, shared by every client socket of the program. */
let sharedBuffers: FrameBuffers | undefined;
/** What the program's client connections count (bytes, messages, flow control). */
let sharedCounters: TrafficCounters | undefined;
/** The engine of sockets created without one (one per program). */
let sharedEngine: Engine | undefined;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * A WebSocket client connection with the browser's API, on any runtime
 * (on the runtime's own engine by default). It connects as
 * soon as it is created; `open`, `message`, `error` and `close` events
 * follow as in a browser. Binary messages arrive as `ArrayBuffer`s, or as
 * `Uint8Array`s with `binaryType = "uint8array"`.
 *
 * Failures are reported, never thrown: a refused connection, a TLS error,
 * a server that answers the upgrade with anything but a valid 101 (wrong
 * accept key, missing `Upgrade`, a subprotocol or extension not offered),
 * a protocol violation by the server, a handshake timeout. Each gives an
 * `error` event with the reason, then `close` (code 1006 before the
 * connection opened, with the HTTP `status` of a refusal; afterwards the
 * close code that ended it).
 *
 * @example
 * ```ts
 * import { ClientSocket } from "@anyws/anyws";
 * const socket = new ClientSocket("ws://127.0.0.1:8080/chat", {
 *   protocols: ["chat.v1"],
 *   headers: { Authorization: "Bearer abc" },
 * });
 * socket.addEventListener("open", () => socket.send("hello"));
 * socket.addEventListener("message", (event) => {
 *   console.log(event.data);
 *   socket.close(1000, "done");
 * });
 * socket.addEventListener("close", (event) => console.log(event.code, event.reason));
 * ```
 */
export class ClientSocket implements SocketLike {
  /** The URL connected to (`ws:` or `wss:`). */
  readonly url: string;
  /** How binary messages are delivered: `"arraybuffer"` (the default) or `"uint8array"`. */
  binaryType: string = "arraybuffer";

  readonly #host: SocketHost;
  readonly #resolved: ResolvedClientSocketOptions;
  readonly #listeners: {
    [K in keyof ClientSocketEvents]: Listener<K>[];
  } = { open: [], message: [], close: [], error: [] };
  #conn: ClientConnection | undefined;
  #state: 0 | 1 | 2 | 3 = CONNECTING;
  /** The connection ended before it opened because `close()` was called. */
  #abandoned = false;
  #closeInfo: CloseInfo | undefined;
  /** close() or terminate() was called: an abnormal end is no news. */
  #endedByUs = false;
  #stopHeartbeat: (() => void) | undefined;

  /**
   * Connects to `url` (`ws:`, `wss:`, or `http:`/`https:` meaning the
   * same). A second argument that is a string or an array is the
   * subprotocols, as in the browser. Throws a `UsageError` for a URL or an
   * option that cannot work (before any connection is attempted).
   */
  constructor(
    url: string | URL,
    options: ClientSocketOptions | string | readonly string[] = {},
  ) {
    const {
      target,
      resolved,
      given,
      engine,
      secure,
      implementation,
      offers,
      key,
      request,
    } = prepare(url, options);
    this.url = target.href;
    this.#resolved = resolved;
    const deflate = implementation === undefined || resolved.deflate === false
      ? undefined
      : new DeflateContexts(
        implementation.codec,
        resolved.deflate,
        implementation.messages,
      );
    const host = this.#host = new SocketHost(
      resolved.driver,
      deflate,
      given.clock ?? engine.clock ?? systemClock,
      {
        opened: () => this.#opened(),
        message: (data) => this.#message(data),
        errored: (error) => this.#errored(error),
        closed: (info) => {
          this.#closeInfo = info;
        },
        released: () => this.#released(),
      },
    );
    const offer = {
      key,
      protocols: resolved.protocols,
      deflate: deflate === undefined
        ? undefined
        : { contexts: deflate, offers },
      limits: {
        maxHeadBytes: resolved.driver.maxHeadBytes,
        maxHeaderCount: resolved.driver.maxHeaderCount,
      },
    };
    const { handshakeTimeout } = resolved.driver;
    const started = host.clock.now();
    const port = target.port === "" ? (secure ? 443 : 80) : Number(target.port);
    engine.connect!({
      hostname: target.hostname,
      port,
      ...(secure ? { tls: resolved.tls ?? {} } : {}),
      ...(handshakeTimeout > 0 ? { timeout: handshakeTimeout } : {}),
    }, (transport) => this.#connected(transport, request, offer, started))
      .catch((error: unknown) => this.#connectFailed(error));
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): number {
    if (this.#state !== OPEN) return this.#state;
    return this.#conn!.readyState;
  }

  /** Bytes sent and not yet handed to the network. */
  get bufferedAmount(): number {
    return this.#conn?.bufferedAmount ?? 0;
  }

  /** The subprotocol the server chose, or `""`. */
  get protocol(): string {
    return this.#conn?.protocol ?? "";
  }

  /** The extensions the server agreed to (its `Sec-WebSocket-Extensions`), or `""`. */
  get extensions(): string {
    return this.#conn?.response?.headers.get("sec-websocket-extensions") ?? "";
  }

  /** The server's 101 response (status, headers such as `Set-Cookie`), once open. */
  get response(): ResponseHead | undefined {
    return this.#conn?.response;
  }

  /** Adds a listener of `type`. */
  addEventListener<K extends keyof ClientSocketEvents>(
    type: K,
    listener: (event: ClientSocketEvents[K]) => void,
  ): void {
    const listeners = this.#listeners[type] as Listener<K>[] | undefined;
    if (listeners === undefined) {
      throw new UsageError(`Unknown event type: ${String(type)}`);
    }
    if (!listeners.includes(listener)) listeners.push(listener);
  }

  /** Removes a listener added with {@link addEventListener}. */
  removeEventListener<K extends keyof ClientSocketEvents>(
    type: K,
    listener: (event: ClientSocketEvents[K]) => void,
  ): void {
    const listeners = this.#listeners[type] as Listener<K>[] | undefined;
    const index = listeners?.indexOf(listener) ?? -1;
    if (index >= 0) listeners!.splice(index, 1);
  }

  /**
   * Sends a text (string) or binary message. Throws a `UsageError` while
   * connecting (as a browser does); returns `false` once closing or closed
   * (nothing is sent).
   */
  send(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): boolean {
    if (this.#state === CONNECTING) {
      throw new UsageError("The connection is not open yet");
    }
    const conn = this.#conn;
    if (this.#state !== OPEN || conn === undefined) return false;
    if (typeof data === "string" || data instanceof Uint8Array) {
      return conn.send(data);
    }
    if (data instanceof ArrayBuffer) return conn.send(new Uint8Array(data));
    if (ArrayBuffer.isView(data)) {
      return conn.send(
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      );
    }
    throw new UsageError(
      `Cannot send ${Object.prototype.toString.call(data)}`,
    );
  }

  /** Sends a ping; returns `false` unless open. */
  ping(data?: Uint8Array | string): boolean {
    return this.#state === OPEN && this.#conn!.ping(data);
  }

  /**
   * Starts the closing handshake with `code` (1000, or 3000 to 4999) and
   * `reason` (at most 123 bytes of UTF-8), or ends a connection attempt.
   * Throws a `UsageError` for another code or a longer reason, as a
   * browser does.
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
    if (this.#state === CLOSING || this.#state === CLOSED) return;
    this.#endedByUs = true;
    if (this.#state === CONNECTING) {
      this.#abandoned = true;
      this.#state = CLOSING;
      this.#conn?.terminate();
      return;
    }
    this.#conn!.close(code ?? 1000, reason);
  }

  /** Drops the connection at once, without a closing handshake. */
  terminate(): void {
    if (this.#state === CLOSED) return;
    this.#endedByUs = true;
    if (this.#state === CONNECTING) {
      this.#abandoned = true;
      this.#state = CLOSING;
    }
    this.#conn?.terminate();
  }

  // ── connecting ────────────────────────────────────────────────────────

  #connected(
    transport: Transport,
    request: Uint8Array,
    offer: ConstructorParameters<typeof ClientConnection>[3],
    started: number,
  ): TransportHandler {
    if (this.#abandoned) {
      // close() came first: send nothing (the request may carry
      // credentials) and report the end once the transport is gone.
      transport.abort();
      return {
        onData() {},
        onDrain() {},
        onEnd() {},
        onClose: () => this.#released(),
      };
    }
    const host = this.#host;
    const { handshakeTimeout } = host.options;
    if (handshakeTimeout > 0) {
      // The rest of the handshake gets what the connect left of the time.
      const left = handshakeTimeout - (host.clock.now() - started);
      host.options = {
        ...host.options,
        handshakeTimeout: Math.max(1, Math.ceil(left)),
      };
    }
    const conn = new ClientConnection(
      host,
      transport,
      request,
      offer,
      handshakeTimeout,
    );
    this.#conn = conn;
    return conn;
  }

  #connectFailed(error: unknown): void {
    if (this.#state === CLOSED || this.#conn !== undefined) return;
    if (!this.#abandoned) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.#emitError(failure.message, failure);
    }
    this.#finish({ code: 1006, reason: "", wasClean: false });
  }

  // ── what the connection reports (through the host) ────────────────────

  #opened(): void {
    if (this.#abandoned) return;
    this.#state = OPEN;
    const { pingInterval, idleTimeout } = this.#resolved;
    const conn = this.#conn!;
    this.#stopHeartbeat = startHeartbeat(
      this.#host.clock,
      { pingInterval, idleTimeout },
      () => [conn],
    );
    this.#dispatch("open", { type: "open" });
  }

  #message(data: string | Uint8Array): void {
    let delivered: unknown = data;
    if (typeof data !== "string" && this.binaryType !== "uint8array") {
      delivered = data.byteOffset === 0 &&
          data.byteLength === data.buffer.byteLength &&
          data.buffer instanceof ArrayBuffer
        ? data.buffer
        : data.slice().buffer;
    }
    this.#dispatch("message", { type: "message", data: delivered });
  }

  #errored(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    this.#emitError(failure.message, failure);
  }

  #released(): void {
    this.#stopHeartbeat?.();
    this.#stopHeartbeat = undefined;
    const info = this.#closeInfo;
    if (info !== undefined) {
      // RFC 6455 §7.1.5: no close frame came (1006). Unless we dropped
      // it, the server did: mid-frame, or right after the 101.
      if (info.code === 1006 && !this.#endedByUs) {
        const message =
          "The server closed the connection without a close frame (1006)";
        this.#emitError(message, new Error(message));
      }
      this.#finish(info);
      return;
    }
    const failure: HandshakeFailure = this.#conn?.handshakeFailure ??
      (this.#abandoned
        ? { message: "The connection was closed before it opened" }
        : { message: "The connection closed during the handshake" });
    if (!this.#abandoned) {
      this.#emitError(failure.message, new Error(failure.message));
    }
    this.#finish({
      code: 1006,
      reason: "",
      wasClean: false,
      ...(failure.status === undefined ? {} : { status: failure.status }),
      ...(failure.retryAfter === undefined
        ? {}
        : { retryAfter: failure.retryAfter }),
    });
  }

  // ── events ────────────────────────────────────────────────────────────

  #emitError(message: string, error: Error): void {
    this.#dispatch("error", { type: "error", message, error });
  }

  #finish(info: SocketCloseEvent): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#dispatch("close", { type: "close", ...info });
  }

  #dispatch<K extends keyof ClientSocketEvents>(
    type: K,
    event: ClientSocketEvents[K],
  ): void {
    const listeners = this.#listeners[type] as Listener<K>[];
    if (listeners.length === 0) return;
    for (const listener of listeners.slice()) {
      try {
        listener(event);
      } catch (error) {
        // As in a browser: a failing listener is reported, the socket and
        // the other listeners carry on.
        console.error(`anyws: a client "${type}" listener failed`, error);
      }
    }
  }
}

/**
 * Throws the `UsageError` that `new ClientSocket(url, options)` would
 * throw for a URL or an option that cannot work, without connecting:
 * for a caller that creates sockets later (such as a reconnecting client),
 * so that a mistake fails at once instead of at every attempt.
 *
 * @example
 * ```ts
 * import { checkClientSocket } from "./client_socket.ts";
 * try {
 *   checkClientSocket("ws://example.com/", { headers: { "X-Id": "a\r\nb" } });
 * } catch (error) {
 *   console.log((error as Error).message); // Invalid character in the X-Id header: U+000D
 * }
 * ```
 */
export function checkClientSocket(
  url: string | URL,
  options: ClientSocketOptions | string | readonly string[] = {},
): void {
  prepare(url, options);
}

/** Everything a socket needs before it connects, checked. */
function prepare(
  url: string | URL,
  options: ClientSocketOptions | string | readonly string[],
) {
  const target = webSocketUrl(url);
  const given = typeof options === "object" && !Array.isArray(options)
    ? options as ClientSocketOptions
    : {};
  const resolved = resolveClientSocketOptions(
    typeof options === "string" || Array.isArray(options)
      ? { protocols: options as string | readonly string[] }
      : options as ClientSocketOptions,
  );
  const engine = given.engine ?? (sharedEngine ??= defaultEngine());
  if (engine.connect === undefined) {
    throw new UsageError(
      `The ${engine.name} engine cannot open connections`,
    );
  }
  const secure = target.protocol === "wss:";
  if (resolved.tls !== undefined && !secure) {
    throw new UsageError(
      `TLS options need a wss:// URL (got ${target.href})`,
    );
  }
  let implementation: DeflateImplementation | undefined;
  let offers: ExtensionOffer[] = [];
  if (resolved.deflate !== false) {
    implementation = engine.deflate;
    if (implementation !== undefined) {
      offers = deflateOffers(resolved.deflate);
    } else if (resolved.deflateRequired) {
      throw new UsageError(
        `The ${engine.name} engine has no DEFLATE: permessage-deflate cannot be offered`,
      );
    }
  }
  const key = generateKey();
  const request = buildUpgradeRequest(target, {
    key,
    protocols: resolved.protocols,
    extensions: offers,
    origin: resolved.origin,
    headers: resolved.headers,
  });
  return {
    target,
    resolved,
    given,
    engine,
    secure,
    implementation,
    offers,
    key,
    request,
  };
}

/** What a socket hears from its connection. */
interface SocketReports {
  opened(): void;
  message(data: string | Uint8Array): void;
  errored(error: unknown): void;
  closed(info: CloseInfo): void;
  released(): void;
}

/**
 * The driver host of one client socket: the client role, the socket's
 * options and timers, and the program's shared write buffers. Kept apart
 * from the socket so that the socket's API is the WebSocket API only.
 */
class SocketHost implements DriverHost<Record<string, unknown>> {
  readonly role = "client" as const;
  options: DriverOptions;
  readonly deflate: DeflateContexts | undefined;
  readonly buffers: FrameBuffers = sharedBuffers ??= new FrameBuffers("client");
  readonly scheduler: FlushScheduler;
  readonly clock: Clock;
  readonly counters: TrafficCounters = sharedCounters ??= new TrafficCounters();
  readonly #reports: SocketReports;

  constructor(
    options: DriverOptions,
    deflate: DeflateContexts | undefined,
    clock: Clock,
    reports: SocketReports,
  ) {
    this.options = options;
    this.deflate = deflate;
    this.clock = clock;
    this.#reports = reports;
    this.scheduler = new FlushScheduler((error) => reports.errored(error));
  }

  opened(): void {
    this.#reports.opened();
  }

  message(_conn: unknown, data: string | Uint8Array): void {
    this.#reports.message(data);
  }

  errored(error: unknown): void {
    this.#reports.errored(error);
  }

  drained(): void {}

  closed(_conn: unknown, info: CloseInfo): void {
    this.#reports.closed(info);
  }

  released(): void {
    this.#reports.released();
  }
}
