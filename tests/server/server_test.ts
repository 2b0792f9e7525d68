// The Server API, driven by the runtime's own WebSocket client and raw
// sockets over the runtime's own (auto) engine.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { CloseInfo, Connection } from "../../src/driver/connection.ts";
import type { HttpRequest } from "../../src/protocol/http_request.ts";
import type { Server } from "@anyws/anyws";
import {
  closeAll,
  delay,
  OP,
  openClient,
  openClients,
  RawClient,
  runPython,
  SAMPLE_ACCEPT,
  ServerRecorder,
  startServer,
  stopServer,
  tagUrl,
  waitFor,
  withTimeout,
  type WsClient,
} from "../_clients.ts";

describe("Server: JSON event routing", () => {
  let server: Server;
  let log: ServerRecorder;

  before(async () => {
    server = await startServer();
    log = new ServerRecorder(server);
  });

  after(() => stopServer(server));

  test("routes {event, data} to the custom event's handler with the data and the connection, not to message", async () => {
    const calls: Array<{ data: unknown; conn: Connection }> = [];
    const off = server.on("chat_message", (data, conn) => {
      calls.push({ data, conn });
    });
    const client = await openClient(tagUrl(server, "route"));
    try {
      const conn = await log.opened("route");
      client.ws.send(
        JSON.stringify({
          event: "chat_message",
          data: { text: "hi", n: [1, 2] },
        }),
      );
      client.ws.send("plain text");
      assert.equal(await log.nextMessage("route"), "plain text");
      assert.equal(calls.length, 1);
      assert.deepEqual(calls[0].data, { text: "hi", n: [1, 2] });
      assert.equal(calls[0].conn, conn);
      assert.deepEqual(log.messagesOf("route"), ["plain text"]);
    } finally {
      off();
      await client.close();
    }
  });

  test("JSON naming an event nobody listens to reaches message as the original text", async () => {
    const off = server.on("something_else", () => {});
    const client = await openClient(tagUrl(server, "unrouted"));
    try {
      const text = ' {"event":"nobody_listens","data":1}';
      client.ws.send(text);
      assert.equal(await log.nextMessage("unrouted"), text);
    } finally {
      off();
      await client.close();
    }
  });

  test("client JSON naming open, close, error, message or drain never triggers those handlers", async () => {
    const client = await openClient(tagUrl(server, "reserved"));
    const conn = await log.opened("reserved");
    const lifecycle: string[] = [];
    const offs = [
      server.on("open", () => lifecycle.push("open")),
      server.on("close", () => lifecycle.push("close")),
      server.on("error", () => lifecycle.push("error")),
      server.on("drain", () => lifecycle.push("drain")),
      // A custom handler, so that routing is active.
      server.on("custom", () => lifecycle.push("custom")),
    ];
    try {
      const texts = [
        "open",
        "close",
        "error",
        "message",
        "drain",
        "ping",
        "join",
      ].map((event) =>
        JSON.stringify({ event, data: { code: 1000, reason: "fake" } })
      );
      for (const text of texts) client.ws.send(text);
      client.ws.send("done");
      await waitFor(
        () => log.messagesOf("reserved").length === texts.length + 1,
        3000,
        "all messages",
      );
      assert.deepEqual(log.messagesOf("reserved"), [...texts, "done"]);
      assert.deepEqual(lifecycle, []);
      assert.equal(conn.readyState, 1);
      client.ws.send("still open");
      assert.equal(await log.nextMessage("reserved"), "still open");
    } finally {
      offs.forEach((off) => off());
      await client.close();
    }
  });
});

