// Regression tests for the driver bugs of issue 12, over real TCP on the
// runtime's own engine (so each runs on Deno, Bun and Node). Each test pins
// one behaviour that the driver got wrong before the Protocol became the one
// owner of the connection's state.

import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { CloseInfo, Connection } from "../../src/driver/connection.ts";
import { Frame } from "../../src/protocol/frame.ts";
import { Server } from "@anyws/anyws";
import { UsageError } from "../../src/protocol/errors.ts";
import type { ServerOptions } from "../../src/server/options.ts";
import type {
  Engine,
  Transport,
  TransportHandler,
} from "../../src/driver/engine.ts";
import { memoryEngine } from "../../engines/memory.ts";
import { SocketReader } from "../_memory_client.ts";
import { FakeClock } from "../_fake_clock.ts";
import {
  closePayload,
  concatBytes,
  deferred,
  delay,
  encodeClientFrame,
  HOST,
  OP,
  parseClose,
  RawClient,
  upgradeRequest,
  waitFor,
  withTimeout,
} from "../_clients.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

let servers: Server[] = [];
let raws: RawClient[] = [];

afterEach(async () => {
  for (const raw of raws) raw.destroy();
  raws = [];
  for (const server of servers) {
    await withTimeout(server.stop({ timeout: 500 }), 5000, "stop");
  }
  servers = [];
});

async function serve(
  options: ServerOptions,
  setup: (server: Server) => void,
): Promise<Server> {
  const server = new Server({ hostname: HOST, port: 0, ...options });
  // Errors are expected in these tests; keep the log quiet.
  server.on("error", () => {});
  setup(server);
  await server.listen();
  servers.push(server);
  return server;
}

async function raw(server: Server, path = "/"): Promise<RawClient> {
  const client = await RawClient.connect(server.port);
  raws.push(client);
  await client.handshake(path);
  return client;
}

async function rawSocket(server: Server): Promise<RawClient> {
  const client = await RawClient.connect(server.port);
  raws.push(client);
  return client;
}

const echo = (server: Server) =>
  server.on("message", (data, conn) => {
    conn.send(data);
  });

describe("output sent before a protocol failure goes out before the close frame", () => {
  const violations: Array<[string, Uint8Array]> = [
    ["an RSV bit", encodeClientFrame(OP.Text, "bad", { rsv: 4 })],
    ["a reserved opcode", encodeClientFrame(3, "bad")],
    ["a stray continuation", encodeClientFrame(OP.Continuation, "bad")],
    ["an unmasked frame", encodeClientFrame(OP.Text, "bad", { mask: false })],
  ];
  for (const [name, bad] of violations) {
    test(`two valid messages then ${name} in one read: both echoes, then close 1002`, async () => {
      const server = await serve({}, echo);
      const client = await raw(server);
      client.write(concatBytes(
        encodeClientFrame(OP.Text, "one"),
        encodeClientFrame(OP.Binary, new Uint8Array([1, 2, 3])),
        bad,
        encodeClientFrame(OP.Text, "never read"),
      ));
      const { code, before } = await client.readUntilClose();
      assert.equal(code, 1002);
      assert.deepEqual(
        before.map((f) => [f.opcode, [...f.payload]]),
        [[OP.Text, [...encoder.encode("one")]], [OP.Binary, [1, 2, 3]]],
      );
    });
  }

  test("a message over maxMessageSize after a valid one: the echo, then close 1009", async () => {
    const server = await serve({ maxMessageSize: 10 }, echo);
    const client = await raw(server);
    client.write(concatBytes(
      encodeClientFrame(OP.Text, "fits"),
      encodeClientFrame(OP.Text, "x".repeat(11)),
    ));
    const { code, before } = await client.readUntilClose();
    assert.equal(code, 1009);
    assert.deepEqual(before.map((f) => decoder.decode(f.payload)), ["fits"]);
  });

  test("invalid UTF-8 after a valid message and a ping: echo and pong, then close 1007", async () => {
    const server = await serve({}, echo);
    const client = await raw(server);
    client.write(concatBytes(
      encodeClientFrame(OP.Text, "ok"),
      encodeClientFrame(OP.Ping, "p"),
      encodeClientFrame(OP.Text, new Uint8Array([0xff, 0xfe])),
    ));
    const { code, before } = await client.readUntilClose();
    assert.equal(code, 1007);
    assert.deepEqual(
      before.map((f) => [f.opcode, decoder.decode(f.payload)]),
      [[OP.Text, "ok"], [OP.Pong, "p"]],
    );
  });
});

