// Long file: every server option with its documentation, defaults and checks: one place to read what the server can be told.
/**
 * Server options and their documented defaults.
 *
 * @module
 */

import type { TlsOptions } from "../driver/engine.ts";
import { UsageError } from "../protocol/errors.ts";
import type {
  DeflateOptions,
  ResolvedDeflateOptions,
} from "../protocol/deflate/options.ts";
import {
  checkRanges,
  CONNECTION_OPTION_RANGES,
  resolveDeflateOption,
} from "../driver/connection_options.ts";
import type { UpgradeRequest } from "../protocol/server_handshake.ts";
import type { HttpRequest } from "../protocol/http_request.ts";
import type { OriginRule } from "./origin_policy.ts";
import type { Backplane } from "../cluster/backplane.ts";
import type { ClusterOptions } from "./cluster_binding.ts";
import type { SessionSettings } from "./sessions.ts";
import type { Logger, LoggerOptions } from "./logger.ts";

/**
 * What an {@link Authorize} hook answers: `true`/`false`, or an object that
 * accepts (with user data, a user identity, a subprotocol, extra response
 * headers) or rejects (with a status, body and headers).
 *
 * @example
 * ```ts
 * import type { AuthorizeResult } from "@anyws/anyws";
 * const ok: AuthorizeResult = { accept: true, user: "ada", data: { role: "admin" } };
 * const no: AuthorizeResult = { accept: false, status: 401, body: "Invalid token" };
 * ```
 */
export type AuthorizeResult =
  | boolean
  | {
    accept: true;
    /** Initial `conn.data`. */
    data?: unknown;
    /** The user the connection belongs to (`conn.user`, `server.user(id)`). */
    user?: string;
    /** Subprotocol to answer with (overrides `protocols`). */
    protocol?: string;
    /** Extra headers of the 101 response. */
    headers?: Record<string, string>;
  }
  | {
    accept: false;
    /** HTTP status; default 401. */
    status?: number;
    /** Response body; default the status text. */
    body?: string;
    /** Extra response headers. */
    headers?: Record<string, string>;
  };

/**
 * Decides at the handshake whether a request may connect. It may be async.
 * A hook that throws rejects the request with 500 and reports an `error`;
 * the client learns nothing of the error.
 *
 * @example
 * ```ts
 * import type { Authorize } from "@anyws/anyws";
 * // A token in the query string, as in the Ratchet guide: ws://host/?token=…
 * const authorize: Authorize = (request) => {
 *   const user = request.query.get("token") === "s3cret" ? "ada" : undefined;
 *   return user ? { accept: true, user } : { accept: false, status: 401 };
 * };
 * ```
 */
export type Authorize = (
  request: HttpRequest,
  context: { remoteAddress: string; upgrade: UpgradeRequest },
) => AuthorizeResult | Promise<AuthorizeResult>;

/**
 * Chooses the subprotocol from the client's offers (in its order of
 * preference); `undefined` chooses none.
 *
 * @example
 * ```ts
 * import type { SelectProtocol } from "@anyws/anyws";
 * const select: SelectProtocol = (offered) => offered.find((p) => p.startsWith("chat."));
 * ```
 */
export type SelectProtocol = (
  offered: readonly string[],
  request: HttpRequest,
) => string | undefined;

/**
 * Answers a plain HTTP request (no `Upgrade` header) that reached the
 * WebSocket port.
 *
 * @example
 * ```ts
 * import type { RequestHandler } from "@anyws/anyws";
 * const handler: RequestHandler = (request) =>
 *   new URL(request.url).pathname === "/healthz"
 *     ? Response.json({ status: "ok" })
 *     : new Response("Not Found", { status: 404 });
 * ```
 */
export type RequestHandler = (
  request: Request,
  info: { remoteAddress: string },
) => Response | Promise<Response>;

/**
 * The per-connection message rate limit: a token bucket of `messages` per
 * `interval` ms. Over it, `"close"` closes the connection with 1008 and
 * `"drop"` drops the message and reports an `error`.
 *
 * @example
 * ```ts
 * import type { RateLimit } from "@anyws/anyws";
 * const limit: RateLimit = { messages: 20, interval: 1000, action: "drop" };
 * ```
 */
export interface RateLimit {
  /** Messages allowed per interval (the bucket size). */
  messages: number;
  /** The interval, in ms. */
  interval: number;
  /** What to do with a message over the limit. Default `"close"`. */
  action?: "close" | "drop";
}

