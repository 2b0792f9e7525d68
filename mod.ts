/**
 * anyws: one RFC 6455 WebSocket library that runs unchanged on Deno, Bun and
 * Node. A pure, synchronous protocol core runs on thin engines for
 * `Deno.listen`, `Bun.listen` and `node:net`; the `Server` API is the same
 * everywhere.
 *
 * This is what an application uses. The sans-I/O protocol core, for those
 * who bring their own I/O, is `@anyws/anyws/protocol`; the engines are
 * `@anyws/anyws/engines/{auto,deno,bun,node,memory}`.
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
import { setDefaultEngine } from "./src/server/default_engine.ts";

// `new Server(options)` runs on the current runtime's engine.
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
} from "./src/driver/connection.ts";
export type { Group } from "./src/server/group.ts";
export type { ConnectionSet } from "./src/server/connection_set.ts";

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

// The engine contract (for `new Server(engine, options)` and custom engines)
export type {
  AcceptTransport,
  DeflateImplementation,
  Engine,
  Listener,
  ListenOptions,
  TlsOptions,
  Transport,
  TransportHandler,
} from "./src/driver/engine.ts";
export type {
  DeflateCodec,
  Deflater,
  DeflaterOptions,
  Inflater,
  MessageCodec,
} from "./src/protocol/deflate/codec.ts";
