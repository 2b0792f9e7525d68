/**
 * Helpers for the session tests on the memory engine: a server whose
 * handlers log what the application sees, event clients and raw sockets
 * on the same engine, and a wait that lets the pipes, the microtasks and
 * Web Crypto run while the fake clock stands still.
 *
 * @module
 */

import { Server } from "../src/server/server.ts";
import type { ServerOptions } from "../src/server/options.ts";
import { type MemoryEngine, memoryEngine } from "../engines/memory.ts";
import { EventClient } from "../src/client/event_client.ts";
import type { EventClientOptions } from "../src/client/event_client_options.ts";
import type { SocketCloseEvent } from "../src/client/socket_like.ts";
import { encodeHello } from "../src/events/session_messages.ts";
import { FakeClock, settle } from "./_fake_clock.ts";
import { MemoryWebSocket } from "./_memory_websocket.ts";

/**
 * Waits until `predicate` holds: microtasks first, then a real millisecond
 * (Web Crypto and the memory pipes need turns of the event loop), at most
 * `tries` times. The fake clock does not move.
 */
export async function until(
  predicate: () => boolean,
  label: string,
  tries = 2000,
): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (predicate()) return;
    await settle();
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`Gave up waiting: ${label}`);
}

/** A server on the memory engine whose application logs every event. */
export interface LoggedServer {
  server: Server;
  engine: MemoryEngine;
  clock: FakeClock;
  /** `open <id>`, `resume <id>`, `close <id> <code>`, `join <room> <id>`, `leave <room> <id>`, `error <message>`. */
  log: string[];
  /** The URL an event client connects to. */
  url: string;
}

/**
 * Starts a server on a memory engine with a fake clock (no heartbeat
 * unless asked). Its `enter` event joins a room, sets the user `ada` and
 * `data.nick`; `add` answers a sum.
 */
export async function startLoggedServer(
  options: ServerOptions = {},
  shared?: {
    engine: MemoryEngine;
    clock: FakeClock;
    /** A log several servers write to, each line starting with `name`. */
    log?: string[];
    name?: string;
  },
): Promise<LoggedServer> {
  const clock = shared?.clock ?? new FakeClock();
  const engine = shared?.engine ?? memoryEngine({ clock });
  const server = new Server(engine, {
    hostname: "127.0.0.1",
    port: 0,
    pingInterval: 0,
    idleTimeout: 0,
    ...options,
  });
  const lines: string[] = shared?.log ?? [];
  const prefix = shared?.name === undefined ? "" : `${shared.name} `;
  const log = {
    push: (line: string) => lines.push(prefix + line),
  };
  server.on("open", (_request, conn) => {
    log.push(`open ${conn.id}`);
  });
  server.on("resume", (_request, conn) => {
    log.push(`resume ${conn.id}`);
  });
  server.on("close", ({ code }, conn) => {
    log.push(`close ${conn.id} ${code}`);
  });
  server.on("join", ({ room }, conn) => {
    log.push(`join ${room} ${conn.id}`);
  });
  server.on("leave", ({ room }, conn) => {
    log.push(`leave ${room} ${conn.id}`);
  });
  server.on("error", (error) => {
    log.push(`error ${error instanceof Error ? error.message : error}`);
  });
  server.on("enter", (room, conn) => {
    conn.join(room as string);
    conn.setUser("ada");
    conn.data.nick = "ada";
    return [...conn.rooms];
  });
  server.on("add", (data) => {
    const [a, b] = data as [number, number];
    return a + b;
  });
  await server.listen();
  return {
    server,
    engine,
    clock,
    log: lines,
    url: `ws://127.0.0.1:${server.port}/`,
  };
}

/** An event client of `target` over memory sockets; every socket it made is in `sockets`. */
export function memoryClient(
  target: LoggedServer,
  options: EventClientOptions = {},
): { client: EventClient; sockets: MemoryWebSocket[]; events: string[] } {
  const sockets: MemoryWebSocket[] = [];
  const client = new EventClient(target.url, {
    socket: MemoryWebSocket.factory(
      target.engine,
      target.server.port,
      sockets,
    ),
    clock: target.clock,
    reconnect: { initialDelay: 100, maxDelay: 100, jitter: 0 },
    ...options,
  });
  const events: string[] = [];
  client.on("open", ({ id }) => events.push(`open ${id}`));
  client.on("resume", ({ id }) => events.push(`resume ${id}`));
  client.on("close", ({ code, reconnecting }) => {
    events.push(`close ${code} ${reconnecting}`);
  });
  client.on("error", (error) => events.push(`error ${error.message}`));
  return { client, sockets, events };
}

/**
 * A socket that speaks the session protocol by hand: what it received, in
 * order (text messages parsed as JSON), and how it closed.
 */
export class RawSession {
  readonly socket: MemoryWebSocket;
  readonly received: unknown[] = [];
  closed: SocketCloseEvent | undefined;
  opened = false;

  constructor(target: LoggedServer, path = "/?anyws=1") {
    this.socket = new MemoryWebSocket(
      target.engine,
      target.server.port,
      `ws://127.0.0.1${path}`,
    );
    this.socket.addEventListener("open", () => this.opened = true);
    this.socket.addEventListener("message", ({ data }) => {
      this.received.push(typeof data === "string" ? JSON.parse(data) : data);
    });
    this.socket.addEventListener("close", (event) => this.closed = event);
  }

  /** Opens, then sends the hello (with `token` to resume). */
  static async hello(
    target: LoggedServer,
    token?: string,
  ): Promise<RawSession> {
    const raw = new RawSession(target);
    await until(() => raw.opened, "the raw socket opens");
    raw.socket.send(encodeHello(token));
    return raw;
  }

  /** The data of the session message, once it came. */
  async session(): Promise<{ id: string; token: string; resumed: boolean }> {
    await until(() => this.sessionMessage() !== undefined, "anyws:session");
    return this.sessionMessage()!;
  }

  sessionMessage():
    | { id: string; token: string; resumed: boolean }
    | undefined {
    const message = this.received.find((m) =>
      (m as { event?: unknown }).event === "anyws:session"
    ) as { data: { id: string; token: string; resumed: boolean } } | undefined;
    return message?.data;
  }

  /** The close, once it came. */
  async whenClosed(): Promise<SocketCloseEvent> {
    await until(() => this.closed !== undefined, "the raw socket closes");
    return this.closed!;
  }
}
