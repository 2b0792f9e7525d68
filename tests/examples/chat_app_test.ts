// The demo chat (examples/chat) at the protocol level: the runtime's own
// WebSocket client against a server running `register`, and the assistant
// against a local stand-in for the chat-completions API.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { Server } from "../../mod.ts";
import { DEFAULT_ROOMS, LIMITS, register } from "../../examples/chat/app.ts";
import type { ChatOptions } from "../../examples/chat/app.ts";
import {
  Assistant,
  DEFAULT_BASE_URL,
  DEFAULT_MODEL,
  mentionsAssistant,
  NOT_CONFIGURED,
  stripMention,
} from "../../examples/chat/assistant.ts";
import { ChatCompletionsStub } from "../_chat_stub.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const HOST = "127.0.0.1";

function timeout<T>(
  promise: Promise<T>,
  ms: number,
  label: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Timed out after ${ms} ms: ${label}`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

async function until(
  predicate: () => boolean,
  label: string,
  ms = 3000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${ms} ms: ${label}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function startChat(options: ChatOptions = {}): Promise<Server> {
  const server = new Server({ hostname: HOST, port: 0, clientScript: true });
  register(server, { assistant: { apiKey: "" }, ...options });
  server.on("error", () => {}); // invalid data is expected in these tests
  await server.listen();
  return server;
}

async function stopChat(server: Server | undefined): Promise<void> {
  if (server) await timeout(server.stop({ timeout: 500 }), 5000, "stop");
}

/** A chat client: every event it received, and requests with acks. */
class Peer {
  readonly ws: WebSocket;
  readonly events: Array<{ event: string; data: Json }> = [];
  readonly closed: Promise<void>;
  #acks = new Map<number, (ack: Json) => void>();
  #nextId = 0;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener("message", (event: MessageEvent) => {
      const message = JSON.parse(String(event.data));
      if ("ack" in message) {
        const resolve = this.#acks.get(message.ack);
        this.#acks.delete(message.ack);
        resolve?.(message);
      } else {
        this.events.push(message);
      }
    });
    this.closed = new Promise((resolve) =>
      ws.addEventListener("close", () => resolve())
    );
  }

  static async open(server: Server): Promise<Peer> {
    const ws = new WebSocket(`${server.url}/ws`);
    const peer = new Peer(ws);
    await timeout(
      new Promise<void>((resolve, reject) => {
        ws.addEventListener("open", () => resolve());
        ws.addEventListener("error", () => reject(new Error("Open failed")));
      }),
      3000,
      "WebSocket open",
    );
    return peer;
  }

  /** Opens, says hello as `nick` and enters `room` (when given). */
  static async join(
    server: Server,
    nick: string,
    room?: string,
  ): Promise<Peer> {
    const peer = await Peer.open(server);
    const hello = await peer.request("hello", { nick });
    assert.equal(hello.error, undefined);
    if (room !== undefined) {
      const entered = await peer.request("enter", { room });
      assert.equal(entered.error, undefined);
    }
    return peer;
  }

  /** The whole ack: `{ack, data}` or `{ack, error}`. */
  request(event: string, data: unknown): Promise<Json> {
    const id = ++this.#nextId;
    const acked = new Promise<Json>((resolve) => this.#acks.set(id, resolve));
    this.ws.send(JSON.stringify({ event, data, id }));
    return timeout(acked, 3000, `ack of ${event}`);
  }

  send(event: string, data: unknown): void {
    this.ws.send(JSON.stringify({ event, data }));
  }

  /** The data of every `event` received so far. */
  all(event: string): Json[] {
    return this.events.filter((e) => e.event === event).map((e) => e.data);
  }

  /** The first `event` (so far or to come) whose data `match` accepts. */
  async next(
    event: string,
    match: (data: Json) => boolean = () => true,
    ms = 3000,
  ): Promise<Json> {
    let found: Json;
    await until(
      () => {
        found = this.events.find((e) => e.event === event && match(e.data));
        return found !== undefined;
      },
      `${event} event`,
      ms,
    );
    return found.data;
  }

  clear(): void {
    this.events.length = 0;
  }

  async close(): Promise<void> {
    if (this.ws.readyState < 2) this.ws.close(1000);
    await timeout(this.closed, 3000, "WebSocket close");
  }
}

async function closeAll(peers: Peer[]): Promise<void> {
  await Promise.all(peers.map((peer) => peer.close()));
}

describe("chat: HTTP on the WebSocket port", () => {
  let server: Server;
  before(async () => {
    server = await startChat();
  });
  after(() => stopChat(server));

  test("GET / serves the page, with a CSP and no store; its one script is the server's browser client", async () => {
    const response = await fetch(`http://${HOST}:${server.port}/`);
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get("content-type"),
      "text/html; charset=utf-8",
    );
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.match(
      response.headers.get("content-security-policy") ?? "",
      /default-src 'none'; script-src 'self' 'unsafe-inline'.*connect-src 'self'/,
    );
    const html = await response.text();
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<title>anyws chat<\/title>/);
    assert.match(
      html,
      /<script type="module">\nimport \{[^}]+\} from "\/anyws\.js";/,
    );
    assert.match(html, /connect\("\/ws"/);
    // Nothing from elsewhere: no external scripts, styles or fonts.
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
    const script = await fetch(`http://${HOST}:${server.port}/anyws.js`);
    assert.equal(script.status, 200);
    assert.match(await script.text(), /export\s*\{[^}]*\bconnect\b/);
  });

  test("register refuses a server that does not serve the browser client", () => {
    assert.throws(
      () => register(new Server({ port: 0 })),
      (error: Error) =>
        error.name === "UsageError" && /clientScript: true/.test(error.message),
    );
  });

  test("with clientScript at a path of its own, the page imports it from there", async () => {
    const custom = new Server({
      hostname: HOST,
      port: 0,
      clientScript: "/js/ws-client.js",
    });
    register(custom, { assistant: { apiKey: "" } });
    await custom.listen();
    try {
      const html = await (await fetch(`http://${HOST}:${custom.port}/`)).text();
      assert.match(html, /\} from "\/js\/ws-client\.js";/);
    } finally {
      await custom.stop({ timeout: 500 });
    }
  });

  test("GET /healthz reports ok and the open connection count", async () => {
    const peer = await Peer.open(server);
    try {
      const response = await fetch(`http://${HOST}:${server.port}/healthz`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.deepEqual(await response.json(), {
        status: "ok",
        connections: 1,
      });
    } finally {
      await peer.close();
    }
  });

  test("answers other paths and methods with 404", async () => {
    for (
      const [method, path] of [
        ["GET", "/nope"],
        ["GET", "/healthz/x"],
        ["POST", "/"],
        ["DELETE", "/healthz"],
      ]
    ) {
      const response = await fetch(`http://${HOST}:${server.port}${path}`, {
        method,
      });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.equal(await response.text(), "Not Found");
    }
  });
});

