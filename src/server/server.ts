// Long file: the public Server: a third is the documentation of each method with its example; the work is in server_core.ts, server_host.ts, rooms and sessions.
/**
 * The WebSocket server: Larafony's `Server` with `on(event, (data, conn))`,
 * JSON event routing and `broadcast(message, filter)`, on any engine. The
 * public face only: the state lives in a `ServerCore`.
 *
 * @module
 */

import type {
  CloseInfo,
  Connection,
  EventMap,
  Message,
} from "../driver/connection.ts";
import { ServerConnection } from "./server_connection.ts";
import type { Engine, Listener } from "../driver/engine.ts";
import type { HttpRequest } from "../protocol/http_request.ts";
import { ReadyState } from "../protocol/protocol_events.ts";
import { ConnectionSet } from "./connection_set.ts";
import { defaultEngine } from "../driver/default_engine.ts";
import type { AnyHandler } from "../events/event_registry.ts";
import { Group, type SendFilter } from "./group.ts";
import { ClusterBinding } from "./cluster_binding.ts";
import type { ServerCluster } from "./server_cluster.ts";
import type { PresenceChange } from "../cluster/presence.ts";
import { startHeartbeat } from "../driver/heartbeat.ts";
import { systemClock } from "../shared/clock.ts";
import {
  type RequestHandler,
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
} from "./options.ts";
import { isCustomEvent, ServerCore } from "./server_core.ts";
import { isLibraryEvent } from "../events/names.ts";
import type { SessionCounts } from "./sessions.ts";
import {
  type SchemaOutput,
  type StandardSchema,
  withSchema,
} from "./validation.ts";
import type { Counter, MetricsSnapshot } from "./metrics.ts";
import type { MetricsFormat } from "./prometheus.ts";
import type { RejectInfo } from "./rejection.ts";
import {
  type AttachOptions,
  foreignUpgradeRefusal,
  type IncomingRequest,
  isOwnUpgrade,
  requestBytes,
  type UpgradeSource,
} from "./attach.ts";
import { UsageError } from "../protocol/errors.ts";

export { RESERVED_EVENTS } from "./event_router.ts";

/**
 * Class-based handlers (Larafony's MessageHandlerContract): implement the
 * hooks you need and register them with {@link Server.use}.
 *
 * @example
 * ```ts
 * import { type Connection, type MessageHandler, Server } from "@anyws/anyws";
 * class Echo implements MessageHandler {
 *   onMessage(data: string | Uint8Array, conn: Connection): void {
 *     conn.send(data);
 *   }
 * }
 * new Server({ port: 0 }).use(new Echo());
 * ```
 */
export interface MessageHandler<Data = Record<string, unknown>> {
  /** A connection opened (for an event client: a new session began). */
  onOpen?(request: HttpRequest, conn: Connection<Data>): unknown;
  /** An event client's session was resumed on a new connection. */
  onResume?(request: HttpRequest, conn: Connection<Data>): unknown;
  /** A message arrived that no custom event handler took. */
  onMessage?(data: string | Uint8Array, conn: Connection<Data>): unknown;
  /** A connection closed. */
  onClose?(info: CloseInfo, conn: Connection<Data>): unknown;
  /** A handler failed, or a peer broke the protocol. */
  onError?(error: unknown, conn: Connection<Data> | undefined): unknown;
}

/**
 * Options of {@link Server.stop}.
 *
 * @example
 * ```ts
 * import type { StopOptions } from "@anyws/anyws";
 * const options: StopOptions = { code: 1012, reason: "Restarting", timeout: 2000 };
 * ```
 */
export interface StopOptions {
  /** Close code sent to every client. Default 1001 (going away). */
  code?: number;
  /** Close reason. Default `"Server shutting down"`. */
  reason?: string;
  /** How long to wait for clients to answer, in ms, before dropping them. Default 5000. */
  timeout?: number;
  /**
   * How long to keep serving after readiness turned false, in ms, before
   * closing the listener: time for a load balancer that polls the
   * `readiness` path to stop sending new clients. Default 0.
   */
  grace?: number;
}

/**
 * Options of {@link Server.stop}.
 *
 * @example
 * ```ts
 * import type { StopOptions } from "@anyws/anyws";
 * const options: StopOptions = { code: 1012, reason: "Restarting", timeout: 2000 };
 * ```
 */
