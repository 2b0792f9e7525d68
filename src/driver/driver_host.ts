/**
 * The contract between a connection driver and the server that owns it:
 * what the driver reports (opened, message, closed, ...), what it asks
 * (respond to a plain request, decide an upgrade), and the options and
 * shared resources it uses.
 *
 * @module
 */

import type { FrameBuffers } from "../protocol/frame_buffers.ts";
import type { HttpRequest } from "../protocol/http_request.ts";
import type { CloseInfo } from "../protocol/protocol_events.ts";
import type { UpgradeRequest } from "../protocol/server_handshake.ts";
import type { ConnectionDriver } from "./connection_driver.ts";
import type { Clock } from "../shared/clock.ts";
import type { FlushScheduler } from "./flush_scheduler.ts";

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
  };

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
}
