/**
 * `connect(url, options)`: the event client on every runtime, over
 * anyws's own client socket (so it has request headers, TLS options,
 * limits, compression and a heartbeat), reconnecting by itself.
 *
 * @module
 */

import type { EventMap } from "../driver/connection.ts";
import { checkClientSocket, ClientSocket } from "./client_socket.ts";
import type { ClientSocketOptions } from "./client_socket_options.ts";
import { EventClient } from "./event_client.ts";
import type { EventClientOptions } from "./event_client_options.ts";

/**
 * Options of {@link connect}: the event client's (reconnect, queue,
 * requests, sessions) and the connection's (headers, TLS, limits,
 * compression, heartbeat). `handshakeTimeout` bounds both the WebSocket
 * handshake and the session message that follows it.
 *
 * @example
 * ```ts
 * import type { ClientOptions } from "@anyws/anyws";
 * const options: ClientOptions = {
 *   headers: { Authorization: "Bearer abc" },
 *   reconnect: { initialDelay: 500, maxDelay: 10_000 },
 *   queue: { maxMessages: 100 },
 *   maxMessageSize: 1024 * 1024,
 * };
 * ```
 */
export interface ClientOptions
  extends
    Omit<EventClientOptions, "socket">,
    Omit<ClientSocketOptions, "protocols" | "clock" | "handshakeTimeout"> {}

/**
 * Connects an event client to an anyws server (or, with `session: false`,
 * to any server speaking JSON events) from any runtime: the same
 * events, requests, reconnect and queue as the browser's client. It
 * connects at once; what is sent before the connection is open waits in
 * the queue. Throws a `UsageError` for a URL or option that cannot work.
 *
 * @example
 * ```ts
 * import { connect, Server } from "@anyws/anyws";
 * const server = new Server({ hostname: "127.0.0.1", port: 0 });
 * server.on("add", (data) => {
 *   const [a, b] = data as [number, number];
 *   return a + b; // the answer to a request
 * });
 * await server.listen();
 * const client = connect(`ws://127.0.0.1:${server.port}`);
 * console.log(await client.request("add", [1, 2])); // 3
 * client.close();
 * await server.stop();
 * ```
 */
export function connect<
  In extends EventMap = EventMap,
  Out extends EventMap = EventMap,
  Answers extends EventMap = EventMap,
>(
  url: string | URL,
  options: ClientOptions = {},
): EventClient<In, Out, Answers> {
  const {
    protocols,
    reconnect,
    shouldReconnect,
    session,
    handshakeTimeout,
    requestTimeout,
    maxPendingRequests,
    queue,
    limits,
    clock,
    random,
    ...socketOptions
  } = options;
  // Checked here, so that a bad URL or option throws from connect()
  // instead of failing every attempt (and being retried forever).
  checkClientSocket(url, {
    ...socketOptions,
    ...(protocols === undefined ? {} : { protocols }),
    handshakeTimeout,
  });
  return new EventClient<In, Out, Answers>(url, {
    protocols,
    reconnect,
    shouldReconnect,
    session,
    handshakeTimeout,
    requestTimeout,
    maxPendingRequests,
    queue,
    limits,
    clock,
    random,
    socket: (target, offered) =>
      new ClientSocket(target, {
        ...socketOptions,
        protocols: offered,
        handshakeTimeout,
        clock,
      }),
  });
}