describe("chat: nicknames, rooms and presence", () => {
  let server: Server;
  before(async () => {
    server = await startChat();
  });
  after(() => stopChat(server));

  test("welcomes a connection with its id, the assistant state and the listed rooms", async () => {
    const peer = await Peer.open(server);
    try {
      const welcome = await peer.next("welcome");
      assert.equal(typeof welcome.id, "string");
      assert.equal(server.connections.get(welcome.id)?.id, welcome.id);
      assert.equal(welcome.assistant, false);
      assert.deepEqual(
        welcome.rooms,
        DEFAULT_ROOMS.map((name) => ({ name, size: 0 })),
      );
    } finally {
      await peer.close();
    }
  });

  test("hello acknowledges with the connection id and the trimmed nickname", async () => {
    const peer = await Peer.open(server);
    try {
      const welcome = await peer.next("welcome");
      const ack = await peer.request("hello", { nick: "  ada  " });
      assert.deepEqual(ack.data, { id: welcome.id, nick: "ada" });
    } finally {
      await peer.close();
    }
  });

  test("refuses enter, say, typing and private before hello", async () => {
    const peer = await Peer.open(server);
    try {
      for (
        const [event, data] of [
          ["enter", { room: "lobby" }],
          ["say", { text: "hi" }],
          ["typing", { typing: true }],
          ["private", { to: "x", text: "hi" }],
        ] as const
      ) {
        const ack = await peer.request(event, data);
        assert.equal(ack.data, undefined, event);
        assert.equal(ack.error.issues[0].message, "Say hello first", event);
      }
      assert.equal(server.room("lobby").size, 0);
    } finally {
      await peer.close();
    }
  });

  test("say before entering a room is refused", async () => {
    const peer = await Peer.join(server, "ada");
    try {
      const ack = await peer.request("say", { text: "hi" });
      assert.equal(ack.error.issues[0].message, "Join a room first");
    } finally {
      await peer.close();
    }
  });

  test("enter acknowledges with the members, pushes presence to the room and counts to everyone", async () => {
    const ada = await Peer.join(server, "ada", "lobby");
    const watcher = await Peer.open(server); // no hello: still sees counts
    const bob = await Peer.join(server, "bob");
    try {
      const ack = await bob.request("enter", { room: "Lobby" });
      const members = [
        { id: ada.all("welcome")[0].id, nick: "ada" },
        { id: bob.all("welcome")[0].id, nick: "bob" },
      ];
      assert.deepEqual(ack.data, { room: "lobby", members });
      assert.deepEqual(
        await ada.next("presence", (d) => d.members.length === 2),
        { room: "lobby", members },
      );
      const rooms = await watcher.next(
        "rooms",
        (d) => d.rooms[0].size === 2,
      );
      assert.deepEqual(rooms.rooms, [
        { name: "lobby", size: 2 },
        { name: "dev", size: 0 },
        { name: "random", size: 0 },
      ]);
      const joined = await ada.next("system", (d) => d.text.includes("bob"));
      assert.equal(joined.text, "bob joined #lobby");
      assert.equal(joined.room, "lobby");
    } finally {
      await closeAll([ada, watcher, bob]);
    }
  });

  test("entering another room leaves the first: presence and counts follow", async () => {
    const ada = await Peer.join(server, "ada", "lobby");
    const bob = await Peer.join(server, "bob", "lobby");
    try {
      const ack = await bob.request("enter", { room: "dev" });
      assert.deepEqual(ack.data.members.map((m: Json) => m.nick), ["bob"]);
      assert.deepEqual([
        ...server.connections.get(ack.data.members[0].id)!.rooms,
      ], [
        "dev",
      ]);
      const presence = await ada.next(
        "presence",
        (d) => d.members.length === 1,
      );
      assert.deepEqual(presence.members.map((m: Json) => m.nick), ["ada"]);
      assert.equal(
        (await ada.next("system", (d) => d.text.includes("left"))).text,
        "bob left #lobby",
      );
      const rooms = await ada.next(
        "rooms",
        (d) => d.rooms.find((r: Json) => r.name === "dev").size === 1,
      );
      assert.equal(rooms.rooms.find((r: Json) => r.name === "lobby").size, 1);
    } finally {
      await closeAll([ada, bob]);
    }
  });

  test("a room outside the listed ones is listed while it has members", async () => {
    const ada = await Peer.join(server, "ada", "book-club_2");
    try {
      const rooms = await ada.next(
        "rooms",
        (d) => d.rooms.some((r: Json) => r.name === "book-club_2"),
      );
      assert.deepEqual(rooms.rooms.at(-1), { name: "book-club_2", size: 1 });
    } finally {
      await ada.close();
    }
    const bob = await Peer.open(server);
    try {
      const welcome = await bob.next("welcome");
      assert.deepEqual(
        welcome.rooms.map((r: Json) => r.name),
        [...DEFAULT_ROOMS],
      );
    } finally {
      await bob.close();
    }
  });

  test("closing a connection removes it from presence and counts, with a left notice", async () => {
    const ada = await Peer.join(server, "ada", "lobby");
    const bob = await Peer.join(server, "bob", "lobby");
    await ada.next("presence", (d) => d.members.length === 2);
    ada.clear();
    await bob.close();
    const presence = await ada.next("presence");
    assert.deepEqual(presence.members.map((m: Json) => m.nick), ["ada"]);
    assert.equal((await ada.next("system")).text, "bob left #lobby");
    assert.equal(
      (await ada.next("rooms")).rooms.find((r: Json) => r.name === "lobby")
        .size,
      1,
    );
    await ada.close();
  });

  test("hello again renames: the room gets a notice and new presence", async () => {
    const ada = await Peer.join(server, "ada", "lobby");
    const bob = await Peer.join(server, "bob", "lobby");
    try {
      const ack = await ada.request("hello", { nick: "Ada L." });
      assert.equal(ack.data.nick, "Ada L.");
      assert.equal(
        (await bob.next("system", (d) => d.text.includes("known"))).text,
        "ada is now known as Ada L.",
      );
      const presence = await bob.next(
        "presence",
        (d) => d.members.some((m: Json) => m.nick === "Ada L."),
      );
      assert.deepEqual(presence.members.map((m: Json) => m.nick), [
        "Ada L.",
        "bob",
      ]);
    } finally {
      await closeAll([ada, bob]);
    }
  });
});

