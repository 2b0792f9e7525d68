// The server conformance suite with real clients: the runtime's own
// WebSocket, python-websockets 10.4 (strict about RFC 6455) and a raw TCP
// client that writes hand-made frames. Every runtime runs it against its own
// engine (the default, auto engine):
//
//   deno test -A tests/server/conformance_test.ts
//   bun test tests/server/conformance_test.ts
//   node --test tests/server/conformance_test.ts   (node 24)

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Connection } from "../../src/driver/connection.ts";
import type { Server } from "@anyws/anyws";
import {
  closeAll,
  closePayload,
  concatBytes,
  delay,
  encodeClientFrame,
  generateBinary,
  generateText,
  OP,
  openClient,
  openClients,
  parseClose,
  RawClient,
  runPython,
  sameBytes,
  ServerRecorder,
  startServer,
  stopServer,
  tagUrl,
  upgradeRequest,
  waitFor,
  withTimeout,
  type WsClient,
} from "../_clients.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MiB = 1024 * 1024;

/** The payload lengths around every frame-length encoding boundary (RFC 6455 §5.2). */
const SIZES = [0, 125, 126, 65_535, 65_536, MiB, 16 * MiB];

/** Payloads are built once: 16 MiB strings are not free. */
const payloadCache = new Map<string, string | Uint8Array<ArrayBuffer>>();
function payload(
  kind: "text" | "binary",
  size: number,
): string | Uint8Array<ArrayBuffer> {
  const key = `${kind}:${size}`;
  let value = payloadCache.get(key);
  if (value === undefined) {
    value = kind === "text" ? generateText(size) : generateBinary(size);
    payloadCache.set(key, value);
  }
  return value;
}

function sameMessage(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return sameBytes(a, b);
}

function describeMessage(m: string | Uint8Array): string {
  return typeof m === "string"
    ? `text of ${encoder.encode(m).length} bytes`
    : `binary of ${m.length} bytes`;
}

/**
 * The shared echo server: echoes every message; `!close CODE REASON` makes
 * the server start the closing handshake; `!ping DATA` makes it ping.
 */
function echoSetup(server: Server): void {
  server.on("message", (data, conn) => {
    if (typeof data === "string" && data.startsWith("!")) {
      const [command, code, ...reason] = data.split(" ");
      if (command === "!close") conn.close(Number(code), reason.join(" "));
      else if (command === "!ping") conn.ping(code);
      return;
    }
    conn.send(data);
  });
}

describe("conformance: echo at every length boundary", () => {
  let server: Server;
  let log: ServerRecorder;
  let client: WsClient;

  before(async () => {
    server = await startServer({}, echoSetup);
    log = new ServerRecorder(server);
    client = await openClient(tagUrl(server, "ws-echo"));
  });

  after(async () => {
    await client?.close().catch(() => {});
    await stopServer(server);
  });

  for (const kind of ["text", "binary"] as const) {
    for (const size of SIZES) {
      test(
        `runtime WebSocket: a ${kind} message of ${size} bytes comes back identical`,
        { timeout: 30_000 },
        async () => {
          const sent = payload(kind, size);
          const seen = log.nextMessage("ws-echo", 20_000);
          client.ws.send(sent);
          const atServer = await seen;
          assert.equal(typeof atServer, kind === "text" ? "string" : "object");
          assert.ok(
            sameMessage(atServer, sent),
            `server got ${describeMessage(atServer)}, expected ${
              describeMessage(sent)
            }`,
          );
          const answer = await client.next(20_000);
          assert.equal(typeof answer, kind === "text" ? "string" : "object");
          assert.ok(
            sameMessage(answer, sent),
            `client got ${describeMessage(answer)}, expected ${
              describeMessage(sent)
            }`,
          );
        },
      );
    }
  }

  test(
    "python-websockets: text and binary messages of 0 B to 16 MiB come back identical",
    { timeout: 60_000 },
    async () => {
      const steps = SIZES.flatMap((size) => [
        { op: "echo" as const, kind: "text" as const, size, timeout: 30 },
        { op: "echo" as const, kind: "binary" as const, size, timeout: 30 },
      ]);
      const [report] = await runPython(
        {
          uri: tagUrl(server, "py-echo"),
          steps: [...steps, { op: "close", code: 1000 }],
        },
        55_000,
      );
      assert.equal(report.connect_error, undefined);
      assert.equal(report.results.length, steps.length + 1);
      for (let i = 0; i < steps.length; i++) {
        const result = report.results[i];
        const step = steps[i];
        assert.equal(
          result.error,
          undefined,
          `${step.kind} ${step.size}: ${result.error}`,
        );
        assert.equal(result.type, step.kind, `${step.kind} ${step.size}`);
        assert.equal(result.length, step.size, `${step.kind} ${step.size}`);
        assert.equal(result.ok, true, `${step.kind} ${step.size} differs`);
      }
      assert.equal(report.close_code, 1000);
      // What the server saw: the same 14 messages, in order, with their types.
      const seen = log.messagesOf("py-echo");
      assert.equal(seen.length, steps.length);
      for (let i = 0; i < steps.length; i++) {
        assert.ok(
          sameMessage(seen[i], payload(steps[i].kind, steps[i].size)),
          `server message ${i}: ${describeMessage(seen[i])}`,
        );
      }
    },
  );

  test(
    "python-websockets with permessage-deflate offered: the server declines it and echoes",
    {
      timeout: 20_000,
    },
    async () => {
      const [report] = await runPython({
        uri: tagUrl(server, "py-deflate"),
        connect: { compression: "deflate" },
        steps: [{ op: "echo", kind: "text", size: 300 }, {
          op: "close",
          code: 1000,
        }],
      }, 15_000);
      assert.equal(report.results[0].ok, true);
      assert.equal(report.close_code, 1000);
    },
  );
});

