/**
 * The WebSocket server: Larafony's `Server` with `on(event, (data, conn))`,
 * JSON event routing and `broadcast(message, filter)`, on any engine.
 *
 * @module
 */

import { FlushScheduler } from "./_flush_scheduler.ts";
import type { CloseInfo, Connection, EventMap, Message } from "./connection.ts";
import { ConnectionDriver, type UpgradeDecision } from "./driver.ts";
import type { Engine, Listener, Timers } from "./engine.ts";
import { FallbackLog } from "./fallback_log.ts";
import {
  type AnyHandler,
  EventRegistry,
  isPromiseLike,
} from "./event_registry.ts";
import {
  type SchemaOutput,
  type StandardSchema,
  ValidationError,
  withSchema,
} from "./validation.ts";
import type { UpgradeRequest } from "./handshake.ts";
import type { HttpRequest } from "./http_request.ts";
import { ReadyState } from "./protocol.ts";
import {
  type RequestHandler,
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
} from "./server_options.ts";
import { ConnectionSet } from "./connection_set.ts";
import { decideUpgrade } from "./upgrade_policy.ts";
import { jsonDepth } from "./json_depth.ts";
import { TokenBucket } from "./rate_limiter.ts";
import { ProtocolError } from "./errors.ts";
import { CloseCode } from "./close_code.ts";
import { Group } from "./group.ts";
import { Membership } from "./membership.ts";

/**
 * Event names the library emits itself. A client's JSON message can never
 * trigger them: `{"event": "close"}` arrives as an ordinary `message`.
 *
 * @example
 * ```ts
 * import { RESERVED_EVENTS } from "@anyws/anyws";
 * console.log(RESERVED_EVENTS.has("open")); // true
 * ```
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "open",
  "message",
  "close",
  "error",
  "drain",
  "ping",
  "pong",
  "join",
  "leave",
  "connection",
  "upgrade",
  "request",
  "listening",
]);

/**
 * Class-based handlers (Larafony's MessageHandlerContract): implement the
 * hooks you need and register them with {@link Server.use}.
 *
 * @example
 * ```ts
 * import { Server, type Connection, type MessageHandler } from "@anyws/anyws";
 * class Echo implements MessageHandler {
 *   onMessage(data: string | Uint8Array, conn: Connection): void {
 *     conn.send(data);
 *   }
 * }
 * new Server({ port: 0 }).use(new Echo());
 * ```
 */