describe("chat: one nickname per person in a room, presence by connection", () => {
  let server: Server;
  before(async () => {
    server = await startChat();
  });
  after(() => stopChat(server));

  const idOf = (peer: Peer): string => peer.all("welcome")[0].id;

  test("entering a room where another connection goes by the nickname (in any case) is refused and changes nothing", async () => {
    const sam = await Peer.join(server, "sam", "lobby");
    const other = await Peer.join(server, "SAM", "dev");
    try {
      const samId = idOf(sam);
      await sam.next("presence", (d) => d.members.length === 1);
      sam.clear();
      const ack = await other.request("enter", { room: "lobby" });
      assert.equal(ack.data, undefined);
      assert.equal(
        ack.error.issues[0].message,
        "Nickname SAM is taken in #lobby",
      );
      assert.deepEqual([...server.connections.get(idOf(other))!.rooms], [
        "dev",
      ]);
      assert.deepEqual(
        [...server.room("lobby")].map((conn) => conn.id),
        [samId],
      );
      // The room heard nothing of it: a round trip of sam's own first.
      await sam.request("say", { text: "still alone" });
      assert.deepEqual(sam.all("presence"), []);
      assert.deepEqual(sam.all("system"), []);
    } finally {
      await closeAll([sam, other]);
    }
  });

  test("a Unicode variant of a nickname in the room is the same nickname", async () => {
    const sam = await Peer.join(server, "Sam", "lobby");
    const other = await Peer.join(server, "\uff33\uff41\uff4d"); // fullwidth Sam
    try {
      const ack = await other.request("enter", { room: "lobby" });
      assert.equal(
        ack.error.issues[0].message,
        "Nickname \uff33\uff41\uff4d is taken in #lobby",
      );
    } finally {
      await closeAll([sam, other]);
    }
  });

  test("renaming to a nickname used in the room is refused; in another room, or one's own in another case, it is fine", async () => {
    const ada = await Peer.join(server, "ada", "lobby");
    const bob = await Peer.join(server, "bob", "lobby");
    const carol = await Peer.join(server, "carol", "dev");
    try {
      const refused = await bob.request("hello", { nick: "Ada" });
      assert.equal(
        refused.error.issues[0].message,
        "Nickname Ada is taken in #lobby",
      );
      const ack = await bob.request("enter", { room: "lobby" });
      assert.deepEqual(ack.data.members.map((m: Json) => m.nick), [
        "ada",
        "bob",
      ]);
      assert.equal(
        (await carol.request("hello", { nick: "ada" })).data.nick,
        "ada",
      );
      assert.equal(
        (await ada.request("hello", { nick: "Ada" })).data.nick,
        "Ada",
      );
    } finally {
      await closeAll([ada, bob, carol]);
    }
  });

  test("join and leave notices name the connection they are about, and presence drops exactly that one", async () => {
    const ada = await Peer.join(server, "ada", "lobby");
    const bob = await Peer.join(server, "bob", "lobby");
    try {
      const joined = await ada.next(
        "system",
        (d) => d.text === "bob joined #lobby",
      );
      assert.deepEqual(joined.who, { id: idOf(bob), nick: "bob" });
      await ada.request("hello", { nick: "ada2" });
      const renamed = await bob.next("system", (d) => d.text.includes("known"));
      assert.deepEqual(renamed.who, { id: idOf(ada), nick: "ada2" });
      const [adaId, bobId] = [idOf(ada), idOf(bob)];
      ada.clear();
      await bob.close();
      const left = await ada.next("system", (d) => d.text.includes("left"));
      assert.deepEqual(left, {
        room: "lobby",
        text: "bob left #lobby",
        at: left.at,
        who: { id: bobId, nick: "bob" },
      });
      assert.deepEqual((await ada.next("presence")).members, [
        { id: adaId, nick: "ada2" },
      ]);
    } finally {
      await closeAll([ada, bob]);
    }
  });

  test("once a nickname's holder has left the room, another connection can take it", async () => {
    const first = await Peer.join(server, "sam", "lobby");
    const watcher = await Peer.join(server, "wes", "lobby");
    const second = await Peer.join(server, "sam", "dev");
    try {
      assert.equal(
        (await second.request("enter", { room: "lobby" })).error.issues[0]
          .message,
        "Nickname sam is taken in #lobby",
      );
      await first.close();
      await watcher.next("system", (d) => d.text === "sam left #lobby");
      const ack = await second.request("enter", { room: "lobby" });
      assert.deepEqual(ack.data.members, [
        { id: idOf(watcher), nick: "wes" },
        { id: idOf(second), nick: "sam" },
      ]);
      const joined = await watcher.next(
        "system",
        (d) => d.text === "sam joined #lobby",
      );
      assert.equal(joined.who.id, idOf(second));
    } finally {
      await closeAll([watcher, second]);
    }
  });
});