describe("conformance: fragmentation, ping and pong", () => {
  let server: Server;
  let log: ServerRecorder;

  before(async () => {
    server = await startServer({}, echoSetup);
    log = new ServerRecorder(server);
  });

  after(() => stopServer(server));

  test(
    "python-websockets: a fragmented text and a fragmented binary message each arrive as one message",
    {
      timeout: 20_000,
    },
    async () => {
      const [report] = await runPython({
        uri: tagUrl(server, "py-frag"),
        steps: [
          { op: "send_fragments", text: ["Hel", "lo, w", "örld ", "", "😀"] },
          { op: "recv" },
          { op: "send_fragments", hex: ["0102", "", "030405"] },
          { op: "recv" },
          { op: "close", code: 1000 },
        ],
      }, 15_000);
      const [, text, , binary] = report.results;
      assert.equal(text.type, "text");
      assert.equal(text.text, "Hello, wörld 😀");
      assert.equal(binary.type, "binary");
      assert.equal(binary.hex, "0102030405");
      assert.deepEqual(log.messagesOf("py-frag"), [
        "Hello, wörld 😀",
        new Uint8Array([1, 2, 3, 4, 5]),
      ]);
    },
  );

  test(
    "raw client: fragments with a ping between them and a character split across frames",
    {
      timeout: 10_000,
    },
    async () => {
      const raw = await RawClient.connect(server.port);
      try {
        await raw.handshake("/?tag=raw-frag");
        const euro = encoder.encode("€"); // 3 bytes, split 1 + 2
        raw.sendFrame(
          OP.Text,
          concatBytes(encoder.encode("price: "), euro.subarray(0, 1)),
          {
            fin: false,
          },
        );
        // RFC 6455 §5.4: control frames MAY be injected in the middle of a
        // fragmented message.
        raw.sendFrame(OP.Ping, "mid");
        raw.sendFrame(OP.Continuation, euro.subarray(1), { fin: false });
        raw.sendFrame(OP.Continuation, "5");
        const pong = await raw.readFrame();
        assert.deepEqual(
          { opcode: pong.opcode, fin: pong.fin, masked: pong.masked },
          { opcode: OP.Pong, fin: true, masked: false },
        );
        assert.equal(decoder.decode(pong.payload), "mid");
        const echo = await raw.readFrame();
        assert.deepEqual(
          {
            opcode: echo.opcode,
            fin: echo.fin,
            rsv: echo.rsv,
            masked: echo.masked,
          },
          { opcode: OP.Text, fin: true, rsv: 0, masked: false },
        );
        assert.equal(decoder.decode(echo.payload), "price: €5");
        assert.deepEqual(log.messagesOf("raw-frag"), ["price: €5"]);
      } finally {
        raw.destroy();
      }
    },
  );

  test(
    "python-websockets: ping() is answered with a pong",
    { timeout: 15_000 },
    async () => {
      const [report] = await runPython({
        uri: tagUrl(server, "py-ping"),
        steps: [
          { op: "ping", data: "are you there" },
          { op: "ping", data: "" },
          { op: "close", code: 1000 },
        ],
      }, 10_000);
      assert.deepEqual(report.results.slice(0, 2), [
        { op: "ping", pong: true },
        { op: "ping", pong: true },
      ]);
    },
  );

  test(
    "raw client: a ping of 0 and of 125 bytes gets an unmasked pong with the same payload",
    {
      timeout: 10_000,
    },
    async () => {
      const raw = await RawClient.connect(server.port);
      try {
        await raw.handshake("/?tag=raw-ping");
        const big = generateBinary(125);
        raw.sendFrame(OP.Ping);
        raw.sendFrame(OP.Ping, big);
        const first = await raw.readFrame();
        const second = await raw.readFrame();
        assert.deepEqual(
          [first.opcode, first.masked, first.payload.length],
          [OP.Pong, false, 0],
        );
        assert.deepEqual([second.opcode, second.masked], [OP.Pong, false]);
        assert.ok(sameBytes(second.payload, big));
      } finally {
        raw.destroy();
      }
    },
  );

  test("conn.ping() reaches the raw client as a ping frame with its payload", {
    timeout: 10_000,
  }, async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake("/?tag=raw-server-ping");
      const conn = await log.opened("raw-server-ping");
      assert.equal(conn.ping("hb-1"), true);
      const ping = await raw.readFrame();
      assert.deepEqual(
        { opcode: ping.opcode, fin: ping.fin, masked: ping.masked },
        { opcode: OP.Ping, fin: true, masked: false },
      );
      assert.equal(decoder.decode(ping.payload), "hb-1");
    } finally {
      raw.destroy();
    }
  });
});