/**
 * Options of a {@link Server}. Every limit is on by default; the defaults are
 * listed in {@link DEFAULT_SERVER_OPTIONS}.
 *
 * @example
 * ```ts
 * import type { ServerOptions } from "@anyws/anyws";
 * const options: ServerOptions = {
 *   hostname: "127.0.0.1",
 *   port: 8080,
 *   maxMessageSize: 1024 * 1024,
 *   pingInterval: 20_000,
 * };
 * ```
 */
export interface ServerOptions {
  /** Interface to bind. Default `"0.0.0.0"`. */
  hostname?: string;
  /** Port to bind; 0 picks a free one (read it back from `server.port`). Default 8080. */
  port?: number;
  /** Serve `wss://` with this PEM certificate and key. */
  tls?: TlsOptions;
  /**
   * Listen on this Unix domain socket path instead of `hostname:port`
   * (behind a reverse proxy on the same machine). Remove a socket file left
   * by an earlier run before listening. Connections through it have an
   * empty `remoteAddress`, so they share one `maxConnectionsPerIp` count.
   */
  socketPath?: string;
  /** Largest message accepted, summed over its fragments (close 1009 beyond). Default 16 MiB. */
  maxMessageSize?: number;
  /** Largest single frame accepted (close 1009 beyond). Default: `maxMessageSize`. */
  maxFrameSize?: number;
  /** Largest HTTP request head accepted (431 beyond). Default 16 KiB. */
  maxHeadBytes?: number;
  /**
   * Largest body of a plain HTTP request (with `Content-Length`) handed to
   * the `request` handler (413 beyond; chunked bodies get 411). Default
   * 1 MiB.
   */
  maxRequestBodySize?: number;
  /** Most header lines accepted in the request head (431 beyond). Default 100. */
  maxHeaderCount?: number;
  /** Time allowed for the whole HTTP upgrade request to arrive, in ms (then the socket is dropped). Default 10,000. */
  handshakeTimeout?: number;
  /** Time to wait for the peer's close frame and FIN after a close was sent, in ms (then the socket is dropped). Default 5,000. */
  closeTimeout?: number;
  /** Send a ping to a connection that has been silent this long, in ms; 0 disables heartbeats. Default 30,000. */
  pingInterval?: number;
  /** Close (code 1011) a connection that has sent nothing, not even a pong, for this long, in ms; 0 disables. Default 60,000. */
  idleTimeout?: number;
  /**
   * Most bytes queued for one connection that the peer has not yet taken
   * (`bufferedAmount`). A slow consumer over it is closed with 1008 and its
   * socket dropped. Default 16 MiB.
   */
  maxBufferedAmount?: number;
  /**
   * A connection's high-water mark, in bytes of `bufferedAmount`. Over it,
   * a connection whose own messages produced the output (an echo, a
   * request/response) is not read until the peer catches up, so a peer that
   * sends without reading meets TCP backpressure instead of filling server
   * memory; and a `drain` event fires when it is back under. Default 1 MiB.
   */
  drainThreshold?: number;
  /** Most connections at once, handshakes included (503 beyond); 0 for no limit. Default 50,000. */
  maxConnections?: number;
  /**
   * Most connections at once from one IP address (429 beyond); 0 for no
   * limit. Default 0: behind NAT many users share one address, so only the
   * application can choose this number.
   */
  maxConnectionsPerIp?: number;
  /** Largest text message parsed as a JSON event (bigger ones are dropped with an `error`). Default 1 MiB. */
  maxJsonSize?: number;
  /** Deepest nesting of a JSON event (deeper ones are dropped with an `error`). Default 32. */
  maxJsonDepth?: number;
  /** Upgrade paths accepted (exact match on the path); others get 404. Default: every path. */
  paths?: readonly string[];
  /** Browser origins allowed to connect (403 otherwise). Default `"same-origin"`. */
  origins?: OriginRule;
  /** Reject requests without an `Origin` header (403). Default `false`. */
  requireOrigin?: boolean;
  /**
   * Subprotocols supported, in the server's terms: the first of the
   * client's offers that is in the list wins; or a function that chooses.
   * No match means no `Sec-WebSocket-Protocol` header (RFC 6455 §4.2.2).
   */
  protocols?: readonly string[] | SelectProtocol;
  /** Reject (400) a request for which no subprotocol was chosen. Default `false`. */
  requireProtocol?: boolean;
  /** Answers plain HTTP requests on the same port; without it they get 426. */
  request?: RequestHandler;
  /** The authorization hook run at the handshake. */
  authorize?: Authorize;
  /** Per-connection message rate limit, or `false`. Default 10,000 messages per second, closing with 1008 beyond. */
  rateLimit?: RateLimit | false;
  /**
   * permessage-deflate (RFC 7692): `true` (shared mode: no compression
   * state kept between messages, one compressed broadcast for all), its
   * options, or `false`. Default `false`.
   */
  deflate?: boolean | DeflateOptions;
  /**
   * Share the port with other processes that bind it with `reusePort` too
   * (SO_REUSEPORT: the kernel spreads the connections among them; Linux).
   * An engine whose runtime needs a flag for it rejects the listen with an
   * error naming the flag. Default `false`.
   */
  reusePort?: boolean;
  /**
   * Makes this server a node of a cluster: broadcasts, rooms, users, a
   * connection id on another node and presence span every server on the
   * same backplane (e.g. `redisBackplane({ url })` from
   * `@anyws/anyws/engines/redis`). The server starts the node in `listen()`
   * and closes it, and the backplane, in `stop()`. docs/cluster.md.
   */
  backplane?: Backplane;
  /** The cluster node's settings (with `backplane`): namespace, node name, heartbeat, timeouts. */
  cluster?: ClusterOptions;
  /**
   * Session resume for event clients (those connecting with `?anyws=1`,
   * like anyws's `EventClient`): a client that reconnects within `window`
   * ms after its connection dropped gets back its id, rooms, user and
   * `data`, and the server emits `resume` instead of `open`. `false`: every
   * connection begins a new session. Default `true`: a window of 120,000
   * ms and at most 10,000 suspended sessions (the oldest go first). On a
   * clustered server whose backplane has a shared storage (Redis) the
   * sessions are kept there and resume on any node; `data` must then be
   * JSON. docs/design.md, "Sessions and requests".
   */
  sessions?: boolean | { window?: number; maxSessions?: number };
  /**
   * Serve the browser event client, one dependency-free ES module, on
   * this server's port: `true` at `/anyws.js`, or a path of your own.
   * It is answered before the `request` handler, with an ETag (and 304 to
   * `If-None-Match`). Default `false`.
   */
  clientScript?: boolean | string;
  /**
   * Where the library logs: a {@link Logger}, or options for one (level,
   * plain or JSON lines). It logs the requests it refuses (at info, when no
   * `rejected` handler is registered) and the errors no `error` handler takes
   * (at error, rate-limited). Default: none; unhandled errors then go to
   * the fallback line on the console, and nothing else is printed.
   */
  logger?: Logger | LoggerOptions | false;
  /**
   * Serve the metrics in the Prometheus text format on this path of the
   * HTTP side (`GET`, before the `request` handler), such as `"/metrics"`;
   * OpenMetrics when the scraper asks for it. Default: not served.
   */
  metrics?: string;
  /**
   * Answer readiness probes on this path (`GET`, before the `request`
   * handler), such as `"/readyz"`: 200 while the server takes new
   * connections, 503 from `stop()` on. Default: not served.
   */
  readiness?: string;
}