describe("chat: messages, typing and private messages", () => {
  let server: Server;
  let ada: Peer;
  let bob: Peer;
  let carol: Peer;
  let ids: { ada: string; bob: string; carol: string };

  before(async () => {
    server = await startChat();
    ada = await Peer.join(server, "ada", "lobby");
    bob = await Peer.join(server, "bob", "lobby");
    carol = await Peer.join(server, "carol", "dev");
    ids = {
      ada: ada.all("welcome")[0].id,
      bob: bob.all("welcome")[0].id,
      carol: carol.all("welcome")[0].id,
    };
  });
  after(async () => {
    await closeAll([ada, bob, carol]);
    await stopChat(server);
  });

  /** A round trip on `peer`: whatever the server sent it before is in. */
  async function sync(peer: Peer): Promise<void> {
    await peer.request("typing", { typing: false });
  }

  test("say reaches everyone in the room, the sender too, and nobody elsewhere", async () => {
    const ack = await ada.request("say", { text: "  Hello, lobby!  " });
    assert.equal(typeof ack.data.id, "string");
    const received = await bob.next("message", (d) => d.id === ack.data.id);
    assert.deepEqual(
      { ...received, at: 0 },
      {
        id: ack.data.id,
        room: "lobby",
        from: { id: ids.ada, nick: "ada" },
        text: "Hello, lobby!",
        at: 0,
      },
    );
    assert.ok(Math.abs(received.at - Date.now()) < 5000);
    assert.deepEqual(
      await ada.next("message", (d) => d.id === ack.data.id),
      received,
    );
    await sync(carol);
    assert.deepEqual(carol.all("message"), []);
  });

  test("message ids are unique", async () => {
    const first = await ada.request("say", { text: "one" });
    const second = await ada.request("say", { text: "two" });
    assert.notEqual(first.data.id, second.data.id);
  });

  test("typing goes to the others in the room, not to the typist nor other rooms", async () => {
    ada.clear();
    carol.clear();
    bob.send("typing", { typing: true });
    assert.deepEqual(await ada.next("typing"), {
      room: "lobby",
      from: { id: ids.bob, nick: "bob" },
      typing: true,
    });
    bob.send("typing", { typing: false });
    assert.equal(
      (await ada.next("typing", (d) => d.typing === false)).from.nick,
      "bob",
    );
    await sync(bob);
    await sync(carol);
    assert.deepEqual(bob.all("typing"), []);
    assert.deepEqual(carol.all("typing"), []);
  });

  test("a newcomer gets the room's history before the presence", async () => {
    const said = await bob.request("say", { text: "for the record" });
    const dave = await Peer.join(server, "dave", "lobby");
    try {
      const history = await dave.next("history");
      assert.equal(history.room, "lobby");
      const last = history.messages.at(-1);
      assert.equal(last.event, "message");
      assert.equal(last.data.id, said.data.id);
      assert.equal(last.data.text, "for the record");
      const order = dave.events.map((e) => e.event);
      assert.ok(order.indexOf("history") < order.indexOf("presence"));
    } finally {
      await dave.close();
    }
  });

  test("a room keeps at most LIMITS.history messages", async () => {
    for (let i = 0; i < LIMITS.history + 5; i++) {
      carol.send("say", { text: `dev ${i}` });
    }
    await sync(carol);
    const erin = await Peer.join(server, "erin", "dev");
    try {
      const history = await erin.next("history");
      assert.equal(history.messages.length, LIMITS.history);
      assert.equal(history.messages[0].data.text, "dev 5");
      assert.equal(
        history.messages.at(-1).data.text,
        `dev ${LIMITS.history + 4}`,
      );
    } finally {
      await erin.close();
    }
  });

  test("private reaches the recipient and the sender only, in any room", async () => {
    bob.clear();
    const ack = await ada.request("private", { to: ids.carol, text: "psst" });
    const expected = {
      id: ack.data.id,
      from: { id: ids.ada, nick: "ada" },
      to: { id: ids.carol, nick: "carol" },
      text: "psst",
    };
    const got = await carol.next("private", (d) => d.id === ack.data.id);
    assert.deepEqual({ ...got, at: undefined }, { ...expected, at: undefined });
    const echo = await ada.next("private", (d) => d.id === ack.data.id);
    assert.deepEqual(echo, got);
    await sync(bob);
    assert.deepEqual(bob.all("private"), []);
    assert.deepEqual(bob.all("message"), []);
  });

  test("private to an unknown id or to oneself is refused", async () => {
    const unknown = await ada.request("private", {
      to: "no-such-id",
      text: "hi",
    });
    assert.equal(
      unknown.error.issues[0].message,
      "That person is no longer connected",
    );
    const self = await ada.request("private", { to: ids.ada, text: "hi" });
    assert.equal(
      self.error.issues[0].message,
      "You cannot send a private message to yourself",
    );
  });
});