describe("conformance: heartbeat against real clients", () => {
  let server: Server;
  let log: ServerRecorder;

  before(async () => {
    server = await startServer(
      { pingInterval: 100, idleTimeout: 500 },
      echoSetup,
    );
    log = new ServerRecorder(server);
  });

  after(() => stopServer(server));

  test(
    "clients that answer pings stay open past idleTimeout; a silent raw client is closed with 1011",
    {
      timeout: 20_000,
    },
    async () => {
      const ws = await openClient(tagUrl(server, "hb-ws"));
      const raw = await RawClient.connect(server.port);
      try {
        await raw.handshake("/?tag=hb-raw");
        const python = runPython({
          uri: tagUrl(server, "hb-py"),
          steps: [
            { op: "sleep", seconds: 1.5 },
            { op: "echo", kind: "text", size: 10 },
            { op: "close", code: 1000 },
          ],
        }, 15_000);
        // The raw client reads the server's pings but never answers.
        const ping = await raw.readFrame(2000);
        assert.equal(ping.opcode, OP.Ping);
        const rawClose = await log.closed("hb-raw", 3000);
        assert.equal(rawClose.code, 1011);
        assert.equal(rawClose.wasClean, false);
        await raw.waitGone(2000);
        const [report] = await python;
        assert.equal(report.results[1].ok, true, JSON.stringify(report));
        assert.equal(report.close_code, 1000);
        // The runtime WebSocket answered pings the whole time.
        await delay(200);
        assert.equal(log.hasClosed("hb-ws"), false);
        ws.ws.send("still here");
        assert.equal(await ws.next(), "still here");
        const errors = log.errorsOf("hb-raw") as Array<{ code?: number }>;
        assert.equal(errors.length, 1);
        assert.equal(errors[0].code, 1011);
      } finally {
        raw.destroy();
        await ws.close().catch(() => {});
      }
    },
  );
});