export interface StopOptions {
  /** Close code sent to every client. Default 1001 (going away). */
  code?: number;
  /** Close reason. Default `"Server shutting down"`. */
  reason?: string;
  /** How long to wait for clients to answer, in ms, before dropping them. Default 5000. */
  timeout?: number;
  /**
   * How long to keep serving after readiness turned false, in ms, before
   * closing the listener: time for a load balancer that polls the
   * `readiness` path to stop sending new clients. Default 0.
   */
  grace?: number;
}

/**
 * A WebSocket server with the same API on every runtime.
 *
 * Message routing: a text message that is a JSON object with a string
 * `event` naming an event that has handlers (and is not one of
 * {@link RESERVED_EVENTS}) goes to those handlers with its `data`, and only
 * to them. Every other message goes to the `message` handlers: `message`
 * sees what no custom event handler took. Messages of one connection are
 * delivered in the order they arrived; async handlers are not awaited.
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 * const server = new Server({ hostname: "127.0.0.1", port: 0 });
 * server.on("open", (_request, conn) => console.log("open", conn.id));
 * server.on("message", (data, conn) => conn.send(`Echo: ${data}`));
 * server.on("chat_message", (data, conn) => {
 *   server.broadcast(JSON.stringify(data ?? null), (other) => other.id !== conn.id);
 * });
 * server.on("close", ({ code }, conn) => console.log("close", conn.id, code));
 * await server.listen();
 * console.log(`listening on ws://127.0.0.1:${server.port}`);
 * await server.stop();
 * ```
 */
export class Server<
  Data = Record<string, unknown>,
  In extends EventMap = EventMap,
  Out extends EventMap = EventMap,
  Answers extends EventMap = EventMap,