export interface MessageHandler<Data = Record<string, unknown>> {
  /** A connection opened. */
  onOpen?(request: HttpRequest, conn: Connection<Data>): unknown;
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
> {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedServerOptions;
  /** @ignore The write scheduler shared by this server's connections. */
  readonly scheduler: FlushScheduler = new FlushScheduler((error) =>
    this.errored(error, undefined)
  );
  /** @ignore The clock of this server's timers (the engine's, or the global one). */
  timers: Timers = globalThis;
  /** Open connections: `size`, `get(id)`, iteration. */
  readonly connections: ConnectionSet<Data>;

  #engine: Engine | undefined;
  #listener: Listener | undefined;
  #events = new EventRegistry((error, event, args) =>
    this.#handlerFailed(error, event, args)
  );
  #customEvents = 0;
  #open = new Map<string, ConnectionDriver<Data>>();
  #everyone: Group<Data, Out> = new Group(
    () => this.#open.values(),
    () => this.#open.size,
  );
  // Connections not open (yet): in the handshake, or answered with plain
  // HTTP. An open connection is only in #open, so idle connections cost one
  // map entry each.
  #notOpen = new Set<ConnectionDriver<Data>>();
  #rooms = new Membership<ConnectionDriver<Data>>();
  #users = new Membership<ConnectionDriver<Data>>();
  #perAddress = new Map<string, number>();
  #requestHandler: RequestHandler | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #allReleased: (() => void) | undefined;
  #stopping: Promise<void> | undefined;
  #fallbackLog = new FallbackLog();

  /**
   * `new Server(options)` runs on the current runtime's engine;
   * `new Server(engine, options)` on the one given.
   */
  constructor(
    engineOrOptions?: Engine | ServerOptions,
    options?: ServerOptions,
  ) {
    if (isEngine(engineOrOptions)) {
      this.#engine = engineOrOptions;
      if (engineOrOptions.timers) this.timers = engineOrOptions.timers;
    } else {
      options = engineOrOptions;
    }
    this.options = resolveServerOptions(options);
    this.#requestHandler = this.options.request;
    this.connections = new ConnectionSet(this.#open);
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
   * loopback address.
   */
  get url(): string {
    const scheme = this.options.tls ? "wss" : "ws";
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

  /** A connection opened; `request` is its HTTP upgrade request. */
  on(
    event: "open",
    handler: (request: HttpRequest, conn: Connection<Data, Out>) => unknown,
  ): () => void;
  /** A message arrived: a string for text, a Uint8Array for binary. */
  on(
    event: "message",
    handler: (
      data: string | Uint8Array,
      conn: Connection<Data, Out>,
    ) => unknown,
  ): () => void;
  /** A connection closed. */
  on(
    event: "close",
    handler: (info: CloseInfo, conn: Connection<Data, Out>) => unknown,
  ): () => void;
  /** A handler threw or rejected, or a peer broke the protocol. */
  on(
    event: "error",
    handler: (
      error: unknown,
      conn: Connection<Data, Out> | undefined,
    ) => unknown,
  ): () => void;
  /** A connection's `bufferedAmount` fell back under `drainThreshold`. */
  on(
    event: "drain",
    handler: (bufferedAmount: number, conn: Connection<Data, Out>) => unknown,
  ): () => void;
  /** A connection joined a room; `size` is the room's new member count. */
  on(
    event: "join" | "leave",
    handler: (
      presence: { room: string; size: number },
      conn: Connection<Data, Out>,
    ) => unknown,
  ): () => void;
  /**
   * A client sent `{"event": event, "data": data}`; `data` is only ever what
   * `options.schema` (any Standard Schema) accepted, typed as its output.
   */
  on<K extends string, Schema extends StandardSchema>(
    event: K,
    handler: (
      data: SchemaOutput<Schema>,
      conn: Connection<Data, Out>,
    ) => unknown,
    options: { schema: Schema },
  ): () => void;
  /**
   * A client sent `{"event": event, "data": data}`. The data is not checked:
   * treat it as untrusted, or pass a `schema`.
   */
  on<K extends string & keyof In>(
    event: K,
    handler: (data: In[K], conn: Connection<Data, Out>) => unknown,
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
    if (options?.schema !== undefined) {
      handler = withSchema(event, options.schema, handler);
    }
    const off = this.#events.on(event, handler);
    const custom = !RESERVED_EVENTS.has(event);
    if (custom) this.#customEvents++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      off();
      if (custom) this.#customEvents--;
    };
  }

  /** Registers the hooks of a class-based handler; returns a function that removes them all. */
  use(handler: MessageHandler<Data>): () => void {
    const offs: Array<() => void> = [];
    if (handler.onOpen) {
      offs.push(this.on("open", handler.onOpen.bind(handler)));
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
   * Answers plain HTTP requests (those without `Upgrade`) on the same port
   * with `handler`'s Web `Response`; `undefined` restores the default, 426.
   * The connection closes after each response.
   */
  handleRequests(handler: RequestHandler | undefined): void {
    this.#requestHandler = handler;
  }

  /**
   * Sends `message` to every open connection `filter` accepts, with the
   * rules of `conn.send`. A message is encoded once and the same bytes are
   * queued on every connection; a control frame (ping, pong, close) is sent
   * to each as `conn.send` would. Throws a `UsageError` for a frame
   * `conn.send` refuses, and for a fragment (a broadcast is a whole
   * message). Returns how many connections it was queued on.
   */
  broadcast(
    message: Message,
    filter?: (conn: Connection<Data, Out>) => boolean,
  ): number {
    return this.#everyone.broadcast(message, filter);
  }

  /** Broadcasts `{"event": event, "data": data}`; returns how many connections it was queued on. */
  emit<K extends string & keyof Out>(
    event: K,
    data?: Out[K],
    filter?: (conn: Connection<Data, Out>) => boolean,
  ): number {
    return this.broadcast(JSON.stringify({ event, data }), filter);
  }

  /** The connections in `room` (a live view; empty when nobody is in it). */
  room(name: string): Group<Data, Out> {
    return new Group(
      () => this.#rooms.membersOf(name),
      () => this.#rooms.size(name),
    );
  }

  /**
   * The connections in any of `rooms`, each once: a connection in two of
   * them gets one copy of each message.
   */
  to(...rooms: string[]): Group<Data, Out> {
    const members = () => this.#rooms.union(rooms);
    return new Group(members, () => {
      let size = 0;
      for (const _ of members()) size++;
      return size;
    });
  }

  /** The names of the rooms that have members. */
  rooms(): IterableIterator<string> {
    return this.#rooms.names();
  }

  /** Every open connection of `user` (see `conn.setUser`). */
  user(user: string): Group<Data, Out> {
    return new Group(
      () => this.#users.membersOf(user),
      () => this.#users.size(user),
    );
  }

  /** Binds and starts accepting; resolves once listening ({@link port} is then the bound port). */
  async listen(): Promise<void> {
    if (this.#listener) throw new Error("Server is already listening");
    if (!this.#engine) {
      const { autoEngine } = await import("../engines/auto.ts");
      this.#engine = autoEngine();
      if (this.#engine.timers) this.timers = this.#engine.timers;
    }
    const { hostname, port, tls } = this.options;
    this.#listener = await this.#engine.listen(
      { hostname, port, tls },
      (transport) => {
        const driver = new ConnectionDriver<Data>(this, transport);
        this.#notOpen.add(driver);
        const address = driver.remoteAddress;
        this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
        return driver;
      },
    );
    this.#startHeartbeat();
  }

  /**
   * Stops the server: closes the listener, sends a close frame (1001 by
   * default) to every client, waits for them up to `timeout`, then drops the
   * rest.
   */
  stop(options: StopOptions = {}): Promise<void> {
    // Overlapping calls share one shutdown.
    return this.#stopping ??= this.#shutdown(options).finally(() => {
      this.#stopping = undefined;
    });
  }

  async #shutdown(options: StopOptions): Promise<void> {
    const {
      code = 1001,
      reason = "Server shutting down",
      timeout = 5000,
    } = options;
    this.timers.clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close();
    for (const driver of this.#everyDriver()) {
      if (driver.readyState === ReadyState.Open) driver.close(code, reason);
      else if (driver.readyState === ReadyState.Connecting) driver.terminate();
    }
    if (!(await this.#whenAllReleased(timeout))) {
      for (const driver of this.#everyDriver()) driver.terminate();
      await this.#whenAllReleased(1000);
    }
    this.#fallbackLog.flush();
  }

  // ── DriverHost ────────────────────────────────────────────────────────

  /** @ignore */
  respond(
    request: HttpRequest,
    body: Uint8Array | null,
    remoteAddress: string,
  ): Response | Promise<Response> | undefined {
    const handler = this.#requestHandler;
    if (handler === undefined) return undefined;
    const host = request.headers.get("host") ?? this.hostname;
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

  /** @ignore */
  decide(
    request: HttpRequest,
    upgrade: UpgradeRequest,
    remoteAddress: string,
  ): UpgradeDecision | Promise<UpgradeDecision> {
    return decideUpgrade(this.options, request, upgrade, remoteAddress, {
      total: this.#liveCount(),
      fromAddress: this.#perAddress.get(remoteAddress) ?? 0,
    });
  }

  /** @ignore */
  opened(conn: ConnectionDriver<Data>): void {
    this.#notOpen.delete(conn);
    this.#open.set(conn.id, conn);
    this.#events.dispatch("open", conn.request, conn);
  }

  /** @ignore */
  message(conn: ConnectionDriver<Data>, data: string | Uint8Array): void {
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
    if (
      this.#customEvents > 0 && typeof data === "string" &&
      this.#route(conn, data)
    ) return;
    this.#events.dispatch("message", data, conn);
  }

  /** @ignore */
  errored(error: unknown, conn: ConnectionDriver<Data> | undefined): void {
    if (!this.#events.has("error")) {
      this.#fallbackLog.error(error, conn?.id);
      return;
    }
    this.#events.dispatch("error", error, conn);
  }

  /** @ignore */
  drained(conn: ConnectionDriver<Data>): void {
    if (conn.readyState !== ReadyState.Open) return;
    this.#events.dispatch("drain", conn.bufferedAmount, conn);
  }

  /** @ignore */
  closed(conn: ConnectionDriver<Data>, info: CloseInfo): void {
    this.#open.delete(conn.id);
    this.#events.dispatch("close", info, conn);
    for (const [room, size] of this.#rooms.removeAll(conn)) {
      this.#events.dispatch("leave", { room, size }, conn);
    }
    this.#users.removeAll(conn);
  }

  /** @ignore */
  roomsOf(conn: ConnectionDriver<Data>): ReadonlySet<string> {
    return this.#rooms.namesOf(conn);
  }

  /** @ignore */
  join(conn: ConnectionDriver<Data>, room: string): boolean {
    const size = this.#rooms.add(room, conn);
    if (size < 0) return false;
    this.#events.dispatch("join", { room, size }, conn);
    return true;
  }

  /** @ignore */
  leave(conn: ConnectionDriver<Data>, room: string): boolean {
    const size = this.#rooms.remove(room, conn);
    if (size < 0) return false;
    this.#events.dispatch("leave", { room, size }, conn);
    return true;
  }

  /** @ignore */
  userOf(conn: ConnectionDriver<Data>): string | undefined {
    for (const user of this.#users.namesOf(conn)) return user;
    return undefined;
  }

  /** @ignore */
  setUser(conn: ConnectionDriver<Data>, user: string | undefined): void {
    this.#users.removeAll(conn);
    if (user !== undefined) this.#users.add(user, conn);
  }

  /** @ignore */
  released(conn: ConnectionDriver<Data>): void {
    // The driver calls this once, after closed() if it was open.
    this.#notOpen.delete(conn);
    const address = conn.remoteAddress;
    const count = (this.#perAddress.get(address) ?? 1) - 1;
    if (count > 0) this.#perAddress.set(address, count);
    else this.#perAddress.delete(address);
    if (this.#liveCount() === 0) this.#allReleased?.();
  }

  // ── internals ─────────────────────────────────────────────────────────

  /** Connections accepted and not yet released. */
  #liveCount(): number {
    return this.#notOpen.size + this.#open.size;
  }

  /** Every connection accepted and not yet released (a snapshot). */
  #everyDriver(): ConnectionDriver<Data>[] {
    return [...this.#notOpen, ...this.#open.values()];
  }

  /** Routes `{"event": ..., "data": ...}`; returns whether a handler took it. */
  #route(conn: ConnectionDriver<Data>, text: string): boolean {
    let first = 0;
    while (first < text.length && text.charCodeAt(first) <= 32) first++;
    if (text.charCodeAt(first) !== 123 /* { */) return false;
    const { maxJsonSize, maxJsonDepth } = this.options;
    if (text.length > maxJsonSize) {
      this.#refuseEvent(
        conn,
        `JSON event too large: over ${maxJsonSize} characters`,
      );
      return true;
    }
    if (jsonDepth(text, maxJsonDepth) > maxJsonDepth) {
      this.#refuseEvent(
        conn,
        `JSON event too deep: over ${maxJsonDepth} levels`,
      );
      return true;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return false;
    }
    if (
      typeof parsed !== "object" || parsed === null || Array.isArray(parsed)
    ) {
      return false;
    }
    const { event, data, id } = parsed as {
      event?: unknown;
      data?: unknown;
      id?: unknown;
    };
    if (
      typeof event !== "string" || RESERVED_EVENTS.has(event) ||
      !this.#events.has(event)
    ) return false;
    this.#dispatch(conn, event, data, isAckId(id) ? id : undefined);
    return true;
  }

  /**
   * Runs the handlers of a routed event. With an `id`, the last handler's
   * result (awaited) is sent back as `{"ack": id, "data": result}`, or its
   * failure as `{"ack": id, "error": {"message": ...}}`.
   */
  #dispatch(
    conn: ConnectionDriver<Data>,
    event: string,
    data: unknown,
    id: AckId | undefined,
  ): void {
    const handlers = this.#events.handlers(event);
    for (let i = 0; i < handlers.length; i++) {
      const ackId = i === handlers.length - 1 ? id : undefined;
      let value: unknown;
      try {
        value = handlers[i](data, conn);
      } catch (error) {
        this.#eventFailed(conn, event, error, ackId);
        continue;
      }
      if (isPromiseLike(value)) {
        value.then(
          (result) => ackId !== undefined && this.#ack(conn, ackId, result),
          (error) => this.#eventFailed(conn, event, error, ackId),
        );
      } else if (ackId !== undefined) {
        this.#ack(conn, ackId, value);
      }
    }
  }

  #ack(conn: ConnectionDriver<Data>, id: AckId, result: unknown): void {
    let text: string;
    try {
      text = JSON.stringify({ ack: id, data: result ?? null });
    } catch (error) {
      this.#eventFailed(conn, "ack", error, id);
      return;
    }
    conn.send(text);
  }

  /**
   * A routed event's handler failed: the server gets an `error`; the sender
   * gets the validation issues, or a generic message (internal errors are
   * not leaked).
   */
  #eventFailed(
    conn: ConnectionDriver<Data>,
    event: string,
    error: unknown,
    id: AckId | undefined,
  ): void {
    this.errored(error, conn);
    const invalid = error instanceof ValidationError;
    const message = invalid ? error.message : "Internal error";
    if (id !== undefined) {
      conn.send(JSON.stringify({
        ack: id,
        error: invalid ? { message, issues: error.issues } : { message },
      }));
    } else if (invalid) {
      conn.emit("error", { event, message, issues: error.issues });
    }
  }

  /** Drops a JSON event over the limits; the sender gets an `error` event. */
  #refuseEvent(conn: ConnectionDriver<Data>, message: string): void {
    conn.emit("error", { message });
    this.errored(new ProtocolError("policy", message), conn);
  }

  #overRate(conn: ConnectionDriver<Data>): void {
    const { rateLimit } = this.options;
    if (!rateLimit || conn.readyState !== ReadyState.Open) return;
    const error = new ProtocolError(
      "policy",
      `Rate limit exceeded: over ${rateLimit.messages} messages in ${rateLimit.interval} ms`,
    );
    if (rateLimit.action === "drop") {
      this.errored(error, conn);
      return;
    }
    conn.close(CloseCode.PolicyViolation, "Rate limit exceeded");
    this.errored(error, conn);
  }

  #handlerFailed(error: unknown, event: string, args: unknown[]): void {
    if (event === "error") {
      this.#fallbackLog.error(error);
      return;
    }
    const conn = args[1] instanceof ConnectionDriver ? args[1] : undefined;
    this.errored(error, conn);
  }

  #startHeartbeat(): void {
    const { pingInterval, idleTimeout } = this.options;
    const tick = pingInterval || idleTimeout;
    if (tick <= 0) return;
    this.#heartbeat = this.timers.setInterval(() => {
      for (const conn of this.#open.values()) {
        conn.heartbeat(pingInterval, idleTimeout, tick);
      }
    }, tick);
  }

  #whenAllReleased(timeout: number): Promise<boolean> {
    if (this.#liveCount() === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.timers.setTimeout(() => {
        this.#allReleased = undefined;
        resolve(false);
      }, timeout);
      this.#allReleased = () => {
        this.timers.clearTimeout(timer);
        this.#allReleased = undefined;
        resolve(true);
      };
    });
  }
}

/** An acknowledgement id: a string of at most 128 characters or a finite number. */
type AckId = string | number;

function isAckId(value: unknown): value is AckId {
  return (typeof value === "string" && value.length <= 128) ||
    (typeof value === "number" && Number.isFinite(value));
}

function isEngine(value: unknown): value is Engine {
  return typeof value === "object" && value !== null &&
    typeof (value as Engine).listen === "function";
}
