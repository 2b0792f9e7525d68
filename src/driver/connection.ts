/**
 * The connection the application sees, and the close event it gets.
 *
 * @module
 */

import type { Frame } from "../protocol/frame.ts";
import type { HttpRequest } from "../protocol/http_request.ts";
import type { CloseInfo, ReadyState } from "../protocol/protocol_events.ts";

export type { CloseInfo };

/**
 * What {@link Connection.send} accepts: text, binary data, or a ready
 * {@link Frame}.
 *
 * @example
 * ```ts
 * import { Frame, type Message } from "@anyws/anyws";
 * const messages: Message[] = ["hi", new Uint8Array([1, 2]), Frame.ping()];
 * ```
 */
export type Message = string | Uint8Array | Frame;

/**
 * Options of {@link Connection.send}.
 *
 * @example
 * ```ts
 * import type { SendOptions } from "@anyws/anyws";
 * const alreadyCompressed: SendOptions = { compress: false }; // a JPEG, say
 * ```
 */
export interface SendOptions {
  /**
   * Compress this message with permessage-deflate when it was agreed and
   * the message reaches the threshold. Default `true`.
   */
  compress?: boolean;
}

/**
 * Event names and their data types, for typed `on` and `emit`.
 *
 * @example
 * ```ts
 * import { type EventMap, Server } from "@anyws/anyws";
 * interface ChatIn extends EventMap { say: { text: string } }
 * interface ChatOut extends EventMap { said: { from: string; text: string } }
 * const server = new Server<Record<string, unknown>, ChatIn, ChatOut>({ port: 0 });
 * server.on("say", (data, conn) => {
 *   server.emit("said", { from: conn.id, text: data.text }); // both typed, no casts
 * });
 * ```
 */
export type EventMap = Record<string, unknown>;

/**
 * One open WebSocket connection, server or client side: what every anyws
 * connection offers. A server's connections add rooms and users
 * ({@link Connection}).
 *
 * Sending on a connection that is closing or closed does nothing and returns
 * `false`: nothing throws, because a peer can go away at any moment.
 *
 * @example
 * ```ts
 * import type { WebSocketConnection } from "@anyws/anyws";
 * function greet(conn: WebSocketConnection): void {
 *   conn.send(`hello ${conn.id}`);
 * }
 * ```
 */
export interface WebSocketConnection<
  Data = Record<string, unknown>,
  Out extends EventMap = EventMap,
> {
  /** Unique, unguessable id (a random UUID). */
  readonly id: string;
  /** The peer's IP address. */
  readonly remoteAddress: string;
  /** The HTTP upgrade request: method, path, query, headers. */
  readonly request: HttpRequest;
  /** The subprotocol agreed at the handshake, or `""`. */
  readonly protocol: string;
  /** Application data of this connection. */
  data: Data;
  /** 0 connecting, 1 open, 2 closing, 3 closed (the values of `WebSocket.readyState`). */
  readonly readyState: ReadyState;
  /** Bytes queued for this connection that the peer has not taken yet. */
  readonly bufferedAmount: number;
  /**
   * Sends a text message (string), a binary message (Uint8Array) or a
   * frame. Returns `false` when the connection is not open. With
   * permessage-deflate, a message reaching the threshold is compressed
   * unless `options.compress` is `false` (a frame is sent as it is).
   */
  send(message: Message, options?: SendOptions): boolean;
  /** Sends `{"event": event, "data": data}` as a text message. */
  emit<K extends string & keyof Out>(event: K, data?: Out[K]): boolean;
  /** Sends a ping (payload at most 125 bytes). */
  ping(data?: Uint8Array | string): boolean;
  /** Starts the closing handshake (RFC 6455 §7.1.2). Without a code the close frame has no body. */
  close(code?: number, reason?: string): void;
  /**
   * Drops the TCP connection at once, without a closing handshake. From
   * then on nothing more is delivered (the rest of the current read
   * included) but the `close` event, and sends return `false`.
   */
  terminate(): void;
  /**
   * Stops reading this connection's messages, for a handler doing slow
   * async work: the peer meets TCP backpressure. The rest of a read already
   * being delivered still arrives. Heartbeats do not count a paused
   * connection as silent.
   */
  pause(): void;
  /** Reads again after {@link WebSocketConnection.pause}. */
  resume(): void;
}

/**
 * One open connection of a server: a {@link WebSocketConnection} with rooms
 * and a user. The same object is passed to every handler of the connection,
 * on every engine.
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 * const server = new Server({ port: 0 });
 * server.on("open", (_request, conn) => {
 *   conn.data.joinedAt = Date.now();
 *   conn.join("lobby");
 *   conn.send(`Welcome ${conn.id} from ${conn.remoteAddress}`);
 * });
 * ```
 */
export interface Connection<
  Data = Record<string, unknown>,
  Out extends EventMap = EventMap,
  Answers extends EventMap = EventMap,
> extends WebSocketConnection<Data, Out> {
  /** The rooms this connection is in. */
  readonly rooms: ReadonlySet<string>;
  /** Joins `room` (a `join` event fires); returns `false` if already a member or not open. */
  join(room: string): boolean;
  /** Leaves `room` (a `leave` event fires); returns `false` if not a member. */
  leave(room: string): boolean;
  /** The user this connection belongs to, if any (see {@link Connection.setUser}). */
  readonly user: string | undefined;
  /**
   * Marks this connection as one of `user`'s (tabs, devices): then
   * `server.user(user)` reaches it. `undefined` detaches it.
   */
  setUser(user: string | undefined): void;
  /**
   * Asks the client and resolves with its answer (the server's side of a
   * request; `request` is the HTTP upgrade request): sends `{"event":
   * event, "data": data, "id": n}`; the client answers `{"ack": n,
   * "data"}` (an anyws `EventClient` answers with its handler's return
   * value, awaited). Rejects
   * (never throws) with a `RequestTimeoutError` after `options.timeout`
   * ms (default 10,000), a `RequestRejectedError` when the client answered
   * with an error, a `DisconnectedError` when the connection closes first
   * (or is not open), a `TooManyRequestsError` past 1024 waiting on this
   * connection, or what `JSON.stringify` throws for `data`. `Answers` (the
   * server's fourth type parameter) types the answers.
   */
  ask<K extends string & keyof Out & keyof Answers>(
    event: K,
    data?: Out[K],
    options?: { timeout?: number },
  ): Promise<Answers[K]>;
}