describe("chat: validation of client data", () => {
  let server: Server;
  let ada: Peer;

  before(async () => {
    server = await startChat();
    ada = await Peer.join(server, "ada", "lobby");
  });
  after(async () => {
    await ada.close();
    await stopChat(server);
  });

  const cases: Array<[string, unknown, string, string]> = [
    ["hello", { nick: "" }, "nick", "Nickname must be 1 to 24 characters"],
    ["hello", { nick: "   " }, "nick", "Nickname must be 1 to 24 characters"],
    [
      "hello",
      { nick: "x".repeat(LIMITS.nick + 1) },
      "nick",
      "Nickname must be 1 to 24 characters",
    ],
    ["hello", { nick: 42 }, "nick", "Nickname must be text"],
    [
      "hello",
      { nick: "a\u0000b" },
      "nick",
      "Nickname must not contain control characters",
    ],
    [
      "hello",
      { nick: "a\nb" },
      "nick",
      "Nickname must not contain control characters",
    ],
    [
      "hello",
      { nick: "Assistant" },
      "nick",
      "Nickname assistant is taken by the assistant",
    ],
    [
      "enter",
      { room: "two words" },
      "room",
      "Room name must be letters, digits, - and _ and start with a letter or digit",
    ],
    [
      "enter",
      { room: "-dash" },
      "room",
      "Room name must be letters, digits, - and _ and start with a letter or digit",
    ],
    ["enter", { room: ["lobby"] }, "room", "Room name must be text"],
    [
      "say",
      { text: "x".repeat(LIMITS.text + 1) },
      "text",
      "Message must be 1 to 2000 characters",
    ],
    ["say", { text: "" }, "text", "Message must be 1 to 2000 characters"],
    [
      "say",
      { text: "bell\u0007" },
      "text",
      "Message must not contain control characters",
    ],
    ["typing", { typing: "yes" }, "typing", "Typing must be true or false"],
    ["private", { text: "hi" }, "to", "Recipient must be a connection id"],
    [
      "private",
      { to: "x".repeat(65), text: "hi" },
      "to",
      "Recipient must be a connection id",
    ],
  ];

  for (const [event, data, field, message] of cases) {
    test(`rejects ${event} ${JSON.stringify(data).slice(0, 40)}: ${message}`, async () => {
      const ack = await ada.request(event, data);
      assert.equal(ack.data, undefined);
      assert.deepEqual(ack.error.issues, [{ message, path: [field] }]);
      assert.equal(
        ack.error.message,
        `Invalid data for event ${event}: ${field}: ${message}`,
      );
    });
  }

  test("rejects data that is not an object", async () => {
    for (const data of [null, "hi", [1], 3]) {
      const ack = await ada.request("say", data);
      assert.deepEqual(ack.error.issues, [{ message: "Expected an object" }]);
    }
  });

  test("accepts a message of exactly LIMITS.text characters, with newlines and tabs", async () => {
    const text = "a\tb\n" + "x".repeat(LIMITS.text - 4);
    const ack = await ada.request("say", { text });
    assert.equal(ack.error, undefined);
    assert.equal(
      (await ada.next("message", (d) => d.id === ack.data.id)).text,
      text,
    );
  });

  test("invalid data sent without an id comes back as an error event", async () => {
    ada.send("say", { text: 7 });
    const error = await ada.next("error");
    assert.deepEqual(error, {
      event: "say",
      message: "Invalid data for event say: text: Message must be text",
      issues: [{ message: "Message must be text", path: ["text"] }],
    });
  });

  test("a refused message leaves the room untouched and the connection open", async () => {
    ada.clear();
    await ada.request("say", { text: "" });
    const ok = await ada.request("say", { text: "still here" });
    assert.equal(ok.error, undefined);
    assert.equal(ada.all("message").length, 1);
    assert.equal(ada.ws.readyState, 1);
  });
});

