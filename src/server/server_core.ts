// Long file: what happens to a connection between the driver and the application (open, routing, close, groups): one sequence, kept in one place.
/**
 * The inside of a `Server`: what its connection drivers report to and ask
 * of it ({@link ServerHost}), and the state behind its public API (events,
 * rooms, connections, the request handler). `Server` is the public face;
 * this object is never handed to the application.
 *
 * @module
 */

import type { CloseInfo } from "../driver/connection.ts";
import { ServerConnection } from "./server_connection.ts";
import type { Refusal, ServerHost, UpgradeDecision } from "./server_host.ts";
import { type Clock, followClock } from "../shared/clock.ts";
import type { Engine } from "../driver/engine.ts";
import { DeflateContexts } from "../protocol/deflate/deflate_contexts.ts";
import { FlushScheduler } from "../driver/flush_scheduler.ts";
import { CloseCode } from "../protocol/close_code.ts";
import { ProtocolError, UsageError } from "../protocol/errors.ts";
import { isLibraryEvent } from "../events/names.ts";
import { FrameBuffers } from "../protocol/frame_buffers.ts";
import type { HttpRequest } from "../protocol/http_request.ts";
import { ReadyState } from "../protocol/protocol_events.ts";
import type { UpgradeRequest } from "../protocol/server_handshake.ts";
import { ConnectionRegistry } from "./connection_registry.ts";
import { EventRegistry } from "../events/event_registry.ts";
import { EventRouter, RESERVED_EVENTS } from "./event_router.ts";
import { FallbackLog } from "./fallback_log.ts";
import type { RequestHandler, ResolvedServerOptions } from "./options.ts";
import { TokenBucket } from "./rate_limiter.ts";
import { type Presence, Rooms } from "./rooms.ts";
import { decideUpgrade } from "./upgrade_policy.ts";
import type { EventMap } from "../driver/connection.ts";
import { ClientRequests } from "./client_requests.ts";
import { answerClientScript } from "./client_script.ts";
import { ServerSessions } from "./sessions.ts";
import type { SessionSnapshot } from "./session_store.ts";
import { TrafficCounters } from "../driver/traffic_counters.ts";
import { isWebSocketUpgrade } from "../protocol/server_handshake.ts";
import { type Logger, resolveLogger } from "./logger.ts";
import { type MetricsSnapshot, ServerMetrics } from "./metrics.ts";
import {
  formatMetrics,
  METRICS_CONTENT_TYPES,
  negotiateMetricsFormat,
} from "./prometheus.ts";
import {
  describeRejection,
  type RejectInfo,
  rejectionFields,
} from "./rejection.ts";

/**
 * What a clustered server's core tells its cluster (see
 * `cluster_binding.ts`): every join and leave (the answer is the presence
 * the `join`/`leave` event reports, with the cluster-wide size), every
 * change of user, and every close (once, before its leaves).
 *
 * @example
 * ```ts
 * import type { CoreCluster } from "./server_core.ts";
 * const none: CoreCluster<unknown> = {
 *   presence: (_kind, presence) => presence,
 *   userChanged: () => {},
 *   closed: () => {},
 * };
 * ```
 */
export interface CoreCluster<Data> {
  /** `conn` joined or left a room; returns the presence to report. */
  presence(
    kind: "join" | "leave",
    presence: Presence,
    conn: ServerConnection<Data>,
  ): Presence;
  /** `conn`'s user changed. */
  userChanged(conn: ServerConnection<Data>, user: string | undefined): void;
  /** `conn` closed (its `close` event and its leaves are next). */
  closed(conn: ServerConnection<Data>): void;
}

/**
 * One server's state and its side of the driver contract.
 *
 * @example
 * ```ts
 * import { ServerCore } from "./server_core.ts";
 * import { systemClock } from "../shared/clock.ts";
 * import { resolveServerOptions } from "./options.ts";
 * import { ServerConnection } from "./server_connection.ts";
 * import { memoryEngine } from "../../engines/memory.ts";
 * const core = new ServerCore(resolveServerOptions({}), systemClock, () => "localhost");
 * const listener = await memoryEngine().listen(
 *   { hostname: "127.0.0.1", port: 0 },
 *   (transport) => core.accept(new ServerConnection(core, transport)),
 * );
 * await listener.close();
 * ```
 */