describe("conformance: every close path", () => {
  let server: Server;
  let log: ServerRecorder;
  let quickServer: Server;
  let quickLog: ServerRecorder;

  before(async () => {
    server = await startServer({}, echoSetup);
    log = new ServerRecorder(server);
    quickServer = await startServer({ closeTimeout: 200 }, echoSetup);
    quickLog = new ServerRecorder(quickServer);
  });

  after(async () => {
    await stopServer(server);
    await stopServer(quickServer);
  });

  test(
    "runtime WebSocket closes with 4001: the server sees code, reason and wasClean",
    {
      timeout: 10_000,
    },
    async () => {
      const client = await openClient(tagUrl(server, "ws-close"));
      const result = await client.close(4001, "client bye");
      assert.deepEqual(await log.closed("ws-close"), {
        code: 4001,
        reason: "client bye",
        wasClean: true,
      });
      assert.equal(result.code, 4001);
      assert.equal(result.wasClean, true);
    },
  );

  test(
    "python-websockets closes with 1000: the server sees it and closes TCP at once",
    {
      timeout: 15_000,
    },
    async () => {
      const [report] = await runPython({
        uri: tagUrl(server, "py-close"),
        steps: [{ op: "close", code: 1000, reason: "py bye" }],
      }, 10_000);
      const [closed] = report.results;
      assert.equal(closed.close_code, 1000);
      // python waits up to close_timeout (5 s) for the server to close TCP.
      assert.ok(closed.elapsed! < 1, `close took ${closed.elapsed} s`);
      assert.deepEqual(await log.closed("py-close"), {
        code: 1000,
        reason: "py bye",
        wasClean: true,
      });
    },
  );

  test("server closes with 4002: the runtime WebSocket sees code and reason", {
    timeout: 10_000,
  }, async () => {
    const client = await openClient(tagUrl(server, "ws-kick"));
    client.ws.send("!close 4002 server bye");
    const result = await withTimeout(client.closed, 5000, "client close");
    assert.deepEqual(result, {
      code: 4002,
      reason: "server bye",
      wasClean: true,
    });
    const info = await log.closed("ws-kick");
    assert.equal(info.code, 4002);
    assert.equal(info.wasClean, true);
  });

  test(
    "server closes with 4003: python-websockets sees code and reason, TCP closed promptly",
    {
      timeout: 15_000,
    },
    async () => {
      const [report] = await runPython({
        uri: tagUrl(server, "py-kick"),
        steps: [{ op: "send", text: "!close 4003 kick" }, {
          op: "wait_closed",
          timeout: 8,
        }],
      }, 12_000);
      const closed = report.results[1];
      assert.equal(closed.closed, true);
      assert.equal(closed.close_code, 4003);
      assert.equal(closed.close_reason, "kick");
      assert.ok(closed.elapsed! < 1, `close took ${closed.elapsed} s`);
      const info = await log.closed("py-kick");
      assert.equal(info.code, 4003);
      assert.equal(info.wasClean, true);
    },
  );

  test(
    "server closes a raw client: after the client's answer the server sends FIN first",
    {
      timeout: 10_000,
    },
    async () => {
      const raw = await RawClient.connect(server.port);
      try {
        await raw.handshake("/?tag=raw-kick");
        raw.sendFrame(OP.Text, "!close 4004 raw kick");
        const close = await raw.readFrame();
        assert.deepEqual(
          {
            opcode: close.opcode,
            masked: close.masked,
            ...parseClose(close.payload),
          },
          { opcode: OP.Close, masked: false, code: 4004, reason: "raw kick" },
        );
        raw.sendFrame(OP.Close, closePayload(4004));
        // RFC 6455 §7.1.1: the server SHOULD close the TCP connection first.
        await withTimeout(raw.ended, 1000, "server FIN");
        raw.end();
        await raw.waitClosed(2000);
        assert.deepEqual(await log.closed("raw-kick"), {
          code: 4004,
          reason: "",
          wasClean: true,
        });
      } finally {
        raw.destroy();
      }
    },
  );

  test("abrupt drop: the server sees 1006 and wasClean false", {
    timeout: 10_000,
  }, async () => {
    const raw = await RawClient.connect(server.port);
    await raw.handshake("/?tag=raw-drop");
    await log.opened("raw-drop");
    raw.destroy();
    assert.deepEqual(await log.closed("raw-drop"), {
      code: 1006,
      reason: "",
      wasClean: false,
    });
  });

  test(
    "half-close: close frame then FIN; the server answers the close and sees a clean close",
    {
      timeout: 10_000,
    },
    async () => {
      const raw = await RawClient.connect(server.port);
      try {
        await raw.handshake("/?tag=raw-half");
        raw.sendFrame(OP.Close, closePayload(1000, "half"));
        raw.end();
        const close = await raw.readFrame();
        assert.equal(close.opcode, OP.Close);
        assert.equal(parseClose(close.payload).code, 1000);
        await raw.waitClosed(2000);
        assert.deepEqual(await log.closed("raw-half"), {
          code: 1000,
          reason: "half",
          wasClean: true,
        });
      } finally {
        raw.destroy();
      }
    },
  );

  test(
    "a close frame without a body is echoed without a body and reported as 1005",
    {
      timeout: 10_000,
    },
    async () => {
      const raw = await RawClient.connect(server.port);
      try {
        await raw.handshake("/?tag=raw-empty-close");
        raw.sendFrame(OP.Close);
        const close = await raw.readFrame();
        assert.equal(close.opcode, OP.Close);
        assert.equal(close.payload.length, 0);
        await withTimeout(raw.ended, 1000, "server FIN");
        raw.end();
        assert.deepEqual(await log.closed("raw-empty-close"), {
          code: 1005,
          reason: "",
          wasClean: true,
        });
      } finally {
        raw.destroy();
      }
    },
  );

  test("FIN without a close frame: the server sees 1006 and closes its side", {
    timeout: 10_000,
  }, async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake("/?tag=raw-fin");
      await log.opened("raw-fin");
      raw.end();
      await withTimeout(raw.ended, 2000, "server FIN");
      await raw.waitClosed(2000);
      assert.deepEqual(await log.closed("raw-fin"), {
        code: 1006,
        reason: "",
        wasClean: false,
      });
    } finally {
      raw.destroy();
    }
  });

  test(
    "a client that never answers the server's close is dropped after closeTimeout",
    {
      timeout: 10_000,
    },
    async () => {
      const raw = await RawClient.connect(quickServer.port);
      try {
        await raw.handshake("/?tag=raw-deaf");
        const started = Date.now();
        raw.sendFrame(OP.Text, "!close 4005 deaf");
        const close = await raw.readFrame();
        assert.equal(parseClose(close.payload).code, 4005);
        await raw.waitGone(3000);
        const elapsed = Date.now() - started;
        assert.ok(
          elapsed >= 150 && elapsed < 2000,
          `dropped after ${elapsed} ms`,
        );
        assert.deepEqual(await quickLog.closed("raw-deaf"), {
          code: 1006,
          reason: "",
          wasClean: false,
        });
      } finally {
        raw.destroy();
      }
    },
  );
});