/**
 * The options with every default filled in.
 *
 * @example
 * ```ts
 * import { type ResolvedServerOptions, resolveServerOptions } from "./options.ts";
 * const options: ResolvedServerOptions = resolveServerOptions({});
 * ```
 */
export type ResolvedServerOptions =
  & Required<
    Omit<
      ServerOptions,
      | "tls"
      | "paths"
      | "protocols"
      | "authorize"
      | "request"
      | "deflate"
      | "backplane"
      | "cluster"
      | "sessions"
      | "clientScript"
      | "socketPath"
      | "logger"
      | "metrics"
      | "readiness"
    >
  >
  & Pick<
    ServerOptions,
    | "tls"
    | "paths"
    | "protocols"
    | "authorize"
    | "request"
    | "backplane"
    | "cluster"
    | "socketPath"
    | "logger"
    | "metrics"
    | "readiness"
  >
  & {
    /** The permessage-deflate settings, or `false` when it is off. */
    readonly deflate: ResolvedDeflateOptions | false;
    /** Session resume: on or off, its window and bound. */
    readonly sessions: SessionSettings;
    /** The path the browser client is served at, or `false`. */
    readonly clientScript: string | false;
  };

/**
 * The documented defaults of every {@link ServerOptions} field.
 *
 * @example
 * ```ts
 * import { DEFAULT_SERVER_OPTIONS } from "@anyws/anyws";
 * console.log(DEFAULT_SERVER_OPTIONS.maxMessageSize); // 16777216
 * ```
 */
