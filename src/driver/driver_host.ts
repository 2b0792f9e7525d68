/**
 * The contract between a connection driver and the server that owns it:
 * what the driver reports (opened, message, closed, ...), what it asks
 * (respond to a plain request, decide an upgrade), and the options and
 * shared resources it uses.
 *
 * @module
 */

import type { DeflateContexts } from "../protocol/deflate/deflate_contexts.ts";
import type { FrameBuffers } from "../protocol/frame_buffers.ts";
import type { HttpRequest } from "../protocol/http_request.ts";
import type { CloseInfo } from "../protocol/protocol_events.ts";
import type { UpgradeRequest } from "../protocol/server_handshake.ts";
import type { ConnectionDriver } from "./connection_driver.ts";
import type { Clock } from "../shared/clock.ts";
import type { FlushScheduler } from "./flush_scheduler.ts";
import type { TrafficCounters } from "./traffic_counters.ts";

/**
 * The answer of the server's upgrade policy for one request.
 *
 * @example
 * ```ts
 * import type { UpgradeDecision } from "./driver_host.ts";
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
    /** The server option (or hook) that refused, for logs: `"origins"`, `"authorize"`... */
    cause?: string;
  };

/**
 * A request the HTTP side refused with an error answer of its own (not one
 * of the application's request handler).
 *
 * @example
 * ```ts
 * import type { Refusal } from "./driver_host.ts";
 * const refusal: Refusal = { status: 403, reason: "Origin not allowed", cause: "origins" };
 * ```
 */
export interface Refusal {
  /** The HTTP status sent. */
  status: number;
  /** Why, as sent in the body. */
  reason: string;
  /** The server option (or hook) that refused, when one did. */
  cause?: string;
}

/** The options a driver follows (a server's options have them all). */
export interface DriverOptions {
  readonly maxHeadBytes: number;
  readonly maxHeaderCount: number;
  readonly maxRequestBodySize: number;
  readonly maxMessageSize: number;
  readonly maxFrameSize: number;
  readonly handshakeTimeout: number;
  readonly closeTimeout: number;
  readonly maxBufferedAmount: number;
  readonly drainThreshold: number;
}

/** What a driver reports to, and asks of, the server that owns it. */
export interface DriverHost<Data = Record<string, unknown>> {
  readonly options: DriverOptions;
  /** permessage-deflate's shared contexts, when the host offers it. */
  readonly deflate: DeflateContexts | undefined;
  /** The write buffers the host's connections share. */
  readonly buffers: FrameBuffers;
  readonly scheduler: FlushScheduler;
  readonly clock: Clock;
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
  /** What the drivers count as they run (bytes, sends, flow control). */
  readonly counters: TrafficCounters;
  /** The HTTP side refused the request (`conn.request` is empty when its head was unreadable). */
  rejected(conn: ConnectionDriver<Data>, refusal: Refusal): void;
  /** The application's request handler answered a plain request with `status`. */
  served(conn: ConnectionDriver<Data>, status: number): void;
}