describe("conformance: protocol violations from a raw client", () => {
  let server: Server;
  let log: ServerRecorder;
  let bystander: WsClient;

  before(async () => {
    server = await startServer({}, echoSetup);
    log = new ServerRecorder(server);
    bystander = await openClient(tagUrl(server, "bystander"));
  });

  after(async () => {
    await bystander?.close().catch(() => {});
    await stopServer(server);
  });

  const big = 16 * MiB + 1;
  // 64-bit length 0x01000001 = 16 MiB + 1, then the masking key; no payload.
  const bigHeader = new Uint8Array([
    0x82,
    0xff,
    0,
    0,
    0,
    0,
    0x1,
    0,
    0,
    0x1,
    1,
    2,
    3,
    4,
  ]);
  assert.equal(bigHeader.length, 14);
  const cases: Array<{ name: string; code: number; bytes: () => Uint8Array }> =
    [
      {
        name: "an unmasked frame",
        code: 1002,
        bytes: () => encodeClientFrame(OP.Text, "naked", { mask: false }),
      },
      {
        name: "invalid UTF-8 in a text message",
        code: 1007,
        bytes: () =>
          encodeClientFrame(OP.Text, new Uint8Array([0x68, 0xc3, 0x28])),
      },
      {
        name:
          `a frame header announcing ${big} bytes (over the default 16 MiB maxMessageSize)`,
        code: 1009,
        bytes: () => bigHeader,
      },
      {
        name: "a reserved opcode (3)",
        code: 1002,
        bytes: () => encodeClientFrame(3, "x"),
      },
      {
        name: "RSV1 set without a negotiated extension",
        code: 1002,
        bytes: () => encodeClientFrame(OP.Text, "x", { rsv: 4 }),
      },
      {
        name: "a ping of 126 bytes",
        code: 1002,
        bytes: () => encodeClientFrame(OP.Ping, new Uint8Array(126)),
      },
      {
        name: "a fragmented ping",
        code: 1002,
        bytes: () => encodeClientFrame(OP.Ping, "x", { fin: false }),
      },
      {
        name: "a continuation frame with no message started",
        code: 1002,
        bytes: () => encodeClientFrame(OP.Continuation, "x"),
      },
      {
        name: "a new text frame inside a fragmented message",
        code: 1002,
        bytes: () =>
          concatBytes(
            encodeClientFrame(OP.Text, "a", { fin: false }),
            encodeClientFrame(OP.Text, "b"),
          ),
      },
      {
        name: "a close frame with code 1005",
        code: 1002,
        bytes: () => encodeClientFrame(OP.Close, closePayload(1005)),
      },
      {
        name: "a close frame with a 1-byte body",
        code: 1002,
        bytes: () => encodeClientFrame(OP.Close, new Uint8Array([3])),
      },
      {
        name: "a close reason that is not UTF-8",
        code: 1007,
        bytes: () =>
          encodeClientFrame(
            OP.Close,
            concatBytes(closePayload(1000), new Uint8Array([0xff])),
          ),
      },
    ];

  cases.forEach(({ name, code, bytes }, i) => {
    test(
      `${name} is answered with close ${code}; other connections keep working`,
      {
        timeout: 10_000,
      },
      async () => {
        const tag = `violation-${i}`;
        const raw = await RawClient.connect(server.port);
        try {
          await raw.handshake(`/?tag=${tag}`);
          raw.write(bytes());
          const close = await raw.readUntilClose();
          assert.deepEqual(close.before, [], "no frame before the close frame");
          assert.equal(
            close.code,
            code,
            `close frame: ${close.code} ${close.reason}`,
          );
          await withTimeout(raw.ended, 2000, "server FIN after failing");
          raw.end();
          const info = await log.closed(tag);
          assert.equal(info.code, code);
          assert.equal(info.wasClean, false);
          const errors = log.errorsOf(tag) as Array<{ code?: number }>;
          assert.equal(errors.length, 1);
          assert.equal(errors[0].code, code);
          assert.deepEqual(log.messagesOf(tag), []);
          bystander.ws.send(`after ${tag}`);
          assert.equal(await bystander.next(), `after ${tag}`);
        } finally {
          raw.destroy();
        }
      },
    );
  });
});

