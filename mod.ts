/**
 * anyws: one RFC 6455 WebSocket server library that runs unchanged on Deno,
 * Bun and Node. A pure, synchronous protocol core runs on thin engines for
 * `Deno.listen`, `Bun.listen` and `node:net`; the `Server` API is the same
 * everywhere.
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
 *   server.broadcast(JSON.stringify(data), (other) => other.id !== conn.id);
 * });
 * server.on("close", ({ code }, conn) => console.log(`Closed: ${conn.id} ${code}`));
 * await server.listen();
 * ```
 *
 * @module
 */

// The server API
export {
  type MessageHandler,
  RESERVED_EVENTS,
  Server,
  type StopOptions,
} from "./src/server.ts";
export type {
  CloseInfo,
  Connection,
  EventMap,
  Message,
} from "./src/connection.ts";
export { ConnectionSet } from "./src/connection_set.ts";
export { type EncodedSink, encodeMessage, Group } from "./src/group.ts";
export { Membership } from "./src/membership.ts";
export type { UpgradeDecision } from "./src/driver.ts";
export {
  type Authorize,
  type AuthorizeResult,
  DEFAULT_SERVER_OPTIONS,
  type RateLimit,
  type RequestHandler,
  type ResolvedServerOptions,
  resolveServerOptions,
  type SelectProtocol,
  type ServerOptions,
} from "./src/server_options.ts";
export {
  type AnyHandler,
  EventRegistry,
  isPromiseLike,
} from "./src/event_registry.ts";
export * from "./src/validation.ts";
export * from "./src/upgrade_policy.ts";
export * from "./src/origin_policy.ts";
export { TokenBucket } from "./src/rate_limiter.ts";
export { jsonDepth } from "./src/json_depth.ts";

// The cluster layer: servers on several processes or hosts as one
export type * from "./src/cluster/backplane.ts";
export * from "./src/cluster/memory_backplane.ts";
export * from "./src/cluster/wire.ts";
export * from "./src/cluster/clock.ts";
export * from "./src/cluster/cluster_error.ts";
export * from "./src/cluster/outbox.ts";
export * from "./src/cluster/presence.ts";
export type * from "./src/cluster/host.ts";
export * from "./src/cluster/cluster_node.ts";
export * from "./src/cluster/server_host.ts";

// The `anyws start` command's configuration
export * from "./src/cli_config.ts";

// The engine contract
export type * from "./src/engine.ts";

// The sans-I/O protocol core
export { isControl, isKnownOpcode, Opcode } from "./src/opcode.ts";
export {
  CloseCode,
  isSendableCloseCode,
  isValidCloseCode,
} from "./src/close_code.ts";
export { closeCodeFor, ProtocolError, UsageError } from "./src/errors.ts";
export { Frame, type FrameOptions } from "./src/frame.ts";
export * from "./src/frame_encoder.ts";
export * from "./src/frame_decoder.ts";
export * from "./src/message_assembler.ts";
export { applyMask } from "./src/mask.ts";
export * from "./src/utf8.ts";
export * from "./src/close_payload.ts";
export {
  Protocol,
  type ProtocolEvent,
  type ProtocolOptions,
  ReadyState,
} from "./src/protocol.ts";

// HTTP and the opening handshake
export * from "./src/http_request.ts";
export * from "./src/handshake.ts";
export * from "./src/http_response.ts";
