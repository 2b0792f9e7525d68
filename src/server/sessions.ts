// Long file: one session's life (hello, resume, takeover, suspend, discard) across its states; a third is documentation.
/**
 * The server's side of the event client's session protocol: the hello that
 * opens every event-client connection, the session it begins or resumes,
 * and what happens to a session when its connection ends.
 *
 * A connection whose upgrade URL carries the marker (`?anyws=1`) is an
 * event client. It is open for WebSocket traffic but not yet for the
 * application: not in `server.connections`, no `open` event, until its
 * first message, `{"event":"anyws:hello","data":{"version":1,"resume"?}}`,
 * has been answered with `{"event":"anyws:session","data":{"id","token",
 * "resumed"}}`. Then the application hears `open` for a new session, or
 * `resume` for a restored one (its id, rooms, user and data back).
 *
 * When the connection ends, its session is *discarded* if the client
 * closed with 1000 or 1001 or the server closed it on purpose
 * (`conn.close`, `conn.terminate`, `server.stop`), and *suspended*
 * otherwise (a dropped connection, a keepalive timeout, 1011…): kept for
 * the resume window under the token, the snapshot taken before the rooms
 * are left. A hello presenting a token still *live* (the server has not
 * seen the old connection drop) takes it over: the old connection is
 * terminated, its `close` runs (which suspends the session), then the new
 * connection resumes it. On a clustered server with a shared storage the
 * snapshots live there and the takeover is asked of the other nodes, so a
 * session resumes on any node.
 *
 * @module
 */

import type { CloseInfo } from "../driver/connection.ts";
import { CloseCode } from "../protocol/close_code.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { ReadyState } from "../protocol/protocol_events.ts";
import type { Clock, TimerHandle } from "../shared/clock.ts";
import {
  EVENT_PROTOCOL_VERSION,
  hasEventClientMarker,
  HELLO_EVENT,
} from "../events/names.ts";
import { encodeSession, readHello } from "../events/session_messages.ts";
import { parseIncoming, type WireLimits } from "../events/wire.ts";
import type { ServerConnection } from "./server_connection.ts";
import { type SessionSnapshot, SessionStore } from "./session_store.ts";
import type { SharedSessions } from "./shared_sessions.ts";

/**
 * The `sessions` option, resolved: whether resume is on, the window and
 * the bound on suspended sessions.
 *
 * @example
 * ```ts
 * import type { SessionSettings } from "./sessions.ts";
 * const settings: SessionSettings = { enabled: true, window: 120_000, maxSessions: 10_000 };
 * ```
 */
export interface SessionSettings {
  /** `false`: every hello begins a new session, nothing is kept. */
  readonly enabled: boolean;
  /** How long a suspended session can be resumed, in ms. */
  readonly window: number;
  /** Most suspended sessions kept by this server. */
  readonly maxSessions: number;
}

/**
 * What the sessions need from the server.
 *
 * @example
 * ```ts
 * import type { SessionHost } from "./sessions.ts";
 * import { systemClock } from "../shared/clock.ts";
 * const host: SessionHost<unknown> = {
 *   clock: systemClock,
 *   open: new Map(),
 *   limits: { maxJsonSize: 1 << 20, maxJsonDepth: 32 },
 *   handshakeTimeout: 10_000,
 *   began: (conn, restored) => console.log(conn.id, restored ? "resume" : "open"),
 *   errored: (error) => console.error(error),
 * };
 * ```
 */
export interface SessionHost<Data> {
  /** The server's clock (one that follows the engine's, once it is known). */
  readonly clock: Clock;
  /** Open connections by id. */
  readonly open: ReadonlyMap<string, ServerConnection<Data>>;
  /** Limits on the hello's JSON. */
  readonly limits: WireLimits;
  /** How long a connection may take to send its hello, in ms (0: no limit). */
  readonly handshakeTimeout: number;
  /**
   * The session of `conn` began and its session message is sent: make the
   * connection open for the application (`open`), or restore `restored`'s
   * user and rooms and emit `resume`. Its id and data are set already.
   */
  began(conn: ServerConnection<Data>, restored?: SessionSnapshot<Data>): void;
  /** Something went wrong (a hostile hello, a storage failure). */
  errored(error: unknown, conn?: ServerConnection<Data>): void;
}