describe("Server: handler failures", () => {
  let server: Server;
  let log: ServerRecorder;

  before(async () => {
    server = await startServer();
    log = new ServerRecorder(server);
  });

  after(() => stopServer(server));

  test("a throwing message handler becomes an error event with its connection; the server keeps working", async () => {
    const boom = new Error("Boom");
    const off = server.on("message", (data, conn) => {
      if (data === "throw") throw boom;
      conn.send(`echo ${data}`);
    });
    const client = await openClient(tagUrl(server, "throws"));
    try {
      const conn = await log.opened("throws");
      client.ws.send("throw");
      client.ws.send("after");
      assert.equal(await client.next(), "echo after");
      const errors = log.errorsOf("throws");
      assert.deepEqual(errors, [boom]);
      assert.equal(log.errors.find((e) => e.error === boom)?.tag, "throws");
      assert.equal(conn.readyState, 1);
    } finally {
      off();
      await client.close();
    }
  });

  test("a rejecting async event handler becomes an error event with its connection", async () => {
    const reason = new Error("Async boom");
    const seen: Array<{ error: unknown; conn: Connection | undefined }> = [];
    const offError = server.on("error", (error, conn) => {
      seen.push({ error, conn });
    });
    const off = server.on("save", async (data) => {
      await delay(1);
      if (data === "bad") throw reason;
    });
    const client = await openClient(tagUrl(server, "rejects"));
    try {
      const conn = await log.opened("rejects");
      client.ws.send(JSON.stringify({ event: "save", data: "bad" }));
      await waitFor(() => seen.length === 1, 3000, "error event");
      assert.equal(seen[0].error, reason);
      assert.equal(seen[0].conn, conn);
      client.ws.send("alive?");
      assert.equal(await log.nextMessage("rejects"), "alive?");
    } finally {
      off();
      offError();
      await client.close();
    }
  });

  test("a throwing open handler is reported and the connection stays usable", async () => {
    const failure = new Error("Open failed");
    const off = server.on("open", () => {
      throw failure;
    });
    const client = await openClient(tagUrl(server, "open-throws"));
    try {
      await log.opened("open-throws");
      client.ws.send("works");
      assert.equal(await log.nextMessage("open-throws"), "works");
      assert.deepEqual(log.errorsOf("open-throws"), [failure]);
    } finally {
      off();
      await client.close();
    }
  });
});

describe("Server: subscriptions", () => {
  let server: Server;
  let log: ServerRecorder;

  before(async () => {
    server = await startServer();
    log = new ServerRecorder(server);
  });

  after(() => stopServer(server));

  test("the function on() returns removes that handler only, and is harmless twice", async () => {
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = server.on("message", (data) => a.push(data));
    const offB = server.on("message", (data) => b.push(data));
    const client = await openClient(tagUrl(server, "unsub"));
    try {
      client.ws.send("one");
      assert.equal(await log.nextMessage("unsub"), "one");
      offA();
      offA();
      client.ws.send("two");
      assert.equal(await log.nextMessage("unsub"), "two");
      assert.deepEqual(a, ["one"]);
      assert.deepEqual(b, ["one", "two"]);
    } finally {
      offB();
      await client.close();
    }
  });

  test("after its handler is removed, a custom event's JSON goes to message", async () => {
    const routed: unknown[] = [];
    const off = server.on("vote", (data) => routed.push(data));
    const client = await openClient(tagUrl(server, "unsub-event"));
    try {
      client.ws.send(JSON.stringify({ event: "vote", data: 1 }));
      client.ws.send("sync");
      assert.equal(await log.nextMessage("unsub-event"), "sync");
      off();
      const text = JSON.stringify({ event: "vote", data: 2 });
      client.ws.send(text);
      assert.equal(await log.nextMessage("unsub-event"), text);
      assert.deepEqual(routed, [1]);
    } finally {
      await client.close();
    }
  });

  test("use() registers a class's onOpen, onMessage, onClose and onError; its result removes them all", async () => {
    // Records only its own clients ("use", "use-off"): others may still
    // be closing from the previous tests.
    const mine = (conn: Connection | undefined): boolean =>
      conn?.request.query.get("tag")?.startsWith("use") === true;
    class Recorder {
      events: string[] = [];
      onOpen(request: HttpRequest, conn: Connection): void {
        if (mine(conn)) {
          this.events.push(`open ${request.path} ${conn.readyState}`);
        }
      }
      onMessage(data: string | Uint8Array, conn: Connection): void {
        if (!mine(conn)) return;
        this.events.push(`message ${data}`);
        if (data === "fail") throw new Error("Handler failed");
        conn.send(`got ${data}`);
      }
      onClose(info: CloseInfo, conn: Connection): void {
        if (mine(conn)) this.events.push(`close ${info.code}`);
      }
      onError(error: unknown, conn: Connection | undefined): void {
        if (mine(conn)) this.events.push(`error ${(error as Error).message}`);
      }
    }
    const handler = new Recorder();
    const off = server.use(handler);
    const client = await openClient(tagUrl(server, "use", "/room"));
    client.ws.send("hello");
    assert.equal(await client.next(), "got hello");
    client.ws.send("fail");
    client.ws.send("sync");
    assert.equal(await client.next(), "got sync");
    await client.close(4000);
    await log.closed("use");
    assert.deepEqual(handler.events, [
      "open /room 1",
      "message hello",
      "message fail",
      "error Handler failed",
      "message sync",
      "close 4000",
    ]);
    off();
    const again = await openClient(tagUrl(server, "use-off"));
    again.ws.send("ignored");
    assert.equal(await log.nextMessage("use-off"), "ignored");
    await again.close();
    await log.closed("use-off");
    assert.equal(handler.events.length, 6);
    assert.equal(again.received, 0, "the removed onMessage did not answer");
  });
});

