// Rooms, presence, users and private messages through a Server on the
// runtime's own engine, driven by the runtime's own WebSocket; plus the leak
// check (10,000 join/close cycles) on the in-memory engine.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { CloseInfo } from "../../src/driver/connection.ts";
import { Server } from "@anyws/anyws";
import type { ServerOptions } from "../../src/server/options.ts";
import { memoryEngine, type MemorySocket } from "../../engines/memory.ts";
import {
  closePayload,
  concatBytes,
  encodeClientFrame,
  HOST,
  OP,
  openClient,
  upgradeRequest,
  waitFor,
  withTimeout,
  type WsClient,
} from "../_clients.ts";

/** What clients may send: `{"event": name, "data": In[name], "id"?: ack}`. */
type In = {
  enter: string;
  exit: string;
  rooms: undefined;
  login: string | null;
  whoami: undefined;
  whisper: { to: string; text: string };
  sync: undefined;
};

/** What the server sends. */
type Out = {
  welcome: { id: string };
  said: { room: string; text: string };
  whispered: { from: string; text: string };
};

type ChatServer = Server<Record<string, unknown>, In, Out>;
type Presence = {
  kind: "join" | "leave" | "close";
  room: string;
  size: number;
  id: string;
};

/** A server whose clients manage their rooms and user with events (answers are acks). */
async function chatServer(
  options: ServerOptions = {},
): Promise<{ server: ChatServer; presence: Presence[] }> {
  const server: ChatServer = new Server({
    hostname: HOST,
    port: 0,
    ...options,
  });
  const presence: Presence[] = [];
  server.on("open", (_request, conn) => conn.emit("welcome", { id: conn.id }));
  server.on("enter", (room, conn) => conn.join(room));
  server.on("exit", (room, conn) => conn.leave(room));
  server.on("rooms", (_data, conn) => [...conn.rooms]);
  server.on("login", (user, conn) => conn.setUser(user ?? undefined));
  server.on("whoami", (_data, conn) => conn.user ?? null);
  // A private message: exactly one connection, found by its id.
  server.on(
    "whisper",
    ({ to, text }, conn) =>
      server.connections.get(to)?.emit("whispered", { from: conn.id, text }) ??
        false,
  );
  server.on("sync", () => "synced");
  server.on("join", ({ room, size }, conn) => {
    presence.push({ kind: "join", room, size, id: conn.id });
  });
  server.on("leave", ({ room, size }, conn) => {
    presence.push({ kind: "leave", room, size, id: conn.id });
  });
  await server.listen();
  return { server, presence };
}

/** A WebSocket client that knows its connection id and calls events with acks. */
class Chat {
  readonly client: WsClient;
  readonly id: string;
  #nextAck = 0;

  constructor(client: WsClient, id: string) {
    this.client = client;
    this.id = id;
  }

  static async open(server: ChatServer, query = ""): Promise<Chat> {
    const client = await openClient(`ws://${HOST}:${server.port}/?${query}`);
    const welcome = JSON.parse(await client.next() as string);
    assert.equal(welcome.event, "welcome");
    return new Chat(client, welcome.data.id);
  }

  /** Sends an event with an ack id; the very next message must be its ack. */
  async call(event: keyof In, data?: unknown): Promise<unknown> {
    const id = ++this.#nextAck;
    this.client.ws.send(JSON.stringify({ event, data, id }));
    const reply = JSON.parse(await this.client.next() as string);
    assert.deepEqual(
      Object.keys(reply),
      ["ack", "data"],
      JSON.stringify(reply),
    );
    assert.equal(reply.ack, id);
    return reply.data;
  }

  /** Asserts that nothing arrived before now (the ack of a round trip comes first). */
  async assertNothingReceived(): Promise<void> {
    assert.equal(await this.call("sync"), "synced");
  }

  async nextJson(): Promise<unknown> {
    return JSON.parse(await this.client.next() as string);
  }