describe("conformance: pipelined frames in the handshake packet", () => {
  let server: Server;
  let log: ServerRecorder;

  before(async () => {
    server = await startServer({}, echoSetup);
    log = new ServerRecorder(server);
  });

  after(() => stopServer(server));

  test(
    "the handshake and three masked frames in one write are all answered, in order",
    {
      timeout: 10_000,
    },
    async () => {
      const raw = await RawClient.connect(server.port);
      try {
        const response = await raw.handshake("/?tag=pipelined", {
          extra: concatBytes(
            encodeClientFrame(OP.Text, "early bird"),
            encodeClientFrame(OP.Binary, new Uint8Array([1, 2, 3])),
            encodeClientFrame(OP.Ping, "p"),
          ),
        });
        assert.equal(response.status, 101);
        const frames = [
          await raw.readFrame(),
          await raw.readFrame(),
          await raw.readFrame(),
        ];
        // The pong may overtake the echoes (RFC 6455 §5.5.3: a pong is sent
        // "as soon as is practical"); the messages keep their order.
        assert.deepEqual(
          frames.filter((f) => f.opcode !== OP.Pong).map((f) => [
            f.opcode,
            f.masked,
            Array.from(f.payload),
          ]),
          [
            [OP.Text, false, Array.from(encoder.encode("early bird"))],
            [OP.Binary, false, [1, 2, 3]],
          ],
        );
        assert.deepEqual(
          frames.filter((f) => f.opcode === OP.Pong).map((
            f,
          ) => [f.masked, Array.from(f.payload)]),
          [[false, [0x70]]],
        );
        assert.deepEqual(
          log.messagesOf("pipelined").map((m) =>
            typeof m === "string" ? m : Array.from(m)
          ),
          ["early bird", [1, 2, 3]],
        );
      } finally {
        raw.destroy();
      }
    },
  );

  test(
    "handshake, a message and a close frame in one write: the echo goes out before the close reply, then FIN",
    {
      timeout: 10_000,
    },
    async () => {
      const raw = await RawClient.connect(server.port);
      try {
        await raw.handshake("/?tag=pipelined-close", {
          extra: concatBytes(
            encodeClientFrame(OP.Text, "last words"),
            encodeClientFrame(OP.Close, closePayload(1000, "done")),
          ),
        });
        const close = await raw.readUntilClose();
        assert.equal(close.code, 1000);
        assert.deepEqual(
          close.before.map((
            f,
          ) => [f.opcode, new TextDecoder().decode(f.payload)]),
          [[OP.Text, "last words"]],
          "the echo of the message precedes the close reply",
        );
        await withTimeout(raw.ended, 2000, "server FIN");
        raw.end();
        assert.deepEqual(log.messagesOf("pipelined-close"), ["last words"]);
        assert.deepEqual(await log.closed("pipelined-close"), {
          code: 1000,
          reason: "done",
          wasClean: true,
        });
      } finally {
        raw.destroy();
      }
    },
  );
});

