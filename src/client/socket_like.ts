/**
 * The part of the browser's `WebSocket` the event client uses, so that the
 * same client runs over the browser's `WebSocket`, a runtime's own
 * `WebSocket`, anyws's runtime connection, or a fake in tests.
 *
 * @module
 */

/**
 * A message event: `data` is a string for text, an `ArrayBuffer` (or a
 * `Uint8Array`) for binary.
 *
 * @example
 * ```ts
 * import type { SocketMessageEvent } from "./socket_like.ts";
 * const event: SocketMessageEvent = { data: "hello" };
 * ```
 */
export interface SocketMessageEvent {
  /** The message. */
  readonly data: unknown;
}

/**
 * A close event. `status` and `retryAfter` are extensions a browser never
 * sets: a socket that knows the HTTP status of a refused handshake (anyws's
 * runtime client) reports it there, so that a 4xx is told from a 5xx.
 *
 * @example
 * ```ts
 * import type { SocketCloseEvent } from "./socket_like.ts";
 * const refused: SocketCloseEvent = { code: 1006, reason: "", wasClean: false, status: 503, retryAfter: 5 };
 * ```
 */
export interface SocketCloseEvent {
  /** The close code (1006 when no close frame came). */
  readonly code: number;
  /** The close reason. */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
  /** The HTTP status of a refused handshake, if known. */
  readonly status?: number;
  /** The `Retry-After` of a refused handshake, in seconds, if known. */
  readonly retryAfter?: number;
}

/**
 * What a WebSocket-like object must offer: exactly what the browser's
 * `WebSocket` has (a browser `WebSocket` is a `SocketLike` as it is). The
 * event client sets `binaryType` to `"arraybuffer"`, listens with
 * `addEventListener`, and only calls `send` while `readyState` is 1 (open).
 *
 * @example
 * ```ts
 * import type { SocketLike } from "./socket_like.ts";
 * const socket: SocketLike = new WebSocket("ws://127.0.0.1:8080");
 * socket.addEventListener("close", (event) => console.log(event.code));
 * socket.close();
 * ```
 */
export interface SocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes sent but not yet handed to the network. */
  readonly bufferedAmount: number;
  /** The subprotocol the server chose, or `""`. */
  readonly protocol: string;
  /** The extensions the server chose, or `""`. */
  readonly extensions: string;
  /** How binary messages are delivered; the client sets `"arraybuffer"`. */
  binaryType: string;
  /** Sends a text or binary message. */
  send(data: string | Uint8Array<ArrayBuffer>): void;
  /** Starts the closing handshake (or abandons a connection attempt). */
  close(code?: number, reason?: string): void;
  /** The connection opened. */
  addEventListener(type: "open", listener: (event: unknown) => void): void;
  /** A message arrived. */
  addEventListener(
    type: "message",
    listener: (event: SocketMessageEvent) => void,
  ): void;
  /** The connection (or the attempt) ended. */
  addEventListener(
    type: "close",
    listener: (event: SocketCloseEvent) => void,
  ): void;
  /** Something failed; a `close` event follows. */
  addEventListener(type: "error", listener: (event: unknown) => void): void;
}

/**
 * Creates a socket connecting to `url` and offering `protocols`: for the
 * browser, `(url, protocols) => new WebSocket(url, protocols)`.
 *
 * @example
 * ```ts
 * import type { SocketFactory } from "./socket_like.ts";
 * const browserSockets: SocketFactory = (url, protocols) => new WebSocket(url, protocols);
 * ```
 */
export type SocketFactory = (url: string, protocols: string[]) => SocketLike;