  close(code?: number, reason?: string): Promise<unknown> {
    return this.client.close(code, reason);
  }
}

function stop(server: ChatServer): Promise<void> {
  return withTimeout(server.stop({ timeout: 1000 }), 5000, "server.stop()");
}

async function closeChats(chats: Chat[]): Promise<void> {
  await Promise.all(chats.map((chat) => chat.close()));
}

describe("rooms", () => {
  let server: ChatServer;

  before(async () => ({ server } = await chatServer()));
  after(() => stop(server));

  test("conn.join adds the connection once; conn.rooms, room(name).size and rooms() follow", async () => {
    const a = await Chat.open(server);
    const b = await Chat.open(server);
    try {
      assert.equal(await a.call("enter", "lobby"), true);
      assert.equal(await a.call("enter", "lobby"), false);
      assert.equal(await a.call("enter", "games"), true);
      assert.equal(await b.call("enter", "lobby"), true);
      assert.deepEqual(await a.call("rooms"), ["lobby", "games"]);
      assert.deepEqual(await b.call("rooms"), ["lobby"]);
      assert.equal(server.room("lobby").size, 2);
      assert.equal(server.room("games").size, 1);
      assert.equal(server.room("nobody-here").size, 0);
      assert.deepEqual([...server.rooms()].sort(), ["games", "lobby"]);
      const conn = server.connections.get(a.id)!;
      assert.deepEqual([...conn.rooms], ["lobby", "games"]);
    } finally {
      await closeChats([a, b]);
    }
    await waitFor(() => [...server.rooms()].length === 0, 2000, "rooms gone");
  });

  test("conn.leave removes the connection; a room is gone with its last member", async () => {
    const a = await Chat.open(server);
    const b = await Chat.open(server);
    try {
      await a.call("enter", "lobby");
      await b.call("enter", "lobby");
      assert.equal(await a.call("exit", "lobby"), true);
      assert.equal(await a.call("exit", "lobby"), false);
      assert.equal(await a.call("exit", "never-joined"), false);
      assert.deepEqual(await a.call("rooms"), []);
      assert.equal(server.room("lobby").size, 1);
      assert.equal(await b.call("exit", "lobby"), true);
      assert.equal(server.room("lobby").size, 0);
      assert.deepEqual([...server.rooms()], []);
    } finally {
      await closeChats([a, b]);
    }
  });

  test("room(name).emit and send reach exactly the members; outsiders get nothing", async () => {
    const [a, b, c] = await Promise.all([
      Chat.open(server),
      Chat.open(server),
      Chat.open(server),
    ]);
    try {
      await a.call("enter", "lobby");
      await b.call("enter", "lobby");
      await c.call("enter", "games");
      const lobby = server.room("lobby");
      assert.equal(lobby.emit("said", { room: "lobby", text: "hi" }), 2);
      const expected = { event: "said", data: { room: "lobby", text: "hi" } };
      assert.deepEqual(await a.nextJson(), expected);
      assert.deepEqual(await b.nextJson(), expected);
      await c.assertNothingReceived();
      assert.equal(lobby.broadcast("plain"), 2);
      assert.equal(await a.client.next(), "plain");
      assert.equal(await b.client.next(), "plain");
      await c.assertNothingReceived();
      assert.equal(
        server.room("games").broadcast(Uint8Array.from([1, 2, 3])),
        1,
      );
      assert.deepEqual(await c.client.next(), Uint8Array.from([1, 2, 3]));
      await a.assertNothingReceived();
    } finally {
      await closeChats([a, b, c]);
    }
  });

  test("room(name).broadcast with a filter skips the connections it rejects", async () => {
    const [a, b, c] = await Promise.all([
      Chat.open(server),
      Chat.open(server),
      Chat.open(server),
    ]);
    try {
      for (const chat of [a, b, c]) await chat.call("enter", "lobby");
      const count = server.room("lobby").broadcast(
        "not for a",
        (conn) => conn.id !== a.id,
      );
      assert.equal(count, 2);
      assert.equal(await b.client.next(), "not for a");
      assert.equal(await c.client.next(), "not for a");
      await a.assertNothingReceived();
    } finally {
      await closeChats([a, b, c]);
    }
  });

  test("room(name) is a live view: a group taken before anyone joined sees later members", async () => {
    const lobby = server.room("live");
    assert.equal(lobby.size, 0);
    assert.deepEqual([...lobby], []);
    const a = await Chat.open(server);
    try {
      await a.call("enter", "live");
      assert.equal(lobby.size, 1);
      const [member] = [...lobby];
      assert.equal(member, server.connections.get(a.id));
      assert.equal(lobby.broadcast("late"), 1);
      assert.equal(await a.client.next(), "late");
    } finally {
      await a.close();
    }
    await waitFor(() => lobby.size === 0, 2000, "room emptied");
  });

  test("server.to(...rooms) reaches a connection in several of them once; size counts it once", async () => {
    const [a, b, c, d] = await Promise.all([
      Chat.open(server),
      Chat.open(server),
      Chat.open(server),
      Chat.open(server),
    ]);
    try {
      await a.call("enter", "red");
      await a.call("enter", "blue");
      await b.call("enter", "red");
      await c.call("enter", "blue");
      await d.call("enter", "green");
      const group = server.to("red", "blue");
      assert.equal(group.size, 3);
      assert.deepEqual(
        new Set([...group].map((conn) => conn.id)),
        new Set([a.id, b.id, c.id]),
      );
      assert.equal(group.emit("said", { room: "red+blue", text: "once" }), 3);
      for (const chat of [a, b, c]) {
        assert.deepEqual(await chat.nextJson(), {
          event: "said",
          data: { room: "red+blue", text: "once" },
        });
        await chat.assertNothingReceived(); // no second copy
      }
      await d.assertNothingReceived();
      assert.equal(server.to("red", "missing").size, 2);
      assert.equal(server.to().size, 0);
      assert.equal(
        server.to("red").broadcast("x", (conn) => conn.id === b.id),
        1,
      );
      assert.equal(await b.client.next(), "x");
    } finally {
      await closeChats([a, b, c, d]);
    }
  });

  test("room names that are Object.prototype names are ordinary rooms", async () => {
    const a = await Chat.open(server);
    try {
      for (const room of ["__proto__", "constructor", "toString"]) {
        assert.equal(server.room(room).size, 0);
        assert.equal(await a.call("enter", room), true);
        assert.equal(server.room(room).size, 1);
      }
      assert.deepEqual(await a.call("rooms"), [
        "__proto__",
        "constructor",
        "toString",
      ]);
      assert.equal(server.room("__proto__").broadcast("proto"), 1);
      assert.equal(await a.client.next(), "proto");
    } finally {
      await a.close();
    }
    await waitFor(() => [...server.rooms()].length === 0, 2000, "rooms gone");
  });
});