describe("every way of closing starts the one close timer", () => {
  test("conn.send(Frame.close()) to a silent peer: dropped after closeTimeout, close event 1006", async () => {
    const opened = deferred<Connection>();
    const closed = deferred<CloseInfo>();
    const server = await serve({ closeTimeout: 50 }, (s) => {
      s.on("open", (_r, conn) => opened.resolve(conn));
      s.on("close", (info) => closed.resolve(info));
    });
    const client = await raw(server);
    const conn = await withTimeout(opened.promise, 2000, "open");
    assert.equal(conn.send(Frame.close(1000, "bye")), true);
    assert.equal(conn.readyState, 2);
    const frame = await client.readFrame();
    assert.equal(frame.opcode, OP.Close);
    const info = await withTimeout(closed.promise, 1000, "close event");
    assert.equal(conn.readyState, 3);
    assert.equal(info.wasClean, false);
    await client.waitGone(2000);
  });

  test("broadcast(Frame.close()) closes every receiver and starts their close timers", async () => {
    const closes: CloseInfo[] = [];
    const server = await serve({ closeTimeout: 50 }, (s) => {
      s.on("close", (info) => closes.push(info));
    });
    const a = await raw(server);
    const b = await raw(server);
    await waitFor(() => server.connections.size === 2, 2000, "two open");
    assert.equal(server.broadcast(Frame.close(1001, "going")), 2);
    for (const conn of server.connections) assert.equal(conn.readyState, 2);
    // Nothing may follow a close frame on the wire (RFC 6455 §5.5.1).
    assert.equal(server.broadcast("after the close"), 0);
    for (const client of [a, b]) {
      const { code, before } = await client.readUntilClose();
      assert.equal(code, 1001);
      assert.deepEqual(before, []);
    }
    await waitFor(() => closes.length === 2, 1000, "both dropped");
  });
});

describe("broadcast applies the rules of send", () => {
  test("a frame with a reserved opcode is refused with a UsageError, as by conn.send", async () => {
    const server = await serve({}, () => {});
    const client = await raw(server);
    await waitFor(() => server.connections.size === 1, 2000, "open");
    const reserved = new Frame(3, new Uint8Array([1]));
    const [conn] = server.connections;
    assert.throws(() => conn.send(reserved), UsageError);
    assert.throws(() => server.broadcast(reserved), UsageError);
    assert.throws(() => server.room("r").broadcast(reserved), UsageError);
    assert.throws(
      () =>
        server.broadcast(
          new Frame(OP.Text, encoder.encode("x"), { fin: false }),
        ),
      UsageError,
    );
    // The connection is untouched.
    assert.equal(server.broadcast("still fine"), 1);
    assert.equal(await client.readText(), "still fine");
  });

  test("a broadcast ping reaches every receiver as a ping", async () => {
    const server = await serve({}, () => {});
    const a = await raw(server);
    await waitFor(() => server.connections.size === 1, 2000, "open");
    assert.equal(server.broadcast(Frame.ping("hb")), 1);
    const frame = await a.readFrame();
    assert.equal(frame.opcode, OP.Ping);
    assert.equal(decoder.decode(frame.payload), "hb");
  });
});