export class ServerCore<Data, Out extends EventMap>
  implements ServerHost<Data> {
  readonly role = "server" as const;
  readonly options: ResolvedServerOptions;
  readonly scheduler: FlushScheduler;
  readonly buffers: FrameBuffers = new FrameBuffers("server");
  /** permessage-deflate's contexts, once the engine is known (see {@link useEngine}). */
  deflate: DeflateContexts | undefined;
  clock: Clock;
  readonly events: EventRegistry;
  readonly connections: ConnectionRegistry<Data> = new ConnectionRegistry();
  readonly rooms: Rooms<Data, Out>;
  requestHandler: RequestHandler | undefined;
  /** The handlers registered for names other than the reserved ones. */
  customEvents = 0;
  /** The cluster this server is a node of, if any. */
  cluster: CoreCluster<Data> | undefined;
  /** The sessions of the event clients (hello, resume, suspend). */
  readonly sessions: ServerSessions<Data>;
  /** The server's requests to its clients, per connection with some waiting. */
  readonly requests: ClientRequests<ServerConnection<Data>>;
  /** What the drivers count (see `server.metrics()`). */
  readonly counters: TrafficCounters = new TrafficCounters();
  /** The rest of the metrics. */
  readonly metrics: ServerMetrics = new ServerMetrics();
  /** Where the library logs, if anywhere (the `logger` option). */
  readonly logger: Logger | undefined;
  /** Whether the server takes new connections: listening or attached, and not stopping. */
  ready = false;
  /** `stop()` has begun: new upgrades get 503. */
  stopping = false;
  #router: EventRouter<Data>;
  #fallbackLog: FallbackLog;
  #hostname: () => string;

  /** The core of a server with `options`, its timers on `clock`. */
  constructor(
    options: ResolvedServerOptions,
    clock: Clock,
    hostname: () => string,
  ) {
    this.options = options;
    this.clock = clock;
    this.#hostname = hostname;
    this.requestHandler = options.request;
    const logger = this.logger = resolveLogger(options.logger);
    this.#fallbackLog = new FallbackLog(
      logger === undefined ? {} : {
        write: (line) => {
          try {
            logger.log("error", line, { event: "error" });
          } catch {
            console.error(line);
          }
        },
      },
    );
    this.scheduler = new FlushScheduler((error) => this.errored(error));
    this.events = new EventRegistry((error, event, args) => {
      if (event === "error") {
        this.#fallbackLog.error(error);
        return;
      }
      const conn = args[1] instanceof ServerConnection ? args[1] : undefined;
      this.errored(error, conn);
    });
    this.rooms = new Rooms(
      (kind, presence, conn) =>
        this.events.dispatch(
          kind,
          this.cluster?.presence(kind, presence, conn) ?? presence,
          conn,
        ),
      this.metrics,
    );
    // The engine's clock replaces this one in listen(): follow it.
    const following = followClock(() => this.clock);
    this.requests = new ClientRequests({ clock: following });
    this.sessions = new ServerSessions<Data>({
      clock: following,
      open: this.connections.open,
      limits: options,
      handshakeTimeout: options.handshakeTimeout,
      began: (conn, restored) => this.#began(conn, restored),
      errored: (error, conn) => this.errored(error, conn),
    }, options.sessions);
    this.#router = new EventRouter(this.events, options, {
      errored: (error, conn) => this.errored(error, conn),
      answered: (conn, answer) => this.requests.settle(conn, answer),
      libraryEvent: (conn, event) => this.sessions.libraryEvent(conn, event),
    });
  }

  /**
   * Takes what the server needs from its engine: its clock, and its
   * DEFLATE implementation when permessage-deflate is on (a `UsageError`
   * when the engine has none).
   */
  useEngine(engine: Engine): void {
    if (engine.clock) this.clock = engine.clock;
    const options = this.options.deflate;
    if (options === false) return;
    const implementation = engine.deflate;
    if (implementation === undefined) {
      throw new UsageError(
        `The ${engine.name} engine has no DEFLATE implementation: set deflate: false`,
      );
    }
    this.deflate = new DeflateContexts(
      implementation.codec,
      options,
      implementation.messages,
    );
  }

  /** A transport was accepted: its driver. */
  accept(driver: ServerConnection<Data>): ServerConnection<Data> {
    this.connections.accepted(driver);
    return driver;
  }

  /** Writes what the fallback log left out (at shutdown). */
  flushLog(): void {
    this.#fallbackLog.flush();
  }

  /** The metrics as of now (`server.metrics()`). */
  snapshot(): MetricsSnapshot {
    const { open } = this.connections;
    let buffered = 0;
    for (const conn of open.values()) buffered += conn.bufferedAmount;
    return this.metrics.snapshot({
      traffic: this.counters,
      deflate: this.deflate,
      open: open.size,
      pending: this.connections.size - open.size,
      buffered,
      ready: this.ready,
    });
  }

  /** The metrics as exposition text, in `format`. */
  metricsText(format: "prometheus" | "openmetrics" = "prometheus"): string {
    const help: Record<string, string> = {};
    for (const counter of this.metrics.customCounters()) {
      help[counter.name] = counter.help;
    }
    return formatMetrics(this.snapshot(), { format, help });
  }

  // ── ServerHost ────────────────────────────────────────────────────────

  respond(
    request: HttpRequest,
    body: Uint8Array | null,
    remoteAddress: string,
  ): Response | Promise<Response> | undefined {
    const script = this.options.clientScript;
    if (script !== false) {
      const answer = answerClientScript(request, script);
      if (answer !== undefined) return answer;
    }
    const builtin = this.#builtinResponse(request);
    if (builtin !== undefined) return builtin;
    const handler = this.requestHandler;
    if (handler === undefined) return undefined;
    const host = request.headers.get("host") ?? this.#hostname();
    const scheme = this.options.tls ? "https" : "http";
    const url = /^https?:\/\//i.test(request.target)
      ? request.target
      : `${scheme}://${host}${request.target}`;
    const webRequest = new Request(url, {
      method: request.method,
      headers: request.headers,
      body: body !== null && request.method !== "GET" &&
          request.method !== "HEAD"
        ? body as Uint8Array<ArrayBuffer>
        : null,
    });
    return handler(webRequest, { remoteAddress });
  }

  decide(
    request: HttpRequest,
    upgrade: UpgradeRequest,
    remoteAddress: string,
  ): UpgradeDecision | Promise<UpgradeDecision> {
    if (this.stopping) {
      return {
        accept: false,
        status: 503,
        body: "Server shutting down",
        headers: { "Retry-After": "5" },
        cause: "stopping",
      };
    }
    return decideUpgrade(this.options, request, upgrade, remoteAddress, {
      total: this.connections.size,
      fromAddress: this.connections.countFrom(remoteAddress),
    });
  }

  opened(conn: ServerConnection<Data>): void {
    this.metrics.opened++;
    // An event client is opened for the application once its hello is answered.
    if (this.sessions.intercept(conn)) return;
    this.connections.opened(conn);
    this.events.dispatch("open", conn.request, conn);
  }

  message(conn: ServerConnection<Data>, data: string | Uint8Array): void {
    this.metrics.messagesIn++;
    const { rateLimit } = this.options;
    if (rateLimit) {
      // Created on the first message: it would be full by then anyway, and
      // an idle connection holds none.
      const limiter = conn.limiter ??= new TokenBucket(
        rateLimit.messages,
        rateLimit.interval,
      );
      if (!limiter.take()) {
        this.#overRate(conn);
        return;
      }
    }
    const sessions = this.sessions;
    if (sessions.handshaking(conn)) {
      sessions.received(conn, data);
      return;
    }
    if (typeof data === "string") {
      // JSON is parsed only when something can take it: an event handler,
      // a request waiting for its answer, an event client's protocol.
      const eventClient = sessions.has(conn);
      if (
        (this.customEvents > 0 || eventClient || this.requests.has(conn)) &&
        this.#router.route(conn, data, eventClient)
      ) return;
    }
    this.events.dispatch("message", data, conn);
  }

  errored(error: unknown, conn?: ServerConnection<Data>): void {
    if (!this.events.has("error")) {
      this.#fallbackLog.error(error, conn?.id);
      return;
    }
    this.events.dispatch("error", error, conn);
  }

  drained(conn: ServerConnection<Data>): void {
    if (conn.readyState !== ReadyState.Open) return;
    this.events.dispatch("drain", conn.bufferedAmount, conn);
  }

  closed(conn: ServerConnection<Data>, info: CloseInfo): void {
    this.metrics.closed(info.code);
    this.requests.closed(conn, info.code);
    // An event client that never began its session: the application never saw it.
    if (this.sessions.closedHandshaking(conn)) return;
    this.connections.closed(conn);
    this.cluster?.closed(conn);
    this.events.dispatch("close", info, conn);
    // Its snapshot, if it is suspended, is taken before it leaves its rooms.
    this.sessions.closed(conn, info);
    this.rooms.removeAll(conn);
  }

  roomsOf(conn: ServerConnection<Data>): ReadonlySet<string> {
    return this.rooms.roomsOf(conn);
  }

  join(conn: ServerConnection<Data>, room: string): boolean {
    return this.rooms.join(conn, room);
  }

  leave(conn: ServerConnection<Data>, room: string): boolean {
    return this.rooms.leave(conn, room);
  }

  userOf(conn: ServerConnection<Data>): string | undefined {
    return this.rooms.userOf(conn);
  }

  setUser(conn: ServerConnection<Data>, user: string | undefined): void {
    this.rooms.setUser(conn, user);
    this.cluster?.userChanged(conn, user);
  }

  released(conn: ServerConnection<Data>): void {
    this.connections.released(conn);
  }

  ask(
    conn: ServerConnection<Data>,
    event: string,
    data: unknown,
    options: { timeout?: number } | undefined,
  ): Promise<unknown> {
    if (isLibraryEvent(event)) {
      return Promise.reject(
        new UsageError(`Event names starting with "anyws:" are reserved`),
      );
    }
    return this.requests.request(
      conn,
      (text) => conn.send(text),
      event,
      data,
      options,
    );
  }

  ending(conn: ServerConnection<Data>): void {
    this.sessions.ending(conn);
  }

  /**
   * An event client's session began (its session message is sent): it is
   * open for the application now. A resumed one gets its user and rooms
   * back (a `join` each, as at any join: presence saw it leave when its
   * connection dropped), then `resume`; a new one gets `open`.
   */
  #began(
    conn: ServerConnection<Data>,
    restored: SessionSnapshot<Data> | undefined,
  ): void {
    this.connections.opened(conn);
    if (restored === undefined) {
      this.events.dispatch("open", conn.request, conn);
      return;
    }
    if (restored.user !== undefined) this.setUser(conn, restored.user);
    for (const room of restored.rooms) {
      if (!conn.join(room) && conn.readyState !== ReadyState.Open) break;
    }
    this.events.dispatch("resume", conn.request, conn);
  }

  rejected(conn: ServerConnection<Data>, refusal: Refusal): void {
    const request = conn.request.method === "" ? undefined : conn.request;
    const upgrade = request !== undefined && isWebSocketUpgrade(request);
    this.metrics.refused(refusal.status, upgrade || request === undefined);
    this.reportRejection({
      status: refusal.status,
      reason: refusal.reason,
      cause: refusal.cause,
      remoteAddress: conn.remoteAddress,
      request,
      upgrade,
    });
  }

  /**
   * A refused request, to the `rejected` handlers, or else to the logger
   * (at info).
   */
  reportRejection(info: RejectInfo): void {
    if (this.events.has("rejected")) {
      this.events.dispatch("rejected", info, undefined);
      return;
    }
    const logger = this.logger;
    if (logger === undefined) return;
    try {
      if (!logger.enabled("info")) return;
      logger.log("info", describeRejection(info), rejectionFields(info));
    } catch (error) {
      // The application's logger failed: the last resort says so.
      this.#fallbackLog.error(error);
    }
  }

  served(_conn: ServerConnection<Data>, status: number): void {
    this.metrics.served(status);
  }

  // ── internals ─────────────────────────────────────────────────────────

  /** The metrics and readiness endpoints, when the request is for one. */
  #builtinResponse(request: HttpRequest): Response | undefined {
    const { metrics, readiness } = this.options;
    if (metrics === undefined && readiness === undefined) return undefined;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return undefined;
    }
    if (request.path === metrics) {
      const format = negotiateMetricsFormat(request.headers.get("accept"));
      return new Response(this.metricsText(format), {
        headers: {
          "Content-Type": METRICS_CONTENT_TYPES[format],
          "Cache-Control": "no-store",
        },
      });
    }
    if (request.path === readiness) {
      const ready = this.ready;
      return new Response(
        JSON.stringify({ status: ready ? "ready" : "not ready" }),
        {
          status: ready ? 200 : 503,
          headers: {
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
          },
        },
      );
    }
    return undefined;
  }

  #overRate(conn: ServerConnection<Data>): void {
    const { rateLimit } = this.options;
    if (!rateLimit || conn.readyState !== ReadyState.Open) return;
    this.metrics.rateLimited++;
    const error = new ProtocolError(
      "policy",
      `Rate limit exceeded: over ${rateLimit.messages} messages in ${rateLimit.interval} ms`,
    );
    if (rateLimit.action !== "drop") {
      conn.close(CloseCode.PolicyViolation, "Rate limit exceeded");
    }
    this.errored(error, conn);
  }
}

/** Whether `event` is a name a client's JSON message may trigger. */
export function isCustomEvent(event: string): boolean {
  return !RESERVED_EVENTS.has(event) && !isLibraryEvent(event);
}