describe("presence", () => {
  let server: ChatServer;
  let presence: Presence[];
  const closes: Array<{ id: string; rooms: string[]; info: CloseInfo }> = [];

  before(async () => {
    ({ server, presence } = await chatServer());
    server.on("close", (info, conn) => {
      closes.push({ id: conn.id, rooms: [...conn.rooms], info });
      presence.push({ kind: "close", room: "", size: -1, id: conn.id });
    });
  });
  after(() => stop(server));

  test("join and leave events carry the room, its new size and the connection", async () => {
    presence.length = 0;
    const a = await Chat.open(server);
    const b = await Chat.open(server);
    try {
      await a.call("enter", "lobby");
      await b.call("enter", "lobby");
      await a.call("exit", "lobby");
      await b.call("exit", "lobby");
      assert.deepEqual(presence, [
        { kind: "join", room: "lobby", size: 1, id: a.id },
        { kind: "join", room: "lobby", size: 2, id: b.id },
        { kind: "leave", room: "lobby", size: 1, id: a.id },
        { kind: "leave", room: "lobby", size: 0, id: b.id },
      ]);
    } finally {
      await closeChats([a, b]);
    }
  });

  test("joining twice or leaving a room not joined fires no event", async () => {
    const a = await Chat.open(server);
    try {
      await a.call("enter", "lobby");
      presence.length = 0;
      assert.equal(await a.call("enter", "lobby"), false);
      assert.equal(await a.call("exit", "elsewhere"), false);
      assert.deepEqual(presence, []);
    } finally {
      await a.close();
    }
  });

  test("on close, close fires first with conn.rooms intact, then one leave per room with the size left", async () => {
    const a = await Chat.open(server);
    const b = await Chat.open(server);
    await a.call("enter", "lobby");
    await a.call("enter", "games");
    await b.call("enter", "lobby");
    const conn = server.connections.get(a.id)!;
    presence.length = 0;
    closes.length = 0;
    await a.close(4001, "bye");
    await waitFor(() => presence.length === 3, 2000, "close and two leaves");
    assert.deepEqual(presence, [
      { kind: "close", room: "", size: -1, id: a.id },
      { kind: "leave", room: "lobby", size: 1, id: a.id },
      { kind: "leave", room: "games", size: 0, id: a.id },
    ]);
    assert.deepEqual(closes[0].rooms, ["lobby", "games"]);
    assert.deepEqual(closes[0].info, {
      code: 4001,
      reason: "bye",
      wasClean: true,
    });
    assert.deepEqual([...conn.rooms], []);
    assert.equal(server.room("lobby").size, 1);
    assert.deepEqual([...server.rooms()], ["lobby"]);
    await b.close();
    await waitFor(() => [...server.rooms()].length === 0, 2000, "rooms gone");
  });

  test("a closed connection cannot join: join returns false and fires nothing", async () => {
    const a = await Chat.open(server);
    const conn = server.connections.get(a.id)!;
    await a.close();
    await waitFor(() => closes.some((c) => c.id === a.id), 2000, "closed");
    presence.length = 0;
    assert.equal(conn.join("lobby"), false);
    assert.equal(conn.leave("lobby"), false);
    assert.deepEqual(presence, []);
    assert.deepEqual([...conn.rooms], []);
    assert.deepEqual([...server.rooms()], []);
  });

  test("a room joined from the close handler does not outlive the connection", async () => {
    const off = server.on("close", (_info, conn) => conn.join("afterlife"));
    const a = await Chat.open(server);
    try {
      await a.close();
      await waitFor(() => closes.some((c) => c.id === a.id), 2000, "closed");
      assert.equal(server.room("afterlife").size, 0);
      assert.deepEqual([...server.rooms()], []);
    } finally {
      off();
    }
  });
});