describe("wasClean reports what was on the wire", () => {
  test("peer sends Close then FIN while our writes are blocked: the reply never left, wasClean is false", async () => {
    const closed = deferred<CloseInfo>();
    const server = await serve({
      closeTimeout: 300,
      maxBufferedAmount: 512 * 1024 * 1024,
    }, (s) => {
      s.on("open", (_r, conn) => {
        // Far more than the socket buffers hold: the writes block.
        const chunk = new Uint8Array(1024 * 1024);
        for (let i = 0; i < 64; i++) conn.send(chunk);
      });
      s.on("close", (info) => closed.resolve(info));
    });
    const client = await rawSocket(server);
    client.discard = true;
    client.pause();
    client.write(
      new TextEncoder().encode(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          "Sec-WebSocket-Version: 13\r\n\r\n",
      ),
    );
    await delay(100);
    client.write(encodeClientFrame(OP.Close, closePayload(1000, "bye")));
    client.end();
    const info = await withTimeout(closed.promise, 3000, "close event");
    assert.equal(info.wasClean, false);
  });

  test("a normal exchange is clean on both sides", async () => {
    const closed = deferred<CloseInfo>();
    const server = await serve({}, (s) => {
      s.on("close", (info) => closed.resolve(info));
    });
    const client = await raw(server);
    client.sendFrame(OP.Close, closePayload(4000, "done"));
    const frame = await client.readFrame();
    assert.deepEqual(parseClose(frame.payload), { code: 4000, reason: "" });
    client.end();
    const info = await withTimeout(closed.promise, 2000, "close event");
    assert.deepEqual(info, { code: 4000, reason: "done", wasClean: true });
  });
});

describe("terminate() is immediate", () => {
  test("the rest of the read is not delivered, sends fail, readyState is 3 at close", async () => {
    const messages: string[] = [];
    let sendAfter: boolean | undefined;
    let stateAfter: number | undefined;
    const closed = deferred<{ info: CloseInfo; state: number }>();
    const events: string[] = [];
    const server = await serve({}, (s) => {
      s.on("message", (data, conn) => {
        messages.push(String(data));
        conn.terminate();
        sendAfter = conn.send("late");
        stateAfter = conn.readyState;
      });
      s.on("close", (info, conn) => {
        events.push("close");
        closed.resolve({ info, state: conn.readyState });
      });
      s.on("pong", () => events.push("pong"));
    });
    const client = await raw(server);
    client.write(concatBytes(
      encodeClientFrame(OP.Text, "first"),
      encodeClientFrame(OP.Text, "second"),
      encodeClientFrame(OP.Pong, ""),
      encodeClientFrame(OP.Text, "third"),
    ));
    const { info, state } = await withTimeout(closed.promise, 2000, "close");
    assert.deepEqual(messages, ["first"]);
    assert.equal(sendAfter, false);
    assert.ok(stateAfter! >= 2, `readyState after terminate: ${stateAfter}`);
    assert.equal(state, 3);
    assert.equal(info.code, 1006);
    assert.deepEqual(events, ["close"]);
    await client.waitGone(2000);
  });
});

describe("options are checked once, at new Server()", () => {
  const invalid: Array<[keyof ServerOptions, unknown]> = [
    ["maxHeaderCount", 0],
    ["maxHeadBytes", 10],
    ["maxMessageSize", -1],
    ["maxFrameSize", 1.5],
    ["port", 70000],
    ["closeTimeout", Number.NaN],
    ["drainThreshold", "1"],
    ["hostname", ""],
  ];
  for (const [name, value] of invalid) {
    test(`${name}: ${String(value)} throws a UsageError naming the option and its range`, () => {
      assert.throws(
        () => new Server({ [name]: value } as ServerOptions),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message.includes(name) &&
          /\d/.test(error.message),
      );
    });
  }
});