export const DEFAULT_SERVER_OPTIONS: Readonly<ResolvedServerOptions> = Object
  .freeze({
    hostname: "0.0.0.0",
    port: 8080,
    maxMessageSize: 16 * 1024 * 1024,
    maxFrameSize: 16 * 1024 * 1024,
    maxHeadBytes: 16 * 1024,
    maxRequestBodySize: 1024 * 1024,
    maxHeaderCount: 100,
    handshakeTimeout: 10_000,
    closeTimeout: 5_000,
    pingInterval: 30_000,
    idleTimeout: 60_000,
    maxBufferedAmount: 16 * 1024 * 1024,
    drainThreshold: 1024 * 1024,
    maxConnections: 50_000,
    maxConnectionsPerIp: 0,
    maxJsonSize: 1024 * 1024,
    maxJsonDepth: 32,
    origins: "same-origin",
    requireOrigin: false,
    requireProtocol: false,
    rateLimit: { messages: 10_000, interval: 1_000, action: "close" as const },
    deflate: false as const,
    reusePort: false,
    sessions: Object.freeze({
      enabled: true,
      window: 120_000,
      maxSessions: 10_000,
    }),
    clientScript: false as const,
  });

/**
 * The accepted range of every numeric option, inclusive. Checked once, at
 * `new Server()`: an option out of its range is a `UsageError` there, never
 * a failure on the first connection.
 */
const RANGES: Readonly<Record<NumericKey, readonly [number, number]>> = {
  ...CONNECTION_OPTION_RANGES,
  port: [0, 65535],
  maxRequestBodySize: [0, 2 ** 32],
  maxConnections: [0, 2 ** 31 - 1],
  maxConnectionsPerIp: [0, 2 ** 31 - 1],
  maxJsonSize: [0, 2 ** 30],
  maxJsonDepth: [1, 1000],
};

type NumericKey =
  | "port"
  | "maxMessageSize"
  | "maxFrameSize"
  | "maxHeadBytes"
  | "maxRequestBodySize"
  | "maxHeaderCount"
  | "handshakeTimeout"
  | "closeTimeout"
  | "pingInterval"
  | "idleTimeout"
  | "maxBufferedAmount"
  | "drainThreshold"
  | "maxConnections"
  | "maxConnectionsPerIp"
  | "maxJsonSize"
  | "maxJsonDepth";

/**
 * Fills in the defaults and checks every option; throws a `UsageError`
 * that names the option and its accepted range.
 *
 * @example
 * ```ts
 * import { resolveServerOptions } from "./options.ts";
 * const options = resolveServerOptions({ port: 0 });
 * console.log(options.hostname); // "0.0.0.0"
 * ```
 */