describe("users", () => {
  let server: ChatServer;
  const opened: Array<{ user: string | undefined; data: unknown }> = [];

  before(async () => {
    ({ server } = await chatServer({
      authorize: (request) => {
        const token = request.query.get("token");
        if (token === null) return true;
        if (token !== "s3cret") return { accept: false, status: 401 };
        return { accept: true, user: "ada", data: { role: "admin" } };
      },
    }));
    server.on("open", (_request, conn) => {
      opened.push({ user: conn.user, data: conn.data });
    });
  });
  after(() => stop(server));

  test("setUser makes conn.user and server.user(id) reach every connection of that user, and only them", async () => {
    const [tab1, tab2, other] = await Promise.all([
      Chat.open(server),
      Chat.open(server),
      Chat.open(server),
    ]);
    try {
      assert.equal(await tab1.call("whoami"), null);
      assert.equal(await tab1.call("login", "ada"), null);
      await tab2.call("login", "ada");
      await other.call("login", "bob");
      assert.equal(await tab1.call("whoami"), "ada");
      assert.equal(server.connections.get(tab2.id)!.user, "ada");
      const ada = server.user("ada");
      assert.equal(ada.size, 2);
      assert.deepEqual(
        new Set([...ada].map((conn) => conn.id)),
        new Set([tab1.id, tab2.id]),
      );
      assert.equal(ada.emit("said", { room: "dm", text: "for ada" }), 2);
      for (const tab of [tab1, tab2]) {
        assert.deepEqual(await tab.nextJson(), {
          event: "said",
          data: { room: "dm", text: "for ada" },
        });
      }
      await other.assertNothingReceived();
      assert.equal(server.user("nobody").size, 0);
      assert.equal(server.user("nobody").broadcast("x"), 0);
    } finally {
      await closeChats([tab1, tab2, other]);
    }
  });

  test("setUser to another user moves the connection; setUser(undefined) detaches it", async () => {
    const a = await Chat.open(server);
    try {
      await a.call("login", "ada");
      await a.call("login", "bob");
      assert.equal(await a.call("whoami"), "bob");
      assert.equal(server.user("ada").size, 0);
      assert.equal(server.user("bob").size, 1);
      await a.call("login", null);
      assert.equal(await a.call("whoami"), null);
      assert.equal(server.user("bob").size, 0);
    } finally {
      await a.close();
    }
  });

  test("a user's group shrinks as its connections close", async () => {
    const a = await Chat.open(server);
    const b = await Chat.open(server);
    await a.call("login", "carol");
    await b.call("login", "carol");
    const carol = server.user("carol");
    assert.equal(carol.size, 2);
    await a.close();
    await waitFor(() => carol.size === 1, 2000, "one left");
    await b.close();
    await waitFor(() => carol.size === 0, 2000, "none left");
  });

  test("authorize's { accept: true, user, data } sets conn.user and conn.data before open", async () => {
    opened.length = 0;
    const a = await Chat.open(server, "token=s3cret");
    try {
      assert.deepEqual(opened, [{ user: "ada", data: { role: "admin" } }]);
      assert.equal(await a.call("whoami"), "ada");
      assert.equal(server.user("ada").size, 1);
      assert.deepEqual(server.connections.get(a.id)!.data, { role: "admin" });
    } finally {
      await a.close();
    }
    await waitFor(() => server.user("ada").size === 0, 2000, "ada gone");
  });

  test("a refused authorize opens no connection", async () => {
    await assert.rejects(
      openClient(`ws://${HOST}:${server.port}/?token=wrong`, { timeout: 2000 }),
    );
    assert.equal(server.user("ada").size, 0);
  });

  test("setUser on a closed connection is ignored", async () => {
    const a = await Chat.open(server);
    const conn = server.connections.get(a.id)!;
    await a.close();
    await waitFor(() => !server.connections.has(a.id), 2000, "closed");
    conn.setUser("ghost");
    assert.equal(conn.user, undefined);
    assert.equal(server.user("ghost").size, 0);
  });
});