describe("Server: connections and their API", () => {
  let server: Server;
  let log: ServerRecorder;

  before(async () => {
    server = await startServer({ protocols: ["chat.v2"] });
    log = new ServerRecorder(server);
  });

  after(() => stopServer(server));

  test("server.connections counts, looks up by id, iterates, and forgets closed connections", async () => {
    const clients: WsClient[] = [];
    try {
      for (const tag of ["c1", "c2", "c3"]) {
        clients.push(await openClient(tagUrl(server, tag)));
      }
      const conns = await Promise.all(
        ["c1", "c2", "c3"].map((tag) => log.opened(tag)),
      );
      assert.equal(server.connections.size, 3);
      for (const conn of conns) {
        assert.equal(server.connections.get(conn.id), conn);
        assert.equal(server.connections.has(conn.id), true);
      }
      assert.deepEqual(
        new Set([...server.connections].map((c) => c.id)),
        new Set(conns.map((c) => c.id)),
      );
      assert.equal(new Set(conns.map((c) => c.id)).size, 3, "ids are unique");
      assert.equal(server.connections.get("no-such-id"), undefined);
      await clients[1].close();
      await log.closed("c2");
      assert.equal(server.connections.size, 2);
      assert.equal(server.connections.get(conns[1].id), undefined);
      assert.equal(server.connections.has(conns[1].id), false);
    } finally {
      await closeAll(clients);
    }
    await waitFor(() => server.connections.size === 0, 2000, "all closed");
  });

  test("sending on a closed connection returns false and never throws", async () => {
    let inClose: boolean[] = [];
    const off = server.on("close", (_info, conn) => {
      if (conn.request.query.get("tag") !== "closed-send") return;
      inClose = [conn.send("late"), conn.emit("late", 1), conn.ping()];
    });
    const client = await openClient(tagUrl(server, "closed-send"));
    try {
      const conn = await log.opened("closed-send");
      await client.close(1000);
      await log.closed("closed-send");
      assert.deepEqual(inClose, [false, false, false]);
      assert.equal(conn.readyState, 3);
      assert.equal(conn.send("text"), false);
      assert.equal(conn.send(new Uint8Array([1, 2, 3])), false);
      assert.equal(conn.emit("event", { a: 1 }), false);
      assert.equal(conn.ping("x"), false);
      conn.close(1000, "again");
      conn.terminate();
      assert.equal(conn.bufferedAmount, 0);
    } finally {
      off();
    }
  });

  test("a connection closing from the server refuses new messages at once", async () => {
    const client = await openClient(tagUrl(server, "closing-send"));
    const conn = await log.opened("closing-send");
    conn.close(4001, "bye");
    assert.equal(conn.readyState, 2);
    assert.equal(conn.send("too late"), false);
    const result = await withTimeout(client.closed, 3000, "client close");
    assert.equal(result.code, 4001);
    assert.equal(client.received, 0);
  });

  test("conn.request has the method, path, query and headers of the upgrade; remoteAddress is the peer", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake("/chat/room?tag=request&room=42&user=ada", {
        headers: { "X-Token": "abc", "User-Agent": "anyws-test" },
      });
      const conn = await log.opened("request");
      assert.equal(conn.request.method, "GET");
      assert.equal(conn.request.path, "/chat/room");
      assert.equal(conn.request.query.get("room"), "42");
      assert.equal(conn.request.query.get("user"), "ada");
      assert.equal(conn.request.headers.get("x-token"), "abc");
      assert.equal(conn.request.headers.get("user-agent"), "anyws-test");
      assert.equal(conn.remoteAddress, "127.0.0.1");
      assert.equal(conn.protocol, "");
      assert.equal(conn.readyState, 1);
      assert.match(
        conn.id,
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
    } finally {
      raw.destroy();
    }
  });

  test("the subprotocol chosen from `protocols` is answered to the client and is conn.protocol", async () => {
    const client = await openClient(tagUrl(server, "subprotocol"), {
      protocols: ["chat.v1", "chat.v2"],
    });
    try {
      const conn = await log.opened("subprotocol");
      assert.equal(client.ws.protocol, "chat.v2");
      assert.equal(conn.protocol, "chat.v2");
    } finally {
      await client.close();
    }
  });

  test("conn.data is per connection and starts empty", async () => {
    const [a, b] = [
      await openClient(tagUrl(server, "data-a")),
      await openClient(tagUrl(server, "data-b")),
    ];
    try {
      const connA = await log.opened("data-a");
      const connB = await log.opened("data-b");
      assert.deepEqual(connA.data, {});
      connA.data.name = "ada";
      assert.deepEqual(connB.data, {});
      assert.equal(server.connections.get(connA.id)?.data.name, "ada");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("messages of one connection reach the handler in the order they were sent", async () => {
    const client = await openClient(tagUrl(server, "order"));
    try {
      const expected = Array.from({ length: 300 }, (_, i) => `m${i}`);
      for (const text of expected) client.ws.send(text);
      await waitFor(
        () => log.messagesOf("order").length === 300,
        5000,
        "300 messages",
      );
      assert.deepEqual(log.messagesOf("order"), expected);
    } finally {
      await client.close();
    }
  });

  test("a binary message is a plain Uint8Array, the same type on every runtime", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake("/?tag=binary-type");
      raw.sendFrame(OP.Binary, new Uint8Array([9, 8, 7]));
      const data = await log.nextMessage("binary-type");
      assert.ok(data instanceof Uint8Array);
      assert.deepEqual(Array.from(data as Uint8Array), [9, 8, 7]);
      // Not a subclass such as Node's Buffer, whose slice() is a view.
      assert.equal((data as object).constructor.name, "Uint8Array");
      assert.equal(Object.getPrototypeOf(data) === Uint8Array.prototype, true);
    } finally {
      raw.destroy();
    }
  });
});