describe("an error inside an engine callback never escapes", () => {
  test("a transport whose write throws: the engine's call returns, an error event fires, the socket is dropped; other connections keep working", async () => {
    const engine = memoryEngine();
    const handlers: TransportHandler[] = [];
    const aborted: boolean[] = [];
    const breaking: Engine = {
      name: "breaking",
      listen: (options, accept) =>
        engine.listen(options, (transport) => {
          const index = handlers.length;
          aborted.push(false);
          const broken: Transport = {
            remoteAddress: transport.remoteAddress,
            remotePort: transport.remotePort,
            get unsentBytes() {
              return transport.unsentBytes;
            },
            write: (bytes) => {
              if (index === 0 && bytes[0] === 0x81) {
                throw new Error("engine bug in write");
              }
              return transport.write(bytes);
            },
            requestDrain: () => transport.requestDrain(),
            end: () => transport.end(),
            abort: () => {
              aborted[index] = true;
              transport.abort();
            },
            pause: () => transport.pause(),
            resume: () => transport.resume(),
          };
          const handler = accept(broken);
          handlers.push(handler);
          return handler;
        }),
    };
    const errors: unknown[] = [];
    const server = new Server(breaking, { port: 0 });
    servers.push(server);
    server.on("error", (error) => errors.push(error));
    server.on("message", (data, conn) => conn.send(data));
    await server.listen();
    const first = engine.connect(server.port);
    first.write(upgradeRequest());
    await waitFor(() => server.connections.size === 1, 2000, "open");
    // Call the handler as the engine would: it must not throw.
    assert.doesNotThrow(() =>
      handlers[0].onData(encodeClientFrame(OP.Text, "hi"))
    );
    assert.equal(aborted[0], true);
    assert.match(String(errors[0]), /engine bug in write/);
    const second = engine.connect(server.port);
    const secondReader = new SocketReader(second);
    second.write(upgradeRequest());
    await waitFor(
      () => server.connections.size === 1 && handlers.length === 2,
      2000,
      "second open",
    );
    second.write(encodeClientFrame(OP.Text, "fine"));
    const bytes = await secondReader.read(4);
    assert.ok(decoder.decode(bytes).includes("101"));
  });
});

describe("only a websocket upgrade starts the handshake", () => {
  test("Upgrade: h2c reaches the HTTP handler (RFC 9110 §7.8)", async () => {
    const server = await serve({
      request: (request) =>
        new Response(`plain ${new URL(request.url).pathname}`),
    }, () => {});
    const client = await rawSocket(server);
    client.write(
      "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n" +
        "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
    );
    const response = await client.readResponse();
    assert.equal(response.status, 200);
    assert.equal(response.body, "plain /x");
  });

  test("Upgrade: websocket among other tokens still upgrades", async () => {
    const server = await serve({}, echo);
    const client = await rawSocket(server);
    client.write(
      upgradeRequest("/").replace(
        "Upgrade: websocket",
        "Upgrade: h2c, WebSocket",
      ),
    );
    const head = await client.readHttpHead();
    assert.equal(head.status, 101);
  });
});

describe("the subprotocol is one the client offered", () => {
  test("authorize() choosing a subprotocol the client never offered: 500 and an error event, no 101", async () => {
    const errors: unknown[] = [];
    const server = new Server({
      hostname: HOST,
      port: 0,
      authorize: () => ({ accept: true, protocol: "never-offered" }),
    });
    servers.push(server);
    server.on("error", (error) => errors.push(error));
    await server.listen();
    const client = await rawSocket(server);
    const head = await client.handshake("/", {
      headers: { "Sec-WebSocket-Protocol": "chat" },
      expect101: false,
    });
    assert.equal(head.status, 500);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /never-offered/);
  });

  test("authorize() choosing an offered subprotocol: the 101 names it", async () => {
    const server = await serve({
      authorize: () => ({ accept: true, protocol: "b" }),
    }, () => {});
    const client = await rawSocket(server);
    const head = await client.handshake("/", {
      headers: { "Sec-WebSocket-Protocol": "a, b" },
    });
    assert.equal(head.headers.get("sec-websocket-protocol"), "b");
  });
});