describe("private messages", () => {
  let server: ChatServer;

  before(async () => ({ server } = await chatServer()));
  after(() => stop(server));

  test("server.connections.get(id) reaches exactly that connection", async () => {
    const [a, b, c] = await Promise.all([
      Chat.open(server),
      Chat.open(server),
      Chat.open(server),
    ]);
    try {
      assert.equal(await a.call("whisper", { to: b.id, text: "psst" }), true);
      assert.deepEqual(await b.nextJson(), {
        event: "whispered",
        data: { from: a.id, text: "psst" },
      });
      await b.assertNothingReceived();
      await c.assertNothingReceived();
    } finally {
      await closeChats([a, b, c]);
    }
  });

  test("an unknown or closed connection id reaches nobody", async () => {
    const a = await Chat.open(server);
    const b = await Chat.open(server);
    try {
      assert.equal(
        await a.call("whisper", { to: "no-such-id", text: "?" }),
        false,
      );
      assert.equal(
        await a.call("whisper", { to: "__proto__", text: "?" }),
        false,
      );
      const gone = b.id;
      await b.close();
      await waitFor(() => !server.connections.has(gone), 2000, "b closed");
      assert.equal(await a.call("whisper", { to: gone, text: "?" }), false);
    } finally {
      await closeChats([a, b]);
    }
  });
});