describe("chat: the assistant", () => {
  let stub: ChatCompletionsStub;

  before(async () => {
    stub = await ChatCompletionsStub.start();
  });
  after(() => stub.close());

  test("without a key, says in the room how to configure it", async () => {
    const server = await startChat();
    const ada = await Peer.join(server, "ada", "lobby");
    const bob = await Peer.join(server, "bob", "lobby");
    try {
      const said = await ada.request("say", { text: "@assistant hello?" });
      const reply = await bob.next("assistant");
      assert.deepEqual({ ...reply, id: "", at: 0 }, {
        id: "",
        room: "lobby",
        text: NOT_CONFIGURED,
        ok: false,
        replyTo: said.data.id,
        at: 0,
      });
      assert.match(reply.text, /OPENAI_API_KEY/);
      assert.deepEqual(await ada.next("assistant"), reply);
      assert.equal(stub.requests.length, 0);
    } finally {
      await closeAll([ada, bob]);
      await stopChat(server);
    }
  });

  test("answers @assistant into the room through the chat-completions API", async () => {
    stub.requests.length = 0;
    stub.mode = "answer";
    const server = await startChat({
      assistant: { apiKey: "test-key", baseUrl: stub.baseUrl, model: "m-1" },
    });
    const ada = await Peer.join(server, "ada", "lobby");
    const bob = await Peer.join(server, "bob", "lobby");
    const carol = await Peer.join(server, "carol", "dev");
    try {
      assert.equal(ada.all("welcome")[0].assistant, true);
      const said = await ada.request("say", {
        text: "@assistant: what is 2+2?",
      });
      const reply = await bob.next("assistant");
      assert.equal(reply.text, "Stand-in answer to: what is 2+2?");
      assert.equal(reply.ok, true);
      assert.equal(reply.room, "lobby");
      assert.equal(reply.replyTo, said.data.id);
      // The question is an ordinary message too.
      assert.equal(
        (await bob.next("message", (d) => d.id === said.data.id)).text,
        "@assistant: what is 2+2?",
      );
      // "assistant is typing" while it works, to the whole room.
      const typing = bob.all("typing").filter((d) => d.from.id === "assistant");
      assert.deepEqual(typing.map((d) => d.typing), [true, false]);
      assert.deepEqual(typing[0].from, { id: "assistant", nick: "assistant" });

      assert.equal(stub.requests.length, 1);
      const request = stub.requests[0];
      assert.equal(request.method, "POST");
      assert.equal(request.path, "/v1/chat/completions");
      assert.equal(request.authorization, "Bearer test-key");
      assert.equal(request.contentType, "application/json");
      assert.equal(request.body?.model, "m-1");
      const messages = request.body?.messages ?? [];
      assert.deepEqual(messages.map((m) => m.role), ["system", "user"]);
      assert.equal(messages[1].content, "what is 2+2?");
      assert.match(messages[0].content, /"lobby"/);
      assert.match(messages[0].content, /ada/);

      await carol.request("typing", { typing: false });
      assert.deepEqual(carol.all("assistant"), []);
      // Later joiners see the answer in the history.
      const dave = await Peer.join(server, "dave", "lobby");
      const history = await dave.next("history");
      assert.deepEqual(history.messages.at(-1), {
        event: "assistant",
        data: reply,
      });
      await dave.close();
    } finally {
      await closeAll([ada, bob, carol]);
      await stopChat(server);
    }
  });

  test("a slow answer holds up nothing: other messages flow meanwhile", async () => {
    stub.requests.length = 0;
    stub.mode = "answer";
    stub.hold();
    const server = await startChat({
      assistant: { apiKey: "k", baseUrl: stub.baseUrl },
    });
    const ada = await Peer.join(server, "ada", "lobby");
    const bob = await Peer.join(server, "bob", "lobby");
    try {
      await ada.request("say", { text: "@assistant take your time" });
      await stub.received(1);
      const next = await ada.request("say", { text: "meanwhile" });
      await bob.next("message", (d) => d.id === next.data.id);
      const fromBob = await bob.request("say", { text: "me too" });
      await ada.next("message", (d) => d.id === fromBob.data.id);
      // One question per connection at a time.
      await ada.request("say", { text: "@assistant and another" });
      assert.equal(
        (await ada.next("system", (d) => d.text.includes("still"))).text,
        "The assistant is still answering your previous question",
      );
      assert.deepEqual(bob.all("assistant"), []);
      assert.equal(stub.requests.length, 1);
      stub.release();
      const reply = await bob.next("assistant");
      assert.equal(reply.text, "Stand-in answer to: take your time");
      // Free again after the answer.
      await ada.request("say", { text: "@assistant again" });
      assert.equal(
        (await bob.next("assistant", (d) => d.text.endsWith("again"))).ok,
        true,
      );
    } finally {
      stub.release();
      await closeAll([ada, bob]);
      await stopChat(server);
    }
  });

  test("a failing API (500) reaches the room as a chat message; the server carries on", async () => {
    stub.requests.length = 0;
    stub.mode = "fail";
    const server = await startChat({
      assistant: { apiKey: "k", baseUrl: stub.baseUrl },
    });
    const ada = await Peer.join(server, "ada", "lobby");
    try {
      await ada.request("say", { text: "@assistant hello" });
      const reply = await ada.next("assistant");
      assert.equal(reply.ok, false);
      assert.equal(
        reply.text,
        "The assistant could not answer: HTTP 500 Internal Server Error: Stand-in failure",
      );
      const after = await ada.request("say", { text: "still fine?" });
      assert.equal(after.error, undefined);
      assert.equal(
        (await ada.next("message", (d) => d.id === after.data.id)).text,
        "still fine?",
      );
      const bob = await Peer.join(server, "bob", "lobby");
      await bob.close();
    } finally {
      stub.mode = "answer";
      await ada.close();
      await stopChat(server);
    }
  });
});