describe("plain HTTP", () => {
  test("a request followed by a half-close still gets the async handler's answer", async () => {
    const server = await serve({
      request: async () => {
        await delay(50);
        return new Response("late but here");
      },
    }, () => {});
    const client = await rawSocket(server);
    client.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    client.end();
    const response = await client.readResponse();
    assert.equal(response.status, 200);
    assert.equal(response.body, "late but here");
  });

  test("a request followed by a half-close gets a sync handler's answer", async () => {
    const server = await serve({
      request: () => new Response("at once"),
    }, () => {});
    const client = await rawSocket(server);
    client.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    client.end();
    const response = await client.readResponse();
    assert.equal(response.body, "at once");
  });

  test("a Content-Length body reaches the handler, in pieces or with the head", async () => {
    const server = await serve({
      request: async (request) =>
        new Response(`${request.method} ${await request.text()}`),
    }, () => {});
    const client = await rawSocket(server);
    client.write(
      "POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 11\r\n\r\nhello",
    );
    await delay(30);
    client.write(" world");
    const response = await client.readResponse();
    assert.equal(response.body, "POST hello world");
  });

  test("a body over maxRequestBodySize gets 413 before it is read", async () => {
    let called = false;
    const server = await serve({
      maxRequestBodySize: 16,
      request: () => {
        called = true;
        return new Response("no");
      },
    }, () => {});
    const client = await rawSocket(server);
    client.write(
      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 17\r\n\r\n",
    );
    const response = await client.readResponse();
    assert.equal(response.status, 413);
    assert.equal(called, false);
  });

  test("Transfer-Encoding: chunked gets 411 Length Required", async () => {
    const server = await serve({
      request: () => new Response("no"),
    }, () => {});
    const client = await rawSocket(server);
    client.write(
      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    const response = await client.readResponse();
    assert.equal(response.status, 411);
  });

  test("a large HTTP answer fires no drain event (drain is for WebSocket connections)", async () => {
    let drains = 0;
    const server = await serve({
      drainThreshold: 1024,
      request: () => new Response(new Uint8Array(4 * 1024 * 1024)),
    }, (s) => s.on("drain", () => drains++));
    const client = await rawSocket(server);
    client.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const response = await client.readResponse(10_000);
    assert.equal(response.body.length, 4 * 1024 * 1024);
    assert.equal(drains, 0);
  });
});

describe("shutdown", () => {
  test("two overlapping stop() calls share one shutdown: both resolve when the clients answer", async () => {
    const server = new Server({ hostname: HOST, port: 0 });
    await server.listen();
    const client = await raw(server);
    const answer = (async () => {
      const frame = await client.readFrame();
      client.sendFrame(OP.Close, frame.payload);
      client.end();
    })();
    const started = Date.now();
    await withTimeout(
      Promise.all([server.stop({ timeout: 5000 }), server.stop()]),
      4000,
      "both stops",
    );
    await answer;
    assert.ok(Date.now() - started < 2000, "the second stop did not wait");
  });
});

describe("the fallback log", () => {
  test("2,000 failing handlers with no error handler: a few one-line entries and a count of the rest", async () => {
    const lines: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    };
    try {
      const server = new Server({ hostname: HOST, port: 0 });
      servers.push(server);
      server.on("message", () => {
        throw new TypeError("Cannot read properties of null (reading 'x')");
      });
      await server.listen();
      const client = await raw(server);
      const frame = encodeClientFrame(OP.Text, "bad");
      const burst = new Uint8Array(frame.length * 2000);
      for (let i = 0; i < 2000; i++) burst.set(frame, i * frame.length);
      client.write(burst);
      client.sendFrame(OP.Ping, "done");
      await client.readFrame();
      // stop() reports how many were left out.
      await servers.pop()!.stop({ timeout: 500 });
    } finally {
      console.error = original;
    }
    const text = lines.join("\n");
    assert.ok(
      lines.length <= 12,
      `${lines.length} log calls:\n${text.slice(0, 2000)}`,
    );
    for (const line of lines) {
      assert.equal(line.includes("\n"), false, `multi-line entry: ${line}`);
    }
    assert.match(text, /Cannot read properties of null/);
    assert.match(text, /199\d more/);
  });
});

// ── found by the driver fuzzer (tests/driver/driver_fuzz_test.ts) ─────────────────
// On the memory engine, so that what arrives in one read is certain.