describe("leaks", () => {
  test("10,000 join/close cycles leave no room, user or connection behind", async () => {
    const encoder = new TextEncoder();
    const CYCLES = 10_000;
    const BATCH = 250;
    const engine = memoryEngine();
    const server: ChatServer = new Server(engine, {
      hostname: HOST,
      port: 0,
      rateLimit: false,
      // A connection the server failed to release would count against these
      // limits, and the next full batch would be refused with 503 or 429.
      maxConnections: BATCH,
      maxConnectionsPerIp: BATCH,
    });
    const counts = { join: 0, leave: 0, open: 0, close: 0 };
    server.on("open", (request, conn) => {
      counts.open++;
      const i = Number(request.query.get("i"));
      conn.join("lobby");
      conn.join(`room-${i}`);
      conn.setUser(`user-${i % 10}`);
    });
    server.on("enter", (room, conn) => {
      conn.join(room);
      // A third of the connections are terminated by the server.
      if (room === "ends-here") conn.terminate();
    });
    server.on("join", () => counts.join++);
    server.on("leave", () => counts.leave++);
    server.on("close", () => counts.close++);
    await server.listen();

    const lobby = server.room("lobby");
    let upgraded = 0;
    try {
      for (let start = 0; start < CYCLES; start += BATCH) {
        const closed: Array<Promise<Error | undefined>> = [];
        for (let i = start; i < start + BATCH; i++) {
          const socket: MemorySocket = engine.connect(server.port);
          const kind = i % 3;
          const room = kind === 1 ? "ends-here" : `extra-${i % 5}`;
          const parts = [
            encoder.encode(upgradeRequest(`/?i=${i}`)),
            encodeClientFrame(
              OP.Text,
              JSON.stringify({ event: "enter", data: room }),
            ),
          ];
          if (kind === 0) {
            // A clean close by the client: the server answers, then FIN.
            parts.push(encodeClientFrame(OP.Close, closePayload(1000)));
          }
          socket.onEnd = () => socket.end();
          let first = true;
          socket.onData = (bytes) => {
            if (!first) return;
            first = false;
            const status = String.fromCharCode(...bytes.subarray(0, 12));
            if (status === "HTTP/1.1 101") upgraded++;
            // A reset by the client once the server answered.
            if (kind === 2) socket.abort();
          };
          socket.write(concatBytes(...parts));
          closed.push(socket.closed);
        }
        await withTimeout(Promise.all(closed), 10_000, `batch at ${start}`);
      }
      // Those the server terminated in the turn they opened never see the 101.
      const terminated = Math.ceil((CYCLES - 1) / 3);
      assert.equal(upgraded, CYCLES - terminated);
      assert.equal(counts.open, CYCLES);
      assert.equal(counts.close, CYCLES);
      assert.equal(counts.join, 3 * CYCLES);
      assert.equal(counts.leave, counts.join);
      assert.equal(server.connections.size, 0);
      assert.equal([...server.connections].length, 0);
      assert.equal([...server.rooms()].length, 0);
      assert.equal(lobby.size, 0);
      assert.equal(server.room("room-9999").size, 0);
      assert.equal(server.to("lobby", "ends-here", "extra-0").size, 0);
      for (let u = 0; u < 10; u++) {
        assert.equal(server.user(`user-${u}`).size, 0);
      }
    } finally {
      await withTimeout(server.stop({ timeout: 200 }), 3000, "server.stop()");
    }
  });
});