describe("chat: the assistant client", () => {
  let stub: ChatCompletionsStub;

  before(async () => {
    stub = await ChatCompletionsStub.start();
  });
  after(() => stub.close());

  test("mentionsAssistant and stripMention recognise a leading @assistant only", () => {
    assert.equal(mentionsAssistant("@assistant hi"), true);
    assert.equal(mentionsAssistant("  @Assistant, hi"), true);
    assert.equal(mentionsAssistant("@assistants hi"), false);
    assert.equal(mentionsAssistant("hi @assistant"), false);
    assert.equal(stripMention("@assistant, what is 2+2?"), "what is 2+2?");
    assert.equal(stripMention("@ASSISTANT:   hi  "), "hi");
  });

  test("is not configured without a key and says so", async () => {
    const assistant = new Assistant({ apiKey: "" });
    assert.equal(assistant.configured, false);
    assert.deepEqual(await assistant.ask("hi"), {
      ok: false,
      text: NOT_CONFIGURED,
    });
  });

  test("reads key, base URL and model from the environment, with defaults", () => {
    const names = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"];
    const saved = names.map((name) => process.env[name]);
    try {
      for (const name of names) delete process.env[name];
      const defaults = new Assistant();
      assert.equal(defaults.configured, false);
      assert.equal(defaults.baseUrl, DEFAULT_BASE_URL);
      assert.equal(defaults.baseUrl, "https://api.openai.com/v1");
      assert.equal(defaults.model, DEFAULT_MODEL);
      assert.equal(defaults.model, "gpt-4o-mini");
      process.env.OPENAI_API_KEY = "from-env";
      process.env.OPENAI_BASE_URL = "http://127.0.0.1:1/v1/";
      process.env.OPENAI_MODEL = "env-model";
      const fromEnv = new Assistant();
      assert.equal(fromEnv.configured, true);
      assert.equal(fromEnv.baseUrl, "http://127.0.0.1:1/v1");
      assert.equal(fromEnv.model, "env-model");
      const given = new Assistant({ apiKey: "", model: "given" });
      assert.equal(given.configured, false);
      assert.equal(given.model, "given");
    } finally {
      names.forEach((name, i) => {
        if (saved[i] === undefined) delete process.env[name];
        else process.env[name] = saved[i];
      });
    }
  });

  test("asks for a question after an empty mention, without calling the API", async () => {
    stub.requests.length = 0;
    const assistant = new Assistant({ apiKey: "k", baseUrl: stub.baseUrl });
    assert.deepEqual(await assistant.ask("   "), {
      ok: false,
      text: "Ask me something after @assistant",
    });
    assert.equal(stub.requests.length, 0);
  });

  test("turns a timeout into a reply", async () => {
    stub.hold();
    try {
      const assistant = new Assistant({
        apiKey: "k",
        baseUrl: stub.baseUrl,
        timeout: 200,
      });
      assert.deepEqual(await assistant.ask("hello"), {
        ok: false,
        text: "The assistant did not answer within 0.2 s",
      });
    } finally {
      stub.release();
    }
  });

  test("turns an unreachable API into a reply", async () => {
    const closed = await ChatCompletionsStub.start();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const assistant = new Assistant({ apiKey: "k", baseUrl, timeout: 3000 });
    const reply = await assistant.ask("hello");
    assert.equal(reply.ok, false);
    assert.ok(
      reply.text.startsWith(`The assistant could not reach ${baseUrl}: `),
      reply.text,
    );
  });

  test("turns an answer without choices into a reply", async () => {
    const assistant = new Assistant({
      apiKey: "k",
      baseUrl: stub.baseUrl,
      fetch: () => Promise.resolve(Response.json({ choices: [] })),
    });
    assert.deepEqual(await assistant.ask("hello"), {
      ok: false,
      text: "The assistant could not answer: the API sent no message",
    });
  });

  test("uses the injected fetch and passes key, model and question", async () => {
    const seen: Array<{ url: string; init: RequestInit | undefined }> = [];
    const assistant = new Assistant({
      apiKey: "secret",
      baseUrl: "http://api.invalid/v1",
      model: "tiny",
      fetch: (input, init) => {
        seen.push({ url: String(input), init });
        return Promise.resolve(Response.json({
          choices: [{ message: { role: "assistant", content: " 4 " } }],
        }));
      },
    });
    assert.deepEqual(await assistant.ask("2+2?", { nick: "ada" }), {
      ok: true,
      text: "4",
    });
    assert.equal(seen[0].url, "http://api.invalid/v1/chat/completions");
    const headers = new Headers(seen[0].init?.headers);
    assert.equal(headers.get("authorization"), "Bearer secret");
    const body = JSON.parse(String(seen[0].init?.body));
    assert.equal(body.model, "tiny");
    assert.equal(body.messages[1].content, "2+2?");
  });
});