export function resolveServerOptions(
  options: ServerOptions = {},
): ResolvedServerOptions {
  if (typeof options !== "object" || options === null) {
    throw new UsageError(`Invalid server options: ${String(options)}`);
  }
  const maxMessageSize = options.maxMessageSize ??
    DEFAULT_SERVER_OPTIONS.maxMessageSize;
  const deflate = options.deflate;
  const resolved: ResolvedServerOptions = {
    ...DEFAULT_SERVER_OPTIONS,
    maxFrameSize: maxMessageSize,
    ...withoutUndefined(options),
    deflate: resolveDeflateOption(deflate),
    sessions: resolveSessions(options.sessions),
    clientScript: resolveClientScript(options.clientScript),
  };
  if (typeof resolved.hostname !== "string" || resolved.hostname === "") {
    throw new UsageError(
      `Invalid option hostname: ${
        JSON.stringify(resolved.hostname)
      } (a host name or IP address, such as "127.0.0.1")`,
    );
  }
  checkRanges(resolved as unknown as Record<string, unknown>, RANGES);
  const { rateLimit } = resolved;
  if (
    rateLimit !== false &&
    (typeof rateLimit !== "object" || rateLimit === null ||
      !(Number.isInteger(rateLimit.messages) && rateLimit.messages > 0) ||
      !(Number.isFinite(rateLimit.interval) && rateLimit.interval > 0) ||
      !["close", "drop", undefined].includes(rateLimit.action))
  ) {
    throw new UsageError(
      `Invalid option rateLimit: ${
        JSON.stringify(rateLimit)
      } (false, or { messages: integer > 0, interval: ms > 0, action?: "close" | "drop" })`,
    );
  }
  const { socketPath } = resolved;
  if (
    socketPath !== undefined &&
    (typeof socketPath !== "string" || socketPath === "")
  ) {
    throw new UsageError(
      `Invalid option socketPath: ${
        JSON.stringify(socketPath)
      } (a file system path)`,
    );
  }
  for (const key of ["metrics", "readiness"] as const) {
    const value = resolved[key];
    if (
      value !== undefined &&
      (typeof value !== "string" || !/^\/[\x21-\x7e]*$/.test(value))
    ) {
      throw new UsageError(
        `Invalid option ${key}: ${JSON.stringify(value)} (a path such as "/${
          key === "metrics" ? "metrics" : "readyz"
        }")`,
      );
    }
  }
  for (const key of ["authorize", "request"] as const) {
    const value = resolved[key];
    if (value !== undefined && typeof value !== "function") {
      throw new UsageError(`Invalid option ${key}: not a function`);
    }
  }
  if (typeof resolved.reusePort !== "boolean") {
    throw new UsageError("Invalid option reusePort: true or false");
  }
  const { backplane, cluster } = resolved;
  if (
    backplane !== undefined &&
    (typeof backplane !== "object" || backplane === null ||
      !["publish", "subscribe", "onStatus", "close"].every((method) =>
        typeof (backplane as unknown as Record<string, unknown>)[method] ===
          "function"
      ))
  ) {
    throw new UsageError(
      "Invalid option backplane: a Backplane (publish, subscribe, onStatus, close), e.g. redisBackplane({ url })",
    );
  }
  if (cluster !== undefined) {
    if (typeof cluster !== "object" || cluster === null) {
      throw new UsageError("Invalid option cluster: an object");
    }
    if (backplane === undefined) {
      throw new UsageError(
        "Invalid option cluster: it needs a backplane (the backplane option)",
      );
    }
  }
  const { protocols, paths } = resolved;
  if (
    protocols !== undefined && typeof protocols !== "function" &&
    !(Array.isArray(protocols) && protocols.every((p) => typeof p === "string"))
  ) {
    throw new UsageError(
      "Invalid option protocols: an array of strings or a function",
    );
  }
  if (
    paths !== undefined &&
    !(Array.isArray(paths) && paths.every((p) => typeof p === "string"))
  ) {
    throw new UsageError("Invalid option paths: an array of strings");
  }
  return resolved;
}

/** The `sessions` option: on with the defaults, off, or on with these bounds. */
function resolveSessions(
  sessions: ServerOptions["sessions"],
): SessionSettings {
  const defaults = DEFAULT_SERVER_OPTIONS.sessions;
  if (sessions === undefined || sessions === true) return defaults;
  if (sessions === false) return { ...defaults, enabled: false };
  const usage =
    "(true, false, or { window?: ms from 1 to 2147483647, maxSessions?: integer from 0 to 2147483647 })";
  if (typeof sessions !== "object" || sessions === null) {
    throw new UsageError(
      `Invalid option sessions: ${String(sessions)} ${usage}`,
    );
  }
  const { window = defaults.window, maxSessions = defaults.maxSessions } =
    sessions;
  for (
    const [name, value, min] of [
      ["window", window, 1],
      ["maxSessions", maxSessions, 0],
    ] as const
  ) {
    if (
      typeof value !== "number" || !Number.isInteger(value) || value < min ||
      value > 2 ** 31 - 1
    ) {
      throw new UsageError(
        `Invalid option sessions.${name}: ${String(value)} ${usage}`,
      );
    }
  }
  return { enabled: true, window, maxSessions };
}

/** The `clientScript` option: off, `/anyws.js`, or a path. */
function resolveClientScript(
  clientScript: ServerOptions["clientScript"],
): string | false {
  if (clientScript === undefined || clientScript === false) return false;
  if (clientScript === true) return "/anyws.js";
  if (
    typeof clientScript !== "string" ||
    !/^\/[^\s?#]{0,1023}$/.test(clientScript)
  ) {
    throw new UsageError(
      `Invalid option clientScript: ${
        JSON.stringify(clientScript)
      } (true, false, or a path such as "/anyws.js": starts with /, no query, no spaces)`,
    );
  }
  return clientScript;
}

function withoutUndefined(options: ServerOptions): ServerOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) out[key] = value;
  }
  return out as ServerOptions;
}