describe("conformance: many clients", () => {
  let server: Server;

  before(async () => {
    server = await startServer({}, echoSetup);
  });

  after(() => stopServer(server));

  test(
    "1,000 concurrent runtime WebSockets each get their own echo, then a broadcast reaches all 1,000",
    {
      timeout: 60_000,
    },
    async () => {
      const clients = await openClients(`${server.url}/`, 1000);
      try {
        assert.equal(clients.length, 1000);
        await waitFor(
          () => server.connections.size === 1000,
          5000,
          "1000 open on the server",
        );
        clients.forEach((client, i) => client.ws.send(`client ${i}`));
        const echoes = await Promise.all(
          clients.map((client) => client.next(20_000)),
        );
        echoes.forEach((echo, i) => assert.equal(echo, `client ${i}`));
        const count = server.broadcast("to everyone");
        assert.equal(count, 1000);
        const broadcasts = await Promise.all(
          clients.map((client) => client.next(20_000)),
        );
        assert.equal(
          broadcasts.filter((m) => m === "to everyone").length,
          1000,
        );
      } finally {
        await closeAll(clients, 20_000);
      }
      await waitFor(
        () => server.connections.size === 0,
        10_000,
        "all closed on the server",
      );
    },
  );

  test("100 concurrent python-websockets clients echo text and binary", {
    timeout: 40_000,
  }, async () => {
    const reports = await runPython({
      uri: `${server.url}/`,
      connections: 100,
      steps: [
        { op: "echo", kind: "text", size: 1000 },
        { op: "echo", kind: "binary", size: 70_000 },
        { op: "close", code: 1000 },
      ],
    }, 35_000);
    assert.equal(reports.length, 100);
    for (const report of reports) {
      assert.equal(report.connect_error, undefined);
      assert.deepEqual(report.results.map((r) => r.ok ?? r.close_code), [
        true,
        true,
        1000,
      ]);
    }
  });
});

describe("conformance: backpressure against a client that stops reading", () => {
  const CHUNK = 256 * 1024;
  const FRAME = CHUNK + 10; // a 64-bit length header
  const maxBufferedAmount = 8 * MiB;
  const drainThreshold = MiB;
  let server: Server;
  let log: ServerRecorder;

  before(async () => {
    server = await startServer({ maxBufferedAmount, drainThreshold });
    log = new ServerRecorder(server);
  });

  after(() => stopServer(server));

  test(
    "a producer that waits for drain: bufferedAmount stays bounded, drain fires only on resume",
    {
      timeout: 30_000,
    },
    async () => {
      const TOTAL = 48 * MiB;
      const chunk = generateBinary(CHUNK);
      let sent = 0;
      let maxBuffered = 0;
      let blockedOnce = false;
      const drains: number[] = [];
      let producer: Connection | undefined;
      const pump = (conn: Connection): void => {
        while (sent < TOTAL) {
          assert.equal(conn.send(chunk), true);
          sent += CHUNK;
          maxBuffered = Math.max(maxBuffered, conn.bufferedAmount);
          if (conn.bufferedAmount > drainThreshold) {
            blockedOnce = true;
            return;
          }
        }
      };
      const offOpen = server.on("open", (request, conn) => {
        if (request.query.get("tag") !== "paused") return;
        producer = conn;
        pump(conn);
      });
      const offDrain = server.on("drain", (amount, conn) => {
        if (conn !== producer) return;
        drains.push(amount);
        pump(conn);
      });
      const raw = await RawClient.connect(server.port);
      try {
        const head = await raw.handshake("/?tag=paused");
        raw.discard = true;
        raw.pause();
        await log.opened("paused");
        // Wait until the producer is stuck: no progress for 150 ms.
        let last = -1;
        let since = Date.now();
        await waitFor(
          () => {
            if (sent !== last) {
              last = sent;
              since = Date.now();
            }
            return blockedOnce && Date.now() - since >= 150;
          },
          10_000,
          "producer blocked",
        );
        const stuckAt = sent;
        const drainsWhilePaused = drains.length;
        await delay(300);
        assert.ok(stuckAt < TOTAL, "the paused client absorbed everything");
        assert.equal(
          sent,
          stuckAt,
          "the producer went on while the client was paused",
        );
        assert.equal(
          drains.length,
          drainsWhilePaused,
          "drain fired while paused",
        );
        // bufferedAmount is exact: what the engine still holds (the kernel's
        // buffers took the rest), so it may be under the threshold while the
        // producer waits for the drain of the engine's buffer.
        assert.ok(producer!.bufferedAmount > 0);
        assert.ok(
          maxBuffered <= maxBufferedAmount + FRAME,
          `bufferedAmount reached ${maxBuffered}`,
        );
        raw.resume();
        const expected = head.raw.length + (TOTAL / CHUNK) * FRAME; // 101 response + frames
        await waitFor(
          () => raw.bytesReceived >= expected,
          20_000,
          "all bytes after resume",
        );
        assert.ok(
          drains.length > drainsWhilePaused,
          "drain fired after resume",
        );
        assert.ok(
          drains.every((amount) => amount <= drainThreshold),
          `drains: ${drains}`,
        );
        assert.equal(sent, TOTAL);
        assert.ok(
          maxBuffered <= maxBufferedAmount + FRAME,
          `bufferedAmount reached ${maxBuffered}`,
        );
        assert.equal(log.hasClosed("paused"), false);
        assert.deepEqual(log.errorsOf("paused"), []);
        await delay(50);
        assert.equal(raw.bytesReceived, expected);
      } finally {
        offOpen();
        offDrain();
        raw.destroy();
      }
    },
  );

  test(
    "a producer that ignores backpressure: the slow consumer is closed with 1008 past maxBufferedAmount",
    {
      timeout: 30_000,
    },
    async () => {
      const chunk = generateBinary(CHUNK);
      let maxBuffered = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const offOpen = server.on("open", (request, conn) => {
        if (request.query.get("tag") !== "flood") return;
        const tick = (): void => {
          if (!conn.send(chunk)) return; // closed: stop
          maxBuffered = Math.max(maxBuffered, conn.bufferedAmount);
          timer = setTimeout(tick, 0);
        };
        tick();
      });
      const raw = await RawClient.connect(server.port);
      try {
        raw.discard = true;
        raw.write(upgradeRequest("/?tag=flood"));
        raw.pause();
        const info = await log.closed("flood", 20_000);
        assert.equal(info.code, 1008);
        assert.equal(info.wasClean, false);
        const errors = log.errorsOf("flood") as Array<{ code?: number }>;
        assert.equal(errors.length, 1);
        assert.equal(errors[0].code, 1008);
        assert.ok(
          maxBuffered <= maxBufferedAmount + FRAME,
          `bufferedAmount reached ${maxBuffered}`,
        );
        raw.resume();
        await raw.waitGone(5000);
      } finally {
        clearTimeout(timer);
        offOpen();
        raw.destroy();
      }
    },
  );
});