/**
 * What a clustered server adds: the shared storage of suspended sessions,
 * and the request to the other nodes to give up a live session.
 *
 * @example
 * ```ts
 * import type { SessionCluster } from "./sessions.ts";
 * import { SharedSessions } from "./shared_sessions.ts";
 * import { MemoryHub } from "../cluster/memory_backplane.ts";
 * import { systemClock } from "../shared/clock.ts";
 * const cluster: SessionCluster<unknown> = {
 *   shared: new SharedSessions(new MemoryHub().backplane().sessions, {
 *     namespace: "anyws", window: 120_000, timeout: 1000, clock: systemClock,
 *   }),
 *   takeover: () => Promise.resolve(false),
 * };
 * ```
 */
export interface SessionCluster<Data> {
  /** Where suspended sessions are kept. */
  readonly shared: SharedSessions<Data>;
  /** Asks the other nodes to give up the live session of `token`; `true` if one did. */
  takeover(token: string): Promise<boolean>;
}

/**
 * The counts of {@link ServerSessions} (and of `server.sessions`).
 *
 * @example
 * ```ts
 * import type { SessionCounts } from "./sessions.ts";
 * const counts: SessionCounts = { handshaking: 0, live: 12, suspended: 3 };
 * ```
 */
export interface SessionCounts {
  /** Event-client connections waiting for (or being answered) their hello. */
  readonly handshaking: number;
  /** Event-client connections with a session. */
  readonly live: number;
  /**
   * Suspended sessions held by this server (in its memory; on a clustered
   * server with a shared storage they are there, and this is 0).
   */
  readonly suspended: number;
}

/** How long a takeover waits for the old connection's close, in ms. */
const TAKEOVER_TIMEOUT = 1000;

/** The session's end was decided by the server (close, terminate, stop). */
const ON_PURPOSE = 1;
/** The connection is being taken over by a newer one: suspend, whatever happens. */
const TAKEN_OVER = 2;

/** One event-client connection with a session. */
interface Session {
  readonly token: string;
  /** {@link ON_PURPOSE} and {@link TAKEN_OVER}. */
  end: number;
  /** Takeovers waiting for this connection's close (and its suspension). */
  closed?: () => void;
}

/** One event-client connection before its session began. */
interface Handshake {
  timer: TimerHandle | undefined;
  /** The hello arrived (its answer may be on the way). */
  hello: boolean;
}

/**
 * The sessions of one server's event clients.
 *
 * @example
 * ```ts
 * import { ServerSessions } from "./sessions.ts";
 * import { systemClock } from "../shared/clock.ts";
 * const sessions = new ServerSessions<unknown>(
 *   {
 *     clock: systemClock,
 *     open: new Map(),
 *     limits: { maxJsonSize: 1 << 20, maxJsonDepth: 32 },
 *     handshakeTimeout: 10_000,
 *     began: () => {},
 *     errored: (error) => console.error(error),
 *   },
 *   { enabled: true, window: 120_000, maxSessions: 10_000 },
 * );
 * console.log(sessions.counts); // { handshaking: 0, live: 0, suspended: 0 }
 * ```
 */
export class ServerSessions<Data> {
  /** Set by a clustered server whose backplane has a shared storage. */
  cluster: SessionCluster<Data> | undefined;
  readonly #host: SessionHost<Data>;
  readonly #settings: SessionSettings;
  readonly #store: SessionStore<Data>;
  readonly #sessions = new Map<ServerConnection<Data>, Session>();
  readonly #handshakes = new Map<ServerConnection<Data>, Handshake>();
  /** Tokens whose snapshot is being written to the shared storage. */
  readonly #storing = new Map<string, Promise<void>>();
  /** Between `stop()` and the next `start()`: nothing is kept. */
  #stopped = false;