> {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedServerOptions;
  /** Open connections: `size`, `get(id)`, iteration. */
  readonly connections: ConnectionSet<Data>;
  /**
   * The cluster, when this server is a node of one (the `backplane`
   * option): cluster-wide sizes, members and counts, and queries.
   */
  readonly cluster: ServerCluster | undefined;

  #core: ServerCore<Data, Out>;
  #engine: Engine | undefined;
  #listener: Listener | undefined;
  #everyone: Group<Data, Out>;
  #stopHeartbeat: (() => void) | undefined;
  #stopping: Promise<void> | undefined;
  #cluster: ClusterBinding<Data, Out> | undefined;
  /** Removes the `'upgrade'` listeners of {@link attach}. */
  #detachers = new Set<() => void>();
  /** The HTTP servers {@link attach} listens to. */
  #sources = new Set<UpgradeSource>();

  /**
   * `new Server(options)` runs on the current runtime's engine;
   * `new Server(engine, options)` on the one given.
   */
  constructor(
    engineOrOptions?: Engine | ServerOptions,
    options?: ServerOptions,
  ) {
    if (isEngine(engineOrOptions)) this.#engine = engineOrOptions;
    else options = engineOrOptions;
    this.options = resolveServerOptions(options);
    this.#core = new ServerCore(
      this.options,
      this.#engine?.clock ?? systemClock,
      () => this.hostname,
    );
    const open = this.#core.connections.open;
    this.connections = new ConnectionSet(open);
    const { backplane, cluster } = this.options;
    if (backplane !== undefined) {
      this.#cluster = new ClusterBinding(this.#core, this, backplane, cluster);
    }
    this.cluster = this.#cluster?.view;
    this.#everyone = new Group(
      () => open.values(),
      () => open.size,
      this.#cluster?.toAll,
      this.#core.metrics,
    );
  }

  /**
   * The event clients' sessions now: connections waiting for their hello,
   * connections with a session, suspended sessions kept in memory.
   */
  get sessions(): SessionCounts {
    return this.#core.sessions.counts;
  }

  /** The bound port (valid once {@link listen} resolved). */
  get port(): number {
    return this.#listener?.port ?? this.options.port;
  }

  /** The bound interface. */
  get hostname(): string {
    return this.#listener?.hostname ?? this.options.hostname;
  }

  /**
   * `ws://host:port` or `wss://host:port`, with an address a person can
   * open: listening on every interface (`0.0.0.0`, `::`) gives the
   * loopback address. On a Unix socket: `ws+unix://` and its path.
   */
  get url(): string {
    const scheme = this.options.tls ? "wss" : "ws";
    const socketPath = this.#listener?.path ?? this.options.socketPath;
    if (socketPath !== undefined) return `${scheme}+unix://${socketPath}`;
    const bound = this.hostname;
    const hostname = bound === "0.0.0.0"
      ? "127.0.0.1"
      : bound === "::" || bound === "[::]"
      ? "::1"
      : bound;
    const host = hostname.includes(":") && !hostname.startsWith("[")
      ? `[${hostname}]`
      : hostname;
    return `${scheme}://${host}:${this.port}`;
  }

  /**
   * A connection opened; `request` is its HTTP upgrade request. An event
   * client (`?anyws=1`) opens once its hello is answered, and only for a
   * new session: a restored one is `resume`.
   */
  on(
    event: "open" | "resume",
    handler: (
      request: HttpRequest,
      conn: Connection<Data, Out, Answers>,
    ) => unknown,
  ): () => void;
  /** A message arrived: a string for text, a Uint8Array for binary. */
  on(
    event: "message",
    handler: (
      data: string | Uint8Array,
      conn: Connection<Data, Out, Answers>,
    ) => unknown,
  ): () => void;
  /** A connection closed. */
  on(
    event: "close",
    handler: (info: CloseInfo, conn: Connection<Data, Out, Answers>) => unknown,
  ): () => void;
  /**
   * The server refused a request (a handshake, or a plain HTTP request it
   * answered itself): status, reason, the option that refused, the peer's
   * address. Without a `rejected` handler, the `logger` (if any) logs it.
   */
  on(
    event: "rejected",
    handler: (info: RejectInfo) => unknown,
  ): () => void;
  /** A handler threw or rejected, or a peer broke the protocol. */
  on(
    event: "error",
    handler: (
      error: unknown,
      conn: Connection<Data, Out, Answers> | undefined,
    ) => unknown,
  ): () => void;
  /** A connection's `bufferedAmount` fell back under `drainThreshold`. */
  on(
    event: "drain",
    handler: (
      bufferedAmount: number,
      conn: Connection<Data, Out, Answers>,
    ) => unknown,
  ): () => void;
  /**
   * A connection joined a room; `size` is the room's new member count (on
   * every node, for a clustered server).
   */
  on(
    event: "join" | "leave",
    handler: (
      presence: { room: string; size: number },
      conn: Connection<Data, Out, Answers>,
    ) => unknown,
  ): () => void;
  /**
   * A connection on another node of the cluster joined or left a room (or
   * its node died or stopped): with the room's cluster-wide size after it.
   * Joins and leaves of this server's connections are `join` and `leave`.
   */
  on(
    event: "presence",
    handler: (change: PresenceChange) => unknown,
  ): () => void;
  /**
   * A client sent `{"event": event, "data": data}`; `data` is only ever what
   * `options.schema` (any Standard Schema) accepted, typed as its output.
   */
  on<K extends string, Schema extends StandardSchema>(
    event: K,
    handler: (
      data: SchemaOutput<Schema>,
      conn: Connection<Data, Out, Answers>,
    ) => unknown,
    options: { schema: Schema },
  ): () => void;
  /**
   * A client sent `{"event": event, "data": data}`. The data is not checked:
   * treat it as untrusted, or pass a `schema`.
   */
  on<K extends string & keyof In>(
    event: K,
    handler: (data: In[K], conn: Connection<Data, Out, Answers>) => unknown,
  ): () => void;
  /**
   * Adds a handler for `event`; several handlers per event run in
   * registration order. Returns a function that removes the handler.
   */
  on(
    event: string,
    handler: AnyHandler,
    options?: { schema?: StandardSchema },
  ): () => void {
    if (isLibraryEvent(event)) {
      throw new UsageError(
        `Event names starting with "anyws:" are reserved for the library: ${event}`,
      );
    }
    if (options?.schema !== undefined) {
      handler = withSchema(event, options.schema, handler);
    }
    const core = this.#core;
    const off = core.events.on(event, handler);
    const custom = isCustomEvent(event);
    if (custom) core.customEvents++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      off();
      if (custom) core.customEvents--;
    };
  }

  /** Registers the hooks of a class-based handler; returns a function that removes them all. */
  use(handler: MessageHandler<Data>): () => void {
    const offs: Array<() => void> = [];
    if (handler.onOpen) {
      offs.push(this.on("open", handler.onOpen.bind(handler)));
    }
    if (handler.onResume) {
      offs.push(this.on("resume", handler.onResume.bind(handler)));
    }
    if (handler.onMessage) {
      offs.push(this.on("message", handler.onMessage.bind(handler)));
    }
    if (handler.onClose) {
      offs.push(this.on("close", handler.onClose.bind(handler)));
    }
    if (handler.onError) {
      offs.push(this.on("error", handler.onError.bind(handler)));
    }
    return () => offs.forEach((off) => off());
  }

  /**
   * Answers plain HTTP requests (those without `Upgrade: websocket`) on the
   * same port with `handler`'s Web `Response`; `undefined` restores the
   * default, 426. The connection closes after each response.
   */
  handleRequests(handler: RequestHandler | undefined): void {
    this.#core.requestHandler = handler;
  }

  /**
   * Sends `message` to every open connection `filter` accepts (a function,
   * or `{ except: conn }`), with the rules of `conn.send`. A message is
   * encoded once and the same bytes are queued on every connection (and,
   * on a clustered server, published once for the other nodes); a control
   * frame (ping, pong, close) is sent to each as `conn.send` would. Throws
   * a `UsageError` for a frame `conn.send` refuses, and for a fragment (a
   * broadcast is a whole message); on a clustered server also for a filter
   * function and a control frame, which cannot cross nodes (use
   * {@link local}). Returns how many local connections it was queued on.
   */
  broadcast(
    message: Message,
    filter?: ((conn: Connection<Data, Out>) => boolean) | SendFilter,
  ): number {
    return this.#everyone.broadcast(message, filter);
  }

  /** Broadcasts `{"event": event, "data": data}`; returns how many local connections it was queued on. */
  emit<K extends string & keyof Out>(
    event: K,
    data?: Out[K],
    filter?: ((conn: Connection<Data, Out>) => boolean) | SendFilter,
  ): number {
    return this.broadcast(JSON.stringify({ event, data }), filter);
  }

  /**
   * Every open connection of this server as one group whose sends stay on
   * this node (they take filter functions). Without a cluster, the same as
   * {@link broadcast}'s audience.
   */
  get local(): Group<Data, Out> {
    return this.#everyone.local;
  }

  /**
   * The connection with this id as a group of at most one: open here, or,
   * on a clustered server, on another node (a send is then published for
   * the node that has it; it returns 0, the local count).
   */
  connection(id: string): Group<Data, Out> {
    const open = this.#core.connections.open;
    const cluster = this.#cluster;
    return new Group(
      () => {
        const conn = open.get(id);
        return conn === undefined ? [] : [conn];
      },
      () => open.has(id) ? 1 : 0,
      cluster && ((frame) => cluster.toConnection(id, frame)),
    );
  }

  /** The connections in `room` (a live view; empty when nobody is in it). */
  room(name: string): Group<Data, Out> {
    return this.#core.rooms.room(name);
  }

  /**
   * The connections in any of `rooms`, each once: a connection in two of
   * them gets one copy of each message.
   */
  to(...rooms: string[]): Group<Data, Out> {
    return this.#core.rooms.union(rooms);
  }

  /** The names of the rooms that have members. */
  rooms(): IterableIterator<string> {
    return this.#core.rooms.names();
  }

  /** Every open connection of `user` (see `conn.setUser`). */
  user(user: string): Group<Data, Out> {
    return this.#core.rooms.user(user);
  }

  /**
   * The metrics as of now: connections, handshakes, messages, bytes, flow
   * control, broadcasts, compression, and the counters added with
   * {@link counter}. Reading them costs a pass over the open connections
   * (for the buffered bytes); counting them costs additions.
   */
  metrics(): MetricsSnapshot {
    return this.#core.snapshot();
  }

  /**
   * The metrics in the Prometheus text format (or OpenMetrics), for an
   * endpoint of your own (the `metrics` option serves them on the
   * server's own port).
   */
  metricsText(format: MetricsFormat = "prometheus"): string {
    return this.#core.metricsText(format);
  }

  /**
   * A counter of your own (or of a backplane) in {@link metrics} and the
   * exposition text, as `anyws_<name>_total`: the same object for the same
   * name. `name` is `[a-z_][a-z0-9_]*`.
   */
  counter(name: string, help: string): Counter {
    return this.#core.metrics.counter(name, help);
  }

  /**
   * Whether the server takes new connections: true once listening (or
   * attached), false from {@link stop} on. The `readiness` path answers
   * with it.
   */
  get ready(): boolean {
    return this.#core.ready;
  }

  /** Binds and starts accepting; resolves once listening ({@link port} is then the bound port). */
  async listen(): Promise<void> {
    if (this.#listener) throw new Error("Server is already listening");
    this.#cluster?.assertOpen();
    const engine = this.#engine ??= defaultEngine();
    if (this.#stopHeartbeat === undefined) this.#core.useEngine(engine);
    const { hostname, port, tls, socketPath, reusePort } = this.options;
    const core = this.#core;
    this.#listener = await engine.listen(
      {
        hostname,
        port,
        tls,
        path: socketPath,
        ...(reusePort ? { reusePort } : {}),
      },
      (transport) => core.accept(new ServerConnection<Data>(core, transport)),
    );
    this.#start();
  }

  /**
   * Takes a WebSocket upgrade from an HTTP server that owns the port: call
   * it from the `'upgrade'` event of an HTTP or HTTPS server of Node's API
   * (on every runtime) with its three arguments. The socket then belongs to
   * this server, and the request goes through every check of a request on
   * a port of its own (paths, Origin, `authorize`, subprotocols, limits),
   * then backpressure, rate limits and timers apply as usual. Decide first
   * whether the request is this server's: it answers every request it is
   * given. See {@link attach} for the one-line form.
   */
  handleUpgrade(
    request: IncomingRequest,
    socket: unknown,
    head: Uint8Array,
  ): void {
    const core = this.#core;
    // From stop() on (its grace period included), a request does not
    // start the server again: during the grace it is served, after it
    // refused with 503, until listen() or attach().
    const engine = this.#stopping !== undefined || core.stopping
      ? this.#engine ??= defaultEngine()
      : this.#startAttached();
    const adopt = adopterOf(engine);
    adopt(
      socket,
      requestBytes(request, head),
      (transport) => core.accept(new ServerConnection<Data>(core, transport)),
    );
  }

  /**
   * Takes the WebSocket upgrades of `source`, an HTTP or HTTPS server of
   * Node's API (what Express's `app.listen()` returns, Fastify's
   * `fastify.server`...), to `options.path` (every path by default).
   * An upgrade to another path, or to another protocol, is left to the
   * server's other `'upgrade'` listeners; with none, a WebSocket upgrade to
   * another path is refused with 404. Returns a function that detaches;
   * {@link stop} detaches too. Readiness turns true.
   */
  attach(source: UpgradeSource, options: AttachOptions = {}): () => void {
    const paths = attachPaths(options.path);
    if (this.#sources.has(source)) {
      // Two listeners would each take the same socket.
      throw new UsageError(
        "This server is already attached to that HTTP server: detach first",
      );
    }
    this.#startAttached();
    const core = this.#core;
    const listener = (
      request: IncomingRequest,
      socket: unknown,
      head: Uint8Array,
    ): void => {
      try {
        if (isOwnUpgrade(request, paths)) {
          this.handleUpgrade(request, socket, head);
        } else if (source.listenerCount("upgrade") <= 1) {
          // Nobody else listens: the socket would hang.
          if (isOwnUpgrade(request, undefined)) {
            this.#refuseForeign(request, socket);
          } else this.handleUpgrade(request, socket, head);
        }
      } catch (error) {
        core.errored(error);
        (socket as { destroy?: () => void } | null)?.destroy?.();
      }
    };
    source.on("upgrade", listener);
    this.#sources.add(source);
    const detach = (): void => {
      if (!this.#detachers.delete(detach)) return;
      this.#sources.delete(source);
      source.off("upgrade", listener);
    };
    this.#detachers.add(detach);
    return detach;
  }

  /** Starts the heartbeat (once per run) and readiness. */
  #start(): void {
    const core = this.#core;
    this.#stopHeartbeat ??= startHeartbeat(
      core.clock,
      this.options,
      () => core.connections.open.values(),
    );
    this.#cluster?.start();
    core.sessions.start();
    core.stopping = false;
    core.ready = true;
  }

  /** The engine, started for sockets adopted from an HTTP server. */
  #startAttached(): Engine {
    const engine = this.#engine ??= defaultEngine();
    adopterOf(engine);
    if (this.#stopHeartbeat === undefined) this.#core.useEngine(engine);
    this.#start();
    return engine;
  }

  /** A WebSocket upgrade to a path not attached, that nobody else takes: 404. */
  #refuseForeign(request: IncomingRequest, socket: unknown): void {
    const core = this.#core;
    const adopt = adopterOf(this.#engine ??= defaultEngine());
    const refusal = foreignUpgradeRefusal(request);
    adopt(socket, new Uint8Array(0), (transport) => {
      core.metrics.refused(404, true);
      core.reportRejection({
        status: 404,
        reason: "Not Found",
        cause: "attach",
        remoteAddress: transport.remoteAddress,
        request: refusal.request,
        upgrade: true,
      });
      transport.write(refusal.response);
      transport.end();
      // As after any refusal: the peer has closeTimeout to close its side.
      const timer = core.clock.setTimeout(
        () => transport.abort(),
        this.options.closeTimeout || 5000,
      );
      return {
        onData() {},
        onDrain() {},
        onEnd() {},
        onClose() {
          core.clock.clearTimeout(timer);
        },
      };
    });
  }

  /**
   * Stops the server: closes the listener, sends a close frame (1001 by
   * default) to every client, waits for them up to `timeout`, then drops the
   * rest. Overlapping calls share one shutdown.
   */
  stop(options: StopOptions = {}): Promise<void> {
    return this.#stopping ??= this.#shutdown(options).finally(() => {
      this.#stopping = undefined;
    });
  }

  async #shutdown(options: StopOptions): Promise<void> {
    const {
      code = 1001,
      reason = "Server shutting down",
      timeout = 5000,
      grace = 0,
    } = options;
    this.#core.ready = false;
    if (grace > 0) {
      await new Promise<void>((resolve) =>
        this.#core.clock.setTimeout(resolve, grace)
      );
    }
    this.#core.stopping = true;
    for (const detach of [...this.#detachers]) detach();
    this.#stopHeartbeat?.();
    this.#stopHeartbeat = undefined;
    // First the goodbye: the others drop this node's presence at once, and
    // the closes below publish nothing.
    await this.#cluster?.close().catch((error) => this.#core.errored(error));
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close();
    const { connections, clock } = this.#core;
    for (const driver of connections.every()) {
      if (driver.readyState === ReadyState.Open) driver.close(code, reason);
      else if (driver.readyState === ReadyState.Connecting) driver.terminate();
    }
    if (!(await connections.whenAllReleased(timeout, clock))) {
      for (const driver of connections.every()) driver.terminate();
      await connections.whenAllReleased(1000, clock);
    }
    // The sessions closed on purpose were discarded; none is left to resume.
    this.#core.sessions.stop();
    this.#core.flushLog();
  }
}

/** The engine's `adopt`, bound; a `UsageError` when it has none. */
function adopterOf(engine: Engine): NonNullable<Engine["adopt"]> {
  const adopt = engine.adopt;
  if (adopt === undefined) {
    throw new UsageError(
      `The ${engine.name} engine cannot take sockets from an HTTP server: use the runtime's engine`,
    );
  }
  return adopt.bind(engine);
}

/** The `path` option of attach(), checked. */
function attachPaths(
  path: string | readonly string[] | undefined,
): readonly string[] | undefined {
  if (path === undefined) return undefined;
  const paths = typeof path === "string" ? [path] : [...path];
  for (const item of paths) {
    if (typeof item !== "string" || !item.startsWith("/")) {
      throw new UsageError(
        `Invalid attach path: ${JSON.stringify(item)} (a path such as "/ws")`,
      );
    }
  }
  return paths;
}

function isEngine(value: unknown): value is Engine {
  return typeof value === "object" && value !== null &&
    typeof (value as Engine).listen === "function";
}