describe("Server: broadcast and emit", () => {
  let server: Server;
  let log: ServerRecorder;
  const clients: WsClient[] = [];
  let conns: Connection[] = [];

  before(async () => {
    server = await startServer({}, (s) => {
      s.on("chat_message", (data, conn) => {
        s.broadcast(JSON.stringify(data), (other) => other.id !== conn.id);
      });
    });
    log = new ServerRecorder(server);
    for (const tag of ["b0", "b1", "b2"]) {
      clients.push(await openClient(tagUrl(server, tag)));
    }
    conns = await Promise.all(["b0", "b1", "b2"].map((tag) => log.opened(tag)));
  });

  after(async () => {
    await closeAll(clients).catch(() => {});
    await stopServer(server);
  });

  test("broadcast with a filter reaches only the accepted connections and returns their count", async () => {
    const count = server.broadcast("not b1", (conn) => conn.id !== conns[1].id);
    assert.equal(count, 2);
    assert.equal(await clients[0].next(), "not b1");
    assert.equal(await clients[2].next(), "not b1");
    assert.equal(server.broadcast("all"), 3);
    for (const client of clients) assert.equal(await client.next(), "all");
    assert.deepEqual(clients.map((c) => c.received), [2, 1, 2]);
  });

  test("a broadcast Uint8Array arrives as a binary message", async () => {
    assert.equal(server.broadcast(new Uint8Array([1, 2, 3, 255])), 3);
    for (const client of clients) {
      assert.deepEqual(Array.from(await client.next() as Uint8Array), [
        1,
        2,
        3,
        255,
      ]);
    }
  });

  test("server.emit and conn.emit send {event, data} as JSON text", async () => {
    assert.equal(
      server.emit("tick", { n: 1 }, (conn) => conn.id === conns[0].id),
      1,
    );
    assert.deepEqual(JSON.parse(await clients[0].next() as string), {
      event: "tick",
      data: { n: 1 },
    });
    assert.equal(conns[2].emit("hello", [1, "two"]), true);
    assert.deepEqual(JSON.parse(await clients[2].next() as string), {
      event: "hello",
      data: [1, "two"],
    });
  });

  test("a client's chat_message is broadcast to the others, not back to the sender", async () => {
    clients[1].ws.send(
      JSON.stringify({
        event: "chat_message",
        data: { from: "b1", text: "yo" },
      }),
    );
    assert.deepEqual(JSON.parse(await clients[0].next() as string), {
      from: "b1",
      text: "yo",
    });
    assert.deepEqual(JSON.parse(await clients[2].next() as string), {
      from: "b1",
      text: "yo",
    });
    await delay(50);
    assert.equal(clients[1].queue.length, 0);
  });

  test("a broadcast skips connections that are closing", async () => {
    const extra = await openClient(tagUrl(server, "b-closing"));
    const conn = await log.opened("b-closing");
    conn.close(1000);
    assert.equal(server.broadcast("after close"), 3);
    await withTimeout(extra.closed, 3000, "extra close");
    assert.equal(extra.received, 0);
    for (const client of clients) {
      assert.equal(await client.next(), "after close");
    }
  });
});