  /** The sessions of `host`'s event clients, under `settings`. */
  constructor(host: SessionHost<Data>, settings: SessionSettings) {
    this.#host = host;
    this.#settings = settings;
    this.#store = new SessionStore<Data>({
      window: settings.window,
      maxSessions: settings.enabled ? settings.maxSessions : 0,
      clock: host.clock,
    });
  }

  /** How many connections are where; see {@link SessionCounts}. */
  get counts(): SessionCounts {
    return {
      handshaking: this.#handshakes.size,
      live: this.#sessions.size,
      suspended: this.#store.suspendedCount,
    };
  }

  // ── the hello ──────────────────────────────────────────────────────────

  /**
   * `conn` opened. Returns `true` when it is an event client: it now waits
   * for its hello (bounded by the handshake timeout), and the server must
   * not open it for the application yet.
   */
  intercept(conn: ServerConnection<Data>): boolean {
    if (!hasEventClientMarker(conn.request.target)) return false;
    const timeout = this.#host.handshakeTimeout;
    const handshake: Handshake = { timer: undefined, hello: false };
    if (timeout > 0) {
      handshake.timer = this.#host.clock.setTimeout(
        () => this.#timedOut(conn, handshake),
        timeout,
      );
    }
    this.#handshakes.set(conn, handshake);
    return true;
  }

  /** Whether `conn` is an event client whose session has not begun. */
  handshaking(conn: ServerConnection<Data>): boolean {
    return this.#handshakes.size > 0 && this.#handshakes.has(conn);
  }

  /** Whether `conn` is an event client with a session. */
  has(conn: ServerConnection<Data>): boolean {
    return this.#sessions.size > 0 && this.#sessions.has(conn);
  }

  /**
   * A message from a connection that is {@link handshaking}: it must be
   * the hello, and nothing may follow it before the session message.
   */
  received(conn: ServerConnection<Data>, data: string | Uint8Array): void {
    const handshake = this.#handshakes.get(conn);
    if (handshake === undefined || conn.readyState !== ReadyState.Open) return;
    if (handshake.hello) {
      this.#refuse(conn, "Nothing may be sent before anyws:session");
      return;
    }
    handshake.hello = true;
    if (typeof data !== "string") {
      this.#refuse(conn, "The first message must be anyws:hello, not binary");
      return;
    }
    const incoming = parseIncoming(data, this.#host.limits);
    if (incoming.kind !== "event" || incoming.event !== HELLO_EVENT) {
      this.#refuse(conn, "The first message must be anyws:hello");
      return;
    }
    const hello = readHello(incoming.data);
    if (hello === undefined) {
      this.#refuse(conn, "Malformed anyws:hello: no integer version");
      return;
    }
    if (hello.version !== EVENT_PROTOCOL_VERSION) {
      this.#refuse(
        conn,
        `Unsupported event protocol version ${hello.version} (this server speaks ${EVENT_PROTOCOL_VERSION})`,
      );
      return;
    }
    const token = hello.resume;
    if (token === undefined || !this.#settings.enabled) {
      this.#begin(conn, undefined, undefined);
      return;
    }
    this.#restore(token).then(
      (snapshot) => this.#begin(conn, snapshot, token),
      (error) => {
        this.#host.errored(error, conn);
        this.#begin(conn, undefined, undefined);
      },
    );
  }

  /** A library message (`anyws:…`) from an open connection. */
  libraryEvent(conn: ServerConnection<Data>, event: string): void {
    if (event === HELLO_EVENT && this.has(conn)) {
      this.#refuse(conn, "anyws:hello sent twice");
    }
    // Others are for a later version of the protocol: ignored.
  }

  // ── the end of a connection ────────────────────────────────────────────

  /** The server is closing `conn` on purpose: its session ends with it. */
  ending(conn: ServerConnection<Data>): void {
    const session = this.#sessions.size > 0
      ? this.#sessions.get(conn)
      : undefined;
    if (session !== undefined && !(session.end & TAKEN_OVER)) {
      session.end |= ON_PURPOSE;
    }
  }

  /**
   * `conn` closed before its session began: forget it. Returns `false`
   * when it was not handshaking (the application knows it).
   */
  closedHandshaking(conn: ServerConnection<Data>): boolean {
    const handshake = this.#handshakes.get(conn);
    if (handshake === undefined) return false;
    this.#host.clock.clearTimeout(handshake.timer);
    this.#handshakes.delete(conn);
    return true;
  }

  /**
   * `conn`, open for the application, closed (after its `close` event,
   * before it leaves its rooms): its session is suspended or discarded.
   */
  closed(conn: ServerConnection<Data>, info: CloseInfo): void {
    const session = this.#sessions.get(conn);
    if (session === undefined) return;
    this.#sessions.delete(conn);
    const { token } = session;
    const keep = this.#settings.enabled &&
      ((session.end & TAKEN_OVER) !== 0 ||
        ((session.end & ON_PURPOSE) === 0 &&
          info.code !== CloseCode.Normal &&
          info.code !== CloseCode.GoingAway));
    if (!keep) {
      this.#store.discard(token);
      session.closed?.();
      return;
    }
    const snapshot: SessionSnapshot<Data> = conn.user === undefined
      ? { id: conn.id, rooms: [...conn.rooms], data: conn.data }
      : {
        id: conn.id,
        rooms: [...conn.rooms],
        user: conn.user,
        data: conn.data,
      };
    const cluster = this.cluster;
    if (cluster === undefined) {
      this.#store.suspend(token, snapshot);
      session.closed?.();
      return;
    }
    this.#store.discard(token);
    const stored = cluster.shared.set(token, snapshot).catch((error) =>
      this.#host.errored(error)
    ).finally(() => {
      if (this.#storing.get(token) === stored) this.#storing.delete(token);
      session.closed?.();
    });
    this.#storing.set(token, stored);
  }

  /**
   * Another node was presented `token` (see {@link SessionCluster}): if a
   * connection here holds it, close it and keep its session in the shared
   * storage, then resolve `true`.
   */
  async takeover(token: string): Promise<boolean> {
    const holder = this.#holder(token);
    if (holder !== undefined) {
      await this.#takeOver(holder.conn, holder.session);
      return true;
    }
    const storing = this.#storing.get(token);
    if (storing === undefined) return false;
    await storing;
    return true;
  }

  /** The server listens (again). */
  start(): void {
    this.#stopped = false;
  }

  /** The server stopped: every timer and suspended session goes. */
  stop(): void {
    this.#stopped = true;
    for (const handshake of this.#handshakes.values()) {
      this.#host.clock.clearTimeout(handshake.timer);
      handshake.timer = undefined;
    }
    this.#store.clear();
  }

  // ── internals ──────────────────────────────────────────────────────────

  /**
   * The snapshot of `token`'s session, taken over from a live connection
   * first if need be; `undefined` when the token leads nowhere.
   */
  async #restore(token: string): Promise<SessionSnapshot<Data> | undefined> {
    const holder = this.#holder(token);
    if (holder !== undefined) await this.#takeOver(holder.conn, holder.session);
    const cluster = this.cluster;
    if (cluster === undefined) {
      const outcome = this.#store.resume(token);
      return outcome.status === "resumed" ? outcome.session : undefined;
    }
    // Our own close of this session may still be writing it.
    await this.#storing.get(token);
    const snapshot = await cluster.shared.take(token);
    if (snapshot !== undefined || holder !== undefined) return snapshot;
    if (!(await cluster.takeover(token))) return undefined;
    return await cluster.shared.take(token);
  }

  /** The open connection holding `token` live, if it is on this server. */
  #holder(
    token: string,
  ): { conn: ServerConnection<Data>; session: Session } | undefined {
    const id = this.#store.holder(token);
    if (id === undefined) return undefined;
    const conn = this.#host.open.get(id);
    const session = conn === undefined ? undefined : this.#sessions.get(conn);
    if (conn === undefined || session?.token !== token) return undefined;
    return { conn, session };
  }

  /**
   * Terminates `conn` (its session is suspended by its close, not
   * discarded) and resolves once that close ran and the session is
   * stored, or after {@link TAKEOVER_TIMEOUT}.
   */
  #takeOver(conn: ServerConnection<Data>, session: Session): Promise<void> {
    session.end |= TAKEN_OVER;
    const clock = this.#host.clock;
    return new Promise<void>((resolve) => {
      const timer = clock.setTimeout(resolve, TAKEOVER_TIMEOUT);
      const done = () => {
        clock.clearTimeout(timer);
        resolve();
      };
      const before = session.closed;
      session.closed = before === undefined ? done : () => {
        before();
        done();
      };
      conn.terminate();
    });
  }

  /**
   * The hello is answered: the connection gets its id (the old one when
   * `restored`), its data, a token and the session message, then the
   * server opens it for the application.
   */
  #begin(
    conn: ServerConnection<Data>,
    restored: SessionSnapshot<Data> | undefined,
    presented: string | undefined,
  ): void {
    const handshake = this.#handshakes.get(conn);
    if (handshake === undefined || conn.readyState !== ReadyState.Open) {
      // Gone while its session was looked for: the session waits again.
      if (restored !== undefined && presented !== undefined) {
        this.#putBack(presented, restored);
      }
      return;
    }
    this.#host.clock.clearTimeout(handshake.timer);
    this.#handshakes.delete(conn);
    if (restored !== undefined && this.#host.open.has(restored.id)) {
      // Never two open connections with one id.
      this.#host.errored(
        new Error(
          `Session ${restored.id} was not resumed: a connection with its id is open`,
        ),
        conn,
      );
      restored = undefined;
    }
    if (restored !== undefined) {
      conn.id = restored.id;
      conn.data = restored.data;
    }
    const token = this.#store.open(conn.id);
    this.#sessions.set(conn, { token, end: 0 });
    conn.send(
      encodeSession({ id: conn.id, token, resumed: restored !== undefined }),
    );
    this.#host.began(conn, restored);
  }

  /** Keeps a session taken for a connection that went away before it was restored. */
  #putBack(token: string, snapshot: SessionSnapshot<Data>): void {
    if (this.#stopped) return;
    const cluster = this.cluster;
    if (cluster === undefined) {
      this.#store.hold(token, snapshot);
      return;
    }
    cluster.shared.set(token, snapshot).catch((error) =>
      this.#host.errored(error)
    );
  }

  #timedOut(conn: ServerConnection<Data>, handshake: Handshake): void {
    handshake.timer = undefined;
    if (this.#handshakes.get(conn) !== handshake) return;
    const timeout = this.#host.handshakeTimeout;
    if (!handshake.hello) {
      this.#refuse(conn, `No anyws:hello within ${timeout} ms`);
      return;
    }
    // The hello came but its session could not be found in time (a slow
    // shared storage): the client may try again.
    const reason = `The session could not be set up within ${timeout} ms`;
    this.#host.errored(new ProtocolError("internal", reason), conn);
    conn.close(CloseCode.InternalError, reason);
  }

  /** Closes a connection that broke the session protocol with 1008. */
  #refuse(conn: ServerConnection<Data>, reason: string): void {
    if (conn.readyState !== ReadyState.Open) return;
    this.#host.errored(new ProtocolError("policy", reason), conn);
    conn.close(CloseCode.PolicyViolation, reason);
  }
}
