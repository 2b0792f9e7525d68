/**
 * What a server connection asks of its server beyond what every driver
 * reports: answer a plain request, decide an upgrade, and keep its rooms
 * and user.
 *
 * @module
 */

import type { DriverHost } from "../driver/driver_host.ts";
import type { HttpRequest } from "../protocol/http_request.ts";
import type { UpgradeRequest } from "../protocol/server_handshake.ts";
import type { ServerConnection } from "./server_connection.ts";

/**
 * The answer of the server's upgrade policy for one request.
 *
 * @example
 * ```ts
 * import type { UpgradeDecision } from "./server_host.ts";
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
 * import type { Refusal } from "./server_host.ts";
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

/**
 * The host of server connections: the driver host plus the server's side
 * of the handshake and its rooms.
 *
 * @example
 * ```ts
 * import type { ServerHost } from "./server_host.ts";
 * const isServer = (host: ServerHost): boolean => host.role === "server";
 * ```
 */
export interface ServerHost<Data = Record<string, unknown>>
  extends DriverHost<Data> {
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
  roomsOf(conn: ServerConnection<Data>): ReadonlySet<string>;
  join(conn: ServerConnection<Data>, room: string): boolean;
  leave(conn: ServerConnection<Data>, room: string): boolean;
  userOf(conn: ServerConnection<Data>): string | undefined;
  setUser(conn: ServerConnection<Data>, user: string | undefined): void;
  /** Sends `event` as a request to the client of `conn` and resolves with its answer. */
  ask(
    conn: ServerConnection<Data>,
    event: string,
    data: unknown,
    options: { timeout?: number } | undefined,
  ): Promise<unknown>;
  /** The application (or `stop()`) is closing `conn` on purpose. */
  ending(conn: ServerConnection<Data>): void;
  /** The HTTP side refused the request (`conn.request` is empty when its head was unreadable). */
  rejected(conn: ServerConnection<Data>, refusal: Refusal): void;
  /** The application's request handler answered a plain request with `status`. */
  served(conn: ServerConnection<Data>, status: number): void;
}