describe("Server: listening, handshake errors", () => {
  test("server.url and port describe the bound address; listen() twice rejects", async () => {
    const server = await startServer();
    try {
      assert.ok(server.port > 0);
      assert.equal(server.url, `ws://127.0.0.1:${server.port}`);
      await assert.rejects(server.listen(), /Server is already listening/);
    } finally {
      await stopServer(server);
    }
  });

  test("a request that is not a valid upgrade gets an HTTP error response and no WebSocket", async () => {
    const server = await startServer();
    const log = new ServerRecorder(server);
    try {
      const missingKey = await RawClient.connect(server.port);
      missingKey.write(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Version: 13\r\n\r\n",
      );
      const head = await missingKey.readHttpHead();
      assert.equal(head.status, 400);
      await missingKey.waitGone(2000);
      missingKey.destroy();

      const post = await RawClient.connect(server.port);
      post.write(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      const postHead = await post.readHttpHead();
      assert.equal(postHead.status, 405);
      assert.equal(postHead.headers.get("allow"), "GET");
      post.destroy();

      const version = await RawClient.connect(server.port);
      version.write(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
      );
      const versionHead = await version.readHttpHead();
      // RFC 6455 §4.4: answer with the versions the server understands.
      assert.equal(versionHead.status, 426);
      assert.equal(versionHead.headers.get("sec-websocket-version"), "13");
      version.destroy();
      assert.equal(log.messages.length, 0);
    } finally {
      await stopServer(server);
    }
  });

  test("the 101 response carries the RFC 6455 accept key for the client's key", async () => {
    const server = await startServer();
    const raw = await RawClient.connect(server.port);
    try {
      const head = await raw.handshake();
      assert.equal(head.status, 101);
      // RFC 6455 §1.3's example key and accept value.
      assert.equal(head.headers.get("sec-websocket-accept"), SAMPLE_ACCEPT);
      assert.equal(head.headers.get("upgrade")?.toLowerCase(), "websocket");
      assert.equal(head.headers.get("connection")?.toLowerCase(), "upgrade");
      assert.equal(head.headers.has("sec-websocket-extensions"), false);
    } finally {
      raw.destroy();
      await stopServer(server);
    }
  });

  test(
    "python-websockets with extra headers: the handler sees them in conn.request",
    {
      timeout: 15_000,
    },
    async () => {
      const server = await startServer();
      const log = new ServerRecorder(server);
      try {
        const python = runPython({
          uri: tagUrl(server, "py-headers", "/py"),
          connect: { extra_headers: { "X-Client": "python" } },
          steps: [{ op: "send", text: "hi" }, { op: "recv" }, {
            op: "close",
            code: 1000,
          }],
        }, 10_000);
        const conn = await log.opened("py-headers", 8000);
        assert.equal(conn.request.headers.get("x-client"), "python");
        assert.equal(conn.request.path, "/py");
        assert.equal(await log.nextMessage("py-headers"), "hi");
        conn.send("hello python");
        const [report] = await python;
        assert.equal(report.results[1].text, "hello python");
        assert.equal(report.close_code, 1000);
      } finally {
        await stopServer(server);
      }
    },
  );

  test(
    "100 clients open and close: every open has a close, the set ends empty",
    {
      timeout: 20_000,
    },
    async () => {
      const server = await startServer();
      let opens = 0;
      let closes = 0;
      server.on("open", () => opens++);
      server.on("close", () => closes++);
      try {
        const clients = await openClients(`${server.url}/`, 100);
        assert.equal(server.connections.size, 100);
        await closeAll(clients);
        await waitFor(() => closes === 100, 5000, "100 closes");
        assert.equal(opens, 100);
        assert.equal(server.connections.size, 0);
      } finally {
        await stopServer(server);
      }
    },
  );
});
