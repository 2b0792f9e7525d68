/**
 * The smallest server side of the session protocol, on today's `Server`
 * through its public API only, for the event client's end-to-end tests (the
 * lead wires the real thing into `Server`): `anyws:hello` answered with
 * `anyws:session` from a `SessionStore`, rooms/user/data restored on
 * resume, sessions suspended when a connection drops, and the server's
 * requests to clients with `ClientRequests` (answers reach today's server
 * as plain `message`s, since it does not route `ack`).
 *
 * Today's `Server` gives each connection its own random `conn.id` and
 * cannot hand an old one to a new connection, so the glue keeps a session
 * id of its own per connection: that is the `id` the client sees.
 *
 * @module
 */

import type { Connection } from "../src/driver/connection.ts";
import type { Server } from "../src/server/server.ts";
import { encodeSession, readHello } from "../src/events/session_messages.ts";
import { DEFAULT_WIRE_LIMITS, parseIncoming } from "../src/events/wire.ts";
import { ClientRequests } from "../src/server/client_requests.ts";
import {
  type SessionSnapshot,
  SessionStore,
} from "../src/server/session_store.ts";

type Data = Record<string, unknown>;

/** Session handling glued onto one `Server`. */
export class SessionGlue {
  readonly store: SessionStore<Data>;
  readonly requests = new ClientRequests<Connection>({ timeout: 5000 });
  /** `open <id>` or `resume <id>` per session begun, in order. */
  readonly log: string[] = [];
  readonly #sessions = new WeakMap<Connection, { id: string; token: string }>();
  readonly #server: Server;

  constructor(
    server: Server,
    store = new SessionStore<Data>({ window: 60_000 }),
  ) {
    this.#server = server;
    this.store = store;
    server.on("anyws:hello", (data, conn) => this.#hello(data, conn));
    server.on("message", (data, conn) => {
      if (typeof data !== "string") return;
      const incoming = parseIncoming(data, DEFAULT_WIRE_LIMITS);
      if (incoming.kind === "ack") this.requests.settle(conn, incoming);
    });
    server.on("close", (info, conn) => {
      this.requests.closed(conn, info.code);
      const session = this.#sessions.get(conn);
      if (session === undefined) return;
      // A client that closed on purpose is gone; any other end may come back.
      if (info.code === 1000 || info.code === 1001) {
        this.store.discard(session.token);
      } else {
        this.store.suspend(session.token, this.#snapshot(conn, session.id));
      }
    });
  }

  /** The session id of `conn`. */
  sessionId(conn: Connection): string | undefined {
    return this.#sessions.get(conn)?.id;
  }

  /** The open connection of session `id`. */
  connectionOf(id: string): Connection | undefined {
    for (const conn of this.#server.connections) {
      if (this.#sessions.get(conn)?.id === id) return conn;
    }
    return undefined;
  }

  /** Asks the client on `conn` and resolves with its answer. */
  request(
    conn: Connection,
    event: string,
    data?: unknown,
    timeout?: number,
  ): Promise<unknown> {
    return this.requests.request(conn, (text) => conn.send(text), event, data, {
      timeout,
    });
  }

  #hello(data: unknown, conn: Connection): void {
    const hello = readHello(data);
    let restored: SessionSnapshot<Data> | undefined;
    if (hello?.resume !== undefined) {
      const outcome = this.store.resume(hello.resume);
      if (outcome.status === "resumed") {
        restored = outcome.session;
      } else if (outcome.status === "live") {
        // The old connection has not been seen to drop: take its session over.
        const old = this.connectionOf(outcome.id);
        this.store.discard(hello.resume);
        if (old !== undefined) {
          restored = this.#snapshot(old, outcome.id);
          this.#sessions.delete(old);
          old.terminate();
        }
      }
    }
    const id = restored?.id ?? crypto.randomUUID();
    if (restored !== undefined) {
      conn.data = { ...restored.data };
      for (const room of restored.rooms) conn.join(room);
      conn.setUser(restored.user);
    }
    const token = this.store.open(id);
    this.#sessions.set(conn, { id, token });
    conn.send(encodeSession({ id, token, resumed: restored !== undefined }));
    this.log.push(`${restored === undefined ? "open" : "resume"} ${id}`);
  }

  #snapshot(conn: Connection, id: string): SessionSnapshot<Data> {
    return {
      id,
      rooms: [...conn.rooms],
      ...(conn.user === undefined ? {} : { user: conn.user }),
      data: { ...(conn.data as Data) },
    };
  }
}