describe("conformance: stop()", () => {
  test(
    "stop() sends 1001 to every kind of client and resolves once they answered",
    {
      timeout: 30_000,
    },
    async () => {
      const server = await startServer({}, echoSetup);
      const log = new ServerRecorder(server);
      const raw = await RawClient.connect(server.port);
      let clients: WsClient[] = [];
      try {
        clients = await Promise.all(
          [0, 1, 2, 3, 4].map((i) => openClient(tagUrl(server, `ws-${i}`))),
        );
        await raw.handshake("/?tag=raw");
        const python = runPython({
          uri: tagUrl(server, "py"),
          steps: [{ op: "wait_closed", timeout: 10 }],
        }, 15_000);
        await log.opened("py", 10_000);
        assert.equal(server.connections.size, 7);
        const stopping = server.stop({ timeout: 5000 });
        const close = await raw.readFrame();
        assert.deepEqual(parseClose(close.payload), {
          code: 1001,
          reason: "Server shutting down",
        });
        raw.sendFrame(OP.Close, closePayload(1001));
        raw.end();
        const started = Date.now();
        await withTimeout(stopping, 5000, "server.stop()");
        assert.ok(
          Date.now() - started < 2000,
          "stop() waited for the close timeout",
        );
        for (const client of clients) {
          assert.deepEqual(await withTimeout(client.closed, 3000, "ws close"), {
            code: 1001,
            reason: "Server shutting down",
            wasClean: true,
          });
        }
        const [report] = await python;
        assert.equal(report.results[0].closed, true);
        assert.equal(report.results[0].close_code, 1001);
        assert.equal(report.results[0].close_reason, "Server shutting down");
        assert.equal(server.connections.size, 0);
        for (const tag of ["ws-0", "ws-4", "raw", "py"]) {
          assert.equal((await log.closed(tag)).code, 1001, tag);
        }
        await assert.rejects(RawClient.connect(server.port, 2000));
      } finally {
        raw.destroy();
        await stopServer(server).catch(() => {});
        for (const client of clients) client.ws.close();
      }
    },
  );

  test(
    "stop({ code, reason, timeout }) drops a client that never answers after the timeout",
    {
      timeout: 15_000,
    },
    async () => {
      const server = await startServer({}, echoSetup);
      const raw = await RawClient.connect(server.port);
      try {
        await raw.handshake();
        await waitFor(() => server.connections.size === 1, 2000, "open");
        const started = Date.now();
        const stopping = server.stop({
          code: 1012,
          reason: "Restarting",
          timeout: 300,
        });
        const close = await raw.readFrame();
        assert.deepEqual(parseClose(close.payload), {
          code: 1012,
          reason: "Restarting",
        });
        await withTimeout(stopping, 3000, "server.stop()");
        const elapsed = Date.now() - started;
        assert.ok(
          elapsed >= 250 && elapsed < 2500,
          `stop() took ${elapsed} ms`,
        );
        await raw.waitGone(2000);
        assert.equal(server.connections.size, 0);
      } finally {
        raw.destroy();
      }
    },
  );
});