/** A server on a fresh memory engine, with `setup`'s handlers. */
async function memoryServe(
  options: ServerOptions,
  setup: (server: Server) => void,
): Promise<{ server: Server; connect: () => ReturnType<typeof connectRaw> }> {
  const engine = memoryEngine();
  const server = new Server(engine, { hostname: HOST, port: 0, ...options });
  server.on("error", () => {});
  setup(server);
  await server.listen();
  servers.push(server);
  return { server, connect: () => connectRaw(engine, server.port) };
}

/** A raw memory client past the handshake, recording what the server sends. */
function connectRaw(engine: ReturnType<typeof memoryEngine>, port: number) {
  const socket = engine.connect(port);
  const received: Uint8Array[] = [];
  socket.onData = (bytes) => received.push(bytes);
  socket.write(upgradeRequest());
  return { socket, received: () => concatBytes(...received) };
}

describe("terminate() in a handler: the rest of the read never happened", () => {
  test("a violation behind the message is not reported: no error event, close 1006", async () => {
    const events: string[] = [];
    const closed = deferred<CloseInfo>();
    const { connect } = await memoryServe({}, (s) => {
      s.on("message", (_data, conn) => conn.terminate());
      s.on("error", (error) => events.push(`error ${String(error)}`));
      s.on("close", (info) => closed.resolve(info));
    });
    const client = connect();
    await waitFor(() => client.received().length > 0, 2000, "101");
    client.socket.write(concatBytes(
      encodeClientFrame(OP.Text, "last words"),
      encodeClientFrame(OP.Text, "bad", { rsv: 4 }),
    ));
    const info = await withTimeout(closed.promise, 2000, "close");
    assert.deepEqual(events, []);
    assert.deepEqual(info, { code: 1006, reason: "", wasClean: false });
  });

  test("a close frame behind the message is not taken: close 1006, not the peer's code", async () => {
    const closed = deferred<CloseInfo>();
    const { connect } = await memoryServe({}, (s) => {
      s.on("message", (_data, conn) => conn.terminate());
      s.on("close", (info) => closed.resolve(info));
    });
    const client = connect();
    await waitFor(() => client.received().length > 0, 2000, "101");
    client.socket.write(concatBytes(
      encodeClientFrame(OP.Text, "last words"),
      encodeClientFrame(OP.Close, closePayload(4000, "bye")),
    ));
    const info = await withTimeout(closed.promise, 2000, "close");
    assert.deepEqual(info, { code: 1006, reason: "", wasClean: false });
  });
});

describe("a connection dropped while its upgrade is decided never opens", () => {
  test("the handshake timer fires while authorize() is pending: no open event, no 101, no close event", async () => {
    const clock = new FakeClock();
    const inner = memoryEngine({ clock: clock });
    // Like the real engines, report the close of an aborted transport on a
    // later turn, not on the next microtask.
    const engine: Engine = {
      name: "late-close",
      clock: clock,
      listen: (options, accept) =>
        inner.listen(options, (transport) => {
          const handler = accept(transport);
          return {
            onData: (bytes) => handler.onData(bytes),
            onDrain: () => handler.onDrain(),
            onEnd: () => handler.onEnd(),
            onClose: (error) => setTimeout(() => handler.onClose(error), 0),
          };
        }),
    };
    const decision = deferred<boolean>();
    let asked = false;
    const events: string[] = [];
    const server = new Server(engine, {
      hostname: HOST,
      port: 0,
      handshakeTimeout: 100,
      authorize: () => {
        asked = true;
        return decision.promise;
      },
    });
    servers.push(server);
    server.on("open", () => events.push("open"));
    server.on("close", () => events.push("close"));
    await server.listen();
    const client = inner.connect(server.port);
    const received: Uint8Array[] = [];
    client.onData = (bytes) => received.push(bytes);
    client.write(upgradeRequest());
    await waitFor(() => asked, 2000, "authorize() called");
    clock.advance(100); // the handshake timer drops the connection...
    decision.resolve(true); // ...and authorize() says yes in the same turn
    await withTimeout(client.closed, 2000, "client closed");
    await delay(20);
    assert.deepEqual(events, []);
    assert.equal(concatBytes(...received).length, 0, "no 101 after the drop");
    assert.equal(server.connections.size, 0);
  });
});
