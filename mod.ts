/**
 * anyws: one RFC 6455 WebSocket library, server and client, that runs
 * unchanged on Deno, Bun and Node. A pure, synchronous protocol core runs
 * on thin engines for `Deno.listen`, `Bun.listen` and `node:net`; the
 * `Server` API and the client (`connect`) are the same everywhere.
 *
 * This is what an application uses. The sans-I/O protocol core, for those
 * who bring their own I/O, is `@anyws/anyws/protocol`; the engines are
 * `@anyws/anyws/engines/{auto,deno,bun,node,memory,redis}`, and the
 * contracts for writing one are `@anyws/anyws/engines` and
 * `@anyws/anyws/cluster`.
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 *
 * const server = new Server({ hostname: "127.0.0.1", port: 8080 });
 * server.on("open", (_request, conn) => console.log(`Connected: ${conn.id}`));
 * server.on("message", (data, conn) => conn.send(`Echo: ${data}`));
 * server.on("chat_message", (data, conn) => {
 *   // a client sent {"event": "chat_message", "data": {...}}
 *   server.broadcast(JSON.stringify(data ?? null), (other) => other.id !== conn.id);
 * });
 * server.on("close", ({ code }, conn) => console.log(`Closed: ${conn.id} ${code}`));
 * await server.listen();
 * ```
 *
 * @module
 */

import { autoEngine } from "./engines/auto.ts";
import { setDefaultEngine } from "./src/driver/default_engine.ts";

// `new Server(options)` and `connect(url)` run on the current runtime's engine.
setDefaultEngine(autoEngine);

// The server and its connections
export {
  type MessageHandler,
  RESERVED_EVENTS,
  Server,
  type StopOptions,
} from "./src/server/server.ts";
export type {
  Connection,
  EventMap,
  Message,
  SendOptions,
  WebSocketConnection,
} from "./src/driver/connection.ts";
export type { Group, SendFilter } from "./src/server/group.ts";
export type { SessionCounts, SessionSettings } from "./src/server/sessions.ts";
export type { ConnectionSet } from "./src/server/connection_set.ts";

// The client
export { type ClientOptions, connect } from "./src/client/connect.ts";
export {
  type ClientErrorEvent,
  ClientSocket,
  type ClientSocketEvents,
} from "./src/client/client_socket.ts";
export {
  type ClientSocketOptions,
  DEFAULT_CLIENT_SOCKET_OPTIONS,
} from "./src/client/client_socket_options.ts";
export { EventClient, type RequestOptions } from "./src/client/event_client.ts";
export type { EventClientOptions } from "./src/client/event_client_options.ts";
export type {
  ClientCloseInfo,
  ClientEvents,
  ReconnectedInfo,
  ReconnectingInfo,
} from "./src/client/client_events.ts";
export { type BackoffPolicy, DEFAULT_BACKOFF } from "./src/client/backoff.ts";
export { type Disconnect, isRetryable } from "./src/client/reconnect_policy.ts";
export {
  DEFAULT_QUEUE_LIMITS,
  QueueFullError,
  type QueueLimits,
} from "./src/client/send_queue.ts";
export type {
  SocketCloseEvent,
  SocketFactory,
  SocketLike,
  SocketMessageEvent,
} from "./src/client/socket_like.ts";
export {
  DisconnectedError,
  RequestError,
  RequestRejectedError,
  RequestTimeoutError,
  TooManyRequestsError,
} from "./src/events/request_errors.ts";
export type { WireLimits } from "./src/events/wire.ts";
export type { ResponseHead } from "./src/protocol/response_head_reader.ts";

// Clusters (a backplane: `redisBackplane` from "@anyws/anyws/engines/redis";
// the contract and an in-memory hub: "@anyws/anyws/cluster")
export type { ClusterOptions } from "./src/server/cluster_binding.ts";
export type { ServerCluster } from "./src/server/server_cluster.ts";
export type {
  ClusterAnswer,
  ClusterStats,
} from "./src/cluster/cluster_node.ts";
export type { ClusterMember, PresenceChange } from "./src/cluster/presence.ts";
export {
  ClusterError,
  type ClusterErrorCode,
} from "./src/cluster/cluster_error.ts";

// Options
export {
  type Authorize,
  type AuthorizeResult,
  DEFAULT_SERVER_OPTIONS,
  type RateLimit,
  type RequestHandler,
  type ResolvedServerOptions,
  type SelectProtocol,
  type ServerOptions,
} from "./src/server/options.ts";
export type { OriginRule } from "./src/server/origin_policy.ts";

// Operating it: logs, refused requests, metrics
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from "./src/server/logger.ts";
export {
  describeRejection,
  OPTION_HINTS,
  type RejectInfo,
  rejectionFields,
  type RejectionHints,
} from "./src/server/rejection.ts";
export type { Counter, MetricsSnapshot } from "./src/server/metrics.ts";
export type {
  AttachOptions,
  IncomingRequest,
  UpgradeSource,
} from "./src/server/attach.ts";
export {
  formatMetrics,
  type FormatMetricsOptions,
  METRICS_CONTENT_TYPES,
  type MetricsFormat,
} from "./src/server/prometheus.ts";
export type {
  DeflateMode,
  DeflateOptions,
  ResolvedDeflateOptions,
} from "./src/protocol/deflate/options.ts";
export {
  type SchemaIssue,
  type SchemaOutput,
  type SchemaResult,
  type StandardSchema,
  ValidationError,
} from "./src/server/validation.ts";

// What connections carry
export { Frame, type FrameOptions } from "./src/protocol/frame.ts";
export { CloseCode } from "./src/protocol/close_code.ts";
export { type CloseInfo, ReadyState } from "./src/protocol/protocol_events.ts";
export type { HttpRequest } from "./src/protocol/http_request.ts";
export type { UpgradeRequest } from "./src/protocol/server_handshake.ts";
export type { ExtensionOffer } from "./src/protocol/extensions.ts";
export {
  type FailureKind,
  ProtocolError,
  UsageError,
} from "./src/protocol/errors.ts";

// Time
export {
  type Clock,
  systemClock,
  type TimerHandle,
} from "./src/shared/clock.ts";

export {
  ConnectError,
  type ConnectFailure,
} from "./src/driver/connect_error.ts";
