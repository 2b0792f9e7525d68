// The connection driver (src/driver/connection_driver.ts) through a Server on the in-memory
// engine: raw bytes in, raw bytes out, no TCP. Fast and deterministic.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { CloseInfo, Connection } from "../../src/driver/connection.ts";
import { Server } from "@anyws/anyws";
import type { ServerOptions } from "../../src/server/options.ts";
import {
  memoryEngine,
  type MemoryEngineOptions,
  type MemorySocket,
} from "../../engines/memory.ts";
import {
  closePayload,
  concatBytes,
  delay,
  encodeClientFrame,
  OP,
  parseClose,
  SAMPLE_ACCEPT,
  type ServerFrame,
  upgradeRequest,
  waitFor,
  withTimeout,
} from "../_clients.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const KiB = 1024;

/** A client of the memory engine that records every chunk and parses frames. */
class MemClient {
  readonly socket: MemorySocket;
  /** Every chunk the server's transport delivered, in order. */
  readonly chunks: Uint8Array[] = [];
  ended = false;
  closed = false;
  closeError: Error | undefined;
  #offset = 0; // bytes of the stream already parsed
  #all: Uint8Array = new Uint8Array(0);
  #dirty = false;
  /** Answer every ping with a pong (what a live client does). */
  answerPings = false;

  constructor(socket: MemorySocket) {
    this.socket = socket;
    socket.onData = (bytes) => {
      this.chunks.push(bytes);
      this.#dirty = true;
      if (this.answerPings) this.#answerPings();
    };
    socket.onEnd = () => this.ended = true;
    socket.onClose = (error) => {
      this.closed = true;
      this.closeError = error;
    };
  }

  /** The whole received stream. */
  get bytes(): Uint8Array {
    if (this.#dirty) {
      this.#all = concatBytes(...this.chunks);
      this.#dirty = false;
    }
    return this.#all;
  }

  get received(): number {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  /** Sends the upgrade request (plus `extra` in the same write). */
  upgrade(path = "/", extra?: Uint8Array): void {
    const head = encoder.encode(upgradeRequest(path));
    this.socket.write(extra ? concatBytes(head, extra) : head);
  }

  /** Waits for the HTTP response head; returns its text. */
  async head(ms = 2000): Promise<string> {
    let end = -1;
    await waitFor(
      () => {
        end = indexOfHeadEnd(this.bytes);
        return end >= 0;
      },
      ms,
      "HTTP response head",
    );
    this.#offset = end;
    return decoder.decode(this.bytes.subarray(0, end));
  }

  /** Waits for the next whole frame after the last one read. */
  async frame(ms = 2000): Promise<ServerFrame> {
    let parsed: { frame: ServerFrame; size: number } | undefined;
    await waitFor(
      () => {
        parsed = parseFrame(this.bytes, this.#offset);
        return parsed !== undefined;
      },
      ms,
      "server frame",
    );
    this.#offset += parsed!.size;
    return parsed!.frame;
  }

  /** Every whole frame already received after the last one read. */
  available(): ServerFrame[] {
    const frames: ServerFrame[] = [];
    for (;;) {
      const parsed = parseFrame(this.bytes, this.#offset);
      if (parsed === undefined) return frames;
      this.#offset += parsed.size;
      frames.push(parsed.frame);
    }
  }

  send(
    opcode: number,
    payload?: Uint8Array | string,
    options?: { fin?: boolean },
  ): void {
    this.socket.write(encodeClientFrame(opcode, payload, options));
  }

  #answerPings(): void {
    // Parse from a private cursor so that frame() still sees every frame.
    const bytes = this.bytes;
    let offset = this.#pingCursor < 0
      ? indexOfHeadEnd(bytes)
      : this.#pingCursor;
    if (offset < 0) return;
    for (;;) {
      const parsed = parseFrame(bytes, offset);
      if (parsed === undefined) break;
      offset += parsed.size;
      if (parsed.frame.opcode === OP.Ping) {
        this.send(OP.Pong, parsed.frame.payload);
      }
    }
    this.#pingCursor = offset;
  }
  #pingCursor = -1;
}

function indexOfHeadEnd(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) {
      return i + 4;
    }
  }
  return -1;
}

function parseFrame(
  b: Uint8Array,
  offset: number,
): { frame: ServerFrame; size: number } | undefined {
  if (b.length - offset < 2) return undefined;
  const b0 = b[offset];
  const b1 = b[offset + 1];
  const masked = (b1 & 0x80) !== 0;
  let length = b1 & 0x7f;
  let header = 2;
  if (length === 126) {
    if (b.length - offset < 4) return undefined;
    length = (b[offset + 2] << 8) | b[offset + 3];
    header = 4;
  } else if (length === 127) {
    if (b.length - offset < 10) return undefined;
    const view = new DataView(b.buffer, b.byteOffset + offset, 10);
    length = view.getUint32(2) * 2 ** 32 + view.getUint32(6);
    header = 10;
  }
  if (masked) header += 4;
  if (b.length - offset < header + length) return undefined;
  const payload = b.slice(offset + header, offset + header + length);
  if (masked) {
    const key = b.subarray(offset + header - 4, offset + header);
    for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
  }
  return {
    frame: {
      fin: (b0 & 0x80) !== 0,
      rsv: (b0 >> 4) & 7,
      opcode: b0 & 0xf,
      masked,
      payload,
    },
    size: header + length,
  };
}

/** What the server's handlers saw. */
interface Seen {
  opens: Connection[];
  messages: Array<string | Uint8Array>;
  closes: CloseInfo[];
  errors: Array<{ code?: number; message?: string }>;
  drains: number[];
}

/** A server on a fresh memory engine with recording handlers; `setup` adds more. */
async function memoryServer(
  options: ServerOptions = {},
  setup?: (server: Server, seen: Seen) => void,
  engineOptions?: MemoryEngineOptions,
): Promise<{ server: Server; seen: Seen; connect: () => MemClient }> {
  const engine = memoryEngine(engineOptions);
  const server = new Server(engine, {
    hostname: "127.0.0.1",
    port: 0,
    ...options,
  });
  const seen: Seen = {
    opens: [],
    messages: [],
    closes: [],
    errors: [],
    drains: [],
  };
  server.on("open", (_request, conn) => seen.opens.push(conn));
  server.on("message", (data) => seen.messages.push(data));
  server.on("close", (info) => seen.closes.push(info));
  server.on("error", (error) => seen.errors.push(error as { code?: number }));
  server.on("drain", (amount) => seen.drains.push(amount));
  setup?.(server, seen);
  await server.listen();
  return {
    server,
    seen,
    connect: () => new MemClient(engine.connect(server.port)),
  };
}

async function stop(server: Server): Promise<void> {
  // Memory clients do not answer the server's close: keep the wait short.
  await withTimeout(server.stop({ timeout: 20 }), 3000, "server.stop()");
}

describe("driver: handshake and pipelining", () => {
  test("answers 101 with the accept key, then processes frames pipelined behind the head, in order", async () => {
    const { server, seen, connect } = await memoryServer({}, (s) => {
      s.on("message", (data, conn) => conn.send(data));
    });
    try {
      const client = connect();
      client.upgrade(
        "/",
        concatBytes(
          encodeClientFrame(OP.Text, "one"),
          encodeClientFrame(OP.Binary, new Uint8Array([2])),
          encodeClientFrame(OP.Text, "three"),
        ),
      );
      const head = await client.head();
      assert.match(head, /^HTTP\/1\.1 101 /);
      assert.ok(
        head.includes(`Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n`),
        head,
      );
      const frames = [
        await client.frame(),
        await client.frame(),
        await client.frame(),
      ];
      assert.deepEqual(frames.map((f) => [f.opcode, Array.from(f.payload)]), [
        [OP.Text, Array.from(encoder.encode("one"))],
        [OP.Binary, [2]],
        [OP.Text, Array.from(encoder.encode("three"))],
      ]);
      assert.equal(seen.opens.length, 1);
      assert.deepEqual(
        seen.messages.map((m) => typeof m === "string" ? m : Array.from(m)),
        [
          "one",
          [2],
          "three",
        ],
      );
    } finally {
      await stop(server);
    }
  });

  test("a handshake and frames delivered one byte at a time still work", async () => {
    const { server, seen, connect } = await memoryServer({}, (s) => {
      s.on("message", (data, conn) => conn.send(data));
    }, { chunkSize: 1 });
    try {
      const client = connect();
      const text = "héllo wörld ".repeat(30);
      client.upgrade(
        "/",
        concatBytes(
          encodeClientFrame(OP.Text, text.slice(0, 100), { fin: false }),
          encodeClientFrame(OP.Continuation, text.slice(100)),
        ),
      );
      await client.head();
      const echo = await client.frame();
      assert.equal(decoder.decode(echo.payload), text);
      assert.deepEqual(seen.messages, [text]);
    } finally {
      await stop(server);
    }
  });

  test("the 101 response and the messages sent in the open handler leave in ONE chunk", async () => {
    const { server, connect } = await memoryServer({}, (s) => {
      s.on("open", (_request, conn) => {
        conn.send("welcome");
        conn.send(new Uint8Array([1, 2, 3]));
      });
    });
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      await client.frame();
      await client.frame();
      assert.equal(client.chunks.length, 1);
    } finally {
      await stop(server);
    }
  });

  test("several sends in one turn are corked into ONE chunk", async () => {
    const { server, connect } = await memoryServer({}, (s) => {
      s.on("message", (data, conn) => {
        conn.send(`${data} 1`);
        conn.send(`${data} 2`);
        conn.ping("p");
        conn.send(new Uint8Array(300));
      });
    });
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      const before = client.chunks.length;
      client.send(OP.Text, "m");
      const frames = [
        await client.frame(),
        await client.frame(),
        await client.frame(),
        await client.frame(),
      ];
      assert.deepEqual(frames.map((f) => f.opcode), [
        OP.Text,
        OP.Text,
        OP.Ping,
        OP.Binary,
      ]);
      assert.equal(
        client.chunks.length - before,
        1,
        "one write for four frames",
      );
    } finally {
      await stop(server);
    }
  });

  test("an invalid request is answered with its HTTP status and a body, then FIN; no open event", async () => {
    const { server, seen, connect } = await memoryServer();
    try {
      const client = connect();
      client.socket.write(
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      const head = await client.head();
      assert.match(head, /^HTTP\/1\.1 400 /);
      const length = Number(/\r\nContent-Length: (\d+)\r\n/i.exec(head)?.[1]);
      assert.ok(length > 0, head);
      await waitFor(() => client.ended, 1000, "FIN");
      assert.equal(
        client.received,
        encoder.encode(head).length + length,
        "head, body, nothing else",
      );
      client.socket.end();
      await withTimeout(client.socket.closed, 1000, "closed");
      assert.deepEqual(seen.opens, []);
      assert.deepEqual(seen.closes, []);
    } finally {
      await stop(server);
    }
  });

  test("an incomplete request head is dropped after handshakeTimeout", async () => {
    const { server, seen, connect } = await memoryServer({
      handshakeTimeout: 50,
    });
    try {
      const client = connect();
      const started = Date.now();
      client.socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      await withTimeout(client.socket.closed, 2000, "dropped");
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 40 && elapsed < 1000, `dropped after ${elapsed} ms`);
      assert.equal(client.received, 0);
      assert.deepEqual(seen.opens, []);
    } finally {
      await stop(server);
    }
  });
});

describe("driver: closing handshake", () => {
  test("client close: the server echoes the code, sends FIN, and reports a clean close", async () => {
    const { server, seen, connect } = await memoryServer();
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      client.send(OP.Close, closePayload(4000, "bye"));
      const close = await client.frame();
      assert.deepEqual(parseClose(close.payload), { code: 4000, reason: "" });
      await waitFor(() => client.ended, 1000, "server FIN");
      assert.deepEqual(
        seen.closes,
        [],
        "the server waits for the client's FIN",
      );
      client.socket.end();
      await withTimeout(client.socket.closed, 1000, "closed");
      await waitFor(() => seen.closes.length === 1, 1000, "close event");
      assert.deepEqual(seen.closes, [{
        code: 4000,
        reason: "bye",
        wasClean: true,
      }]);
      assert.equal(server.connections.size, 0);
    } finally {
      await stop(server);
    }
  });

  test("server close: the close frame goes out, the client's answer completes it", async () => {
    const { server, seen, connect } = await memoryServer();
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      await waitFor(() => seen.opens.length === 1, 1000, "open");
      seen.opens[0].close(4001, "server bye");
      assert.equal(seen.opens[0].readyState, 2);
      const close = await client.frame();
      assert.deepEqual(parseClose(close.payload), {
        code: 4001,
        reason: "server bye",
      });
      client.send(OP.Close, closePayload(4001, "ok"));
      await waitFor(() => client.ended, 1000, "server FIN");
      client.socket.end();
      await waitFor(() => seen.closes.length === 1, 1000, "close event");
      assert.deepEqual(seen.closes, [{
        code: 4001,
        reason: "ok",
        wasClean: true,
      }]);
      assert.equal(seen.opens[0].readyState, 3);
    } finally {
      await stop(server);
    }
  });

  for (
    const [name, request, status] of [
      ["a plain HTTP request (426)", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 426],
      [
        "a rejected upgrade (405)",
        "POST / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n",
        405,
      ],
    ] as const
  ) {
    test(`after answering ${name}, a client that never closes its side is dropped after closeTimeout`, async () => {
      const { server, connect } = await memoryServer({
        closeTimeout: 80,
        handshakeTimeout: 60_000,
      });
      try {
        const client = connect();
        client.socket.write(encoder.encode(request));
        assert.match(await client.head(), new RegExp(`^HTTP/1.1 ${status} `));
        const started = Date.now();
        await withTimeout(client.socket.closed, 2000, "dropped");
        const elapsed = Date.now() - started;
        assert.ok(elapsed < 1000, `dropped after ${elapsed} ms`);
      } finally {
        await stop(server);
      }
    });
  }

  test("a client that answers the close but never sends FIN is dropped after closeTimeout", async () => {
    const { server, seen, connect } = await memoryServer({ closeTimeout: 80 });
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      const started = Date.now();
      client.send(OP.Close, closePayload(1000));
      await withTimeout(client.socket.closed, 2000, "dropped");
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 60 && elapsed < 1000, `dropped after ${elapsed} ms`);
      await waitFor(() => seen.closes.length === 1, 1000, "close event");
      assert.deepEqual(seen.closes, [{
        code: 1000,
        reason: "",
        wasClean: true,
      }]);
    } finally {
      await stop(server);
    }
  });

  test("a client that never answers the server's close is dropped after closeTimeout with 1006", async () => {
    const { server, seen, connect } = await memoryServer({ closeTimeout: 80 });
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      await waitFor(() => seen.opens.length === 1, 1000, "open");
      const started = Date.now();
      seen.opens[0].close(1000);
      await withTimeout(client.socket.closed, 2000, "dropped");
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 60 && elapsed < 1000, `dropped after ${elapsed} ms`);
      assert.equal((await client.frame()).opcode, OP.Close);
      await waitFor(() => seen.closes.length === 1, 1000, "close event");
      assert.deepEqual(seen.closes, [{
        code: 1006,
        reason: "",
        wasClean: false,
      }]);
    } finally {
      await stop(server);
    }
  });

  test("FIN without a close frame: 1006, and the server ends its side", async () => {
    const { server, seen, connect } = await memoryServer();
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      client.socket.end();
      await withTimeout(client.socket.closed, 1000, "closed");
      await waitFor(() => seen.closes.length === 1, 1000, "close event");
      assert.deepEqual(seen.closes, [{
        code: 1006,
        reason: "",
        wasClean: false,
      }]);
    } finally {
      await stop(server);
    }
  });

  test("a reset connection: 1006, not clean", async () => {
    const { server, seen, connect } = await memoryServer();
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      client.socket.abort();
      await waitFor(() => seen.closes.length === 1, 1000, "close event");
      assert.deepEqual(seen.closes, [{
        code: 1006,
        reason: "",
        wasClean: false,
      }]);
      assert.equal(server.connections.size, 0);
    } finally {
      await stop(server);
    }
  });

  test("a protocol violation: close frame with the code, FIN, error event and close info", async () => {
    const { server, seen, connect } = await memoryServer();
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      client.socket.write(encodeClientFrame(OP.Text, "x", { mask: false }));
      const close = await client.frame();
      assert.equal(parseClose(close.payload).code, 1002);
      await waitFor(() => client.ended, 1000, "server FIN");
      client.socket.end();
      await waitFor(() => seen.closes.length === 1, 1000, "close event");
      assert.equal(seen.closes[0].code, 1002);
      assert.equal(seen.closes[0].wasClean, false);
      assert.deepEqual(seen.errors.map((e) => e.code), [1002]);
    } finally {
      await stop(server);
    }
  });

  test("fragments that each fit but together exceed maxMessageSize fail with 1009", async () => {
    const { server, seen, connect } = await memoryServer({
      maxMessageSize: 1000,
    });
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      client.send(OP.Binary, new Uint8Array(600), { fin: false });
      client.send(OP.Continuation, new Uint8Array(600));
      const close = await client.frame();
      assert.equal(parseClose(close.payload).code, 1009);
      assert.deepEqual(seen.messages, []);
      assert.deepEqual(seen.errors.map((e) => e.code), [1009]);
    } finally {
      await stop(server);
    }
  });

  test("a message of exactly maxMessageSize is accepted", async () => {
    const { server, seen, connect } = await memoryServer({
      maxMessageSize: 1000,
    });
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      client.send(OP.Binary, new Uint8Array(400), { fin: false });
      client.send(OP.Continuation, new Uint8Array(600));
      await waitFor(() => seen.messages.length === 1, 1000, "message");
      assert.equal((seen.messages[0] as Uint8Array).length, 1000);
      assert.deepEqual(seen.errors, []);
    } finally {
      await stop(server);
    }
  });
});

describe("driver: heartbeat", () => {
  test("a silent client is pinged every pingInterval; one that answers stays open past idleTimeout", async () => {
    const { server, seen, connect } = await memoryServer({
      pingInterval: 20,
      idleTimeout: 100,
    });
    try {
      const live = connect();
      live.answerPings = true;
      live.upgrade("/live");
      await live.head();
      await delay(300);
      const pings = live.available();
      assert.ok(pings.length >= 3, `${pings.length} pings`);
      assert.ok(pings.every((f) => f.opcode === OP.Ping && !f.masked));
      assert.deepEqual(seen.closes, []);
      assert.equal(server.connections.size, 1);
    } finally {
      await stop(server);
    }
  });

  test("a client silent past idleTimeout is closed with 1011 and dropped", async () => {
    const { server, seen, connect } = await memoryServer({
      pingInterval: 20,
      idleTimeout: 100,
    });
    try {
      const silent = connect();
      silent.upgrade();
      await silent.head();
      const started = Date.now();
      await withTimeout(silent.socket.closed, 2000, "dropped");
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 80 && elapsed < 1000, `dropped after ${elapsed} ms`);
      assert.equal(
        (await silent.frame()).opcode,
        OP.Ping,
        "it was pinged first",
      );
      await waitFor(() => seen.closes.length === 1, 1000, "close event");
      assert.equal(seen.closes[0].code, 1011);
      assert.equal(seen.closes[0].wasClean, false);
      assert.deepEqual(seen.errors.map((e) => e.code), [1011]);
    } finally {
      await stop(server);
    }
  });

  test("idleTimeout without pingInterval closes a silent client without pinging it", async () => {
    const { server, seen, connect } = await memoryServer({
      pingInterval: 0,
      idleTimeout: 60,
    });
    try {
      const silent = connect();
      silent.upgrade();
      const head = await silent.head();
      await withTimeout(silent.socket.closed, 2000, "dropped");
      assert.equal(
        silent.received,
        encoder.encode(head).length,
        "no ping was sent",
      );
      await waitFor(() => seen.closes.length === 1, 1000, "close event");
      assert.equal(seen.closes[0].code, 1011);
    } finally {
      await stop(server);
    }
  });
});

describe("driver: backpressure", () => {
  const CHUNK = 64 * KiB;
  const FRAME = CHUNK + 10; // 64 KiB needs the 64-bit length form

  test("a paused reader: bufferedAmount grows only to the drain point; drain fires after resume", async () => {
    const drainThreshold = 256 * KiB;
    const TOTAL = 4 * 1024 * KiB;
    let sent = 0;
    let maxBuffered = 0;
    const chunk = new Uint8Array(CHUNK);
    const pump = (conn: Connection): void => {
      while (sent < TOTAL) {
        assert.equal(conn.send(chunk), true);
        sent += CHUNK;
        maxBuffered = Math.max(maxBuffered, conn.bufferedAmount);
        if (conn.bufferedAmount > drainThreshold) return;
      }
    };
    const { server, seen, connect } = await memoryServer(
      { drainThreshold, maxBufferedAmount: 1024 * KiB },
      (s) => {
        s.on("open", (_request, conn) => pump(conn));
        s.on("drain", (_amount, conn) => pump(conn));
      },
      { highWaterMark: 64 * KiB },
    );
    try {
      const client = connect();
      client.socket.pause();
      client.upgrade();
      await delay(30);
      const stuckAt = sent;
      assert.ok(stuckAt < TOTAL);
      assert.deepEqual(seen.drains, []);
      assert.equal(seen.opens[0].bufferedAmount > drainThreshold, true);
      client.socket.resume();
      await waitFor(() => sent === TOTAL, 3000, "all sent");
      await waitFor(
        () => seen.opens[0].bufferedAmount === 0,
        3000,
        "all flushed",
      );
      assert.ok(seen.drains.length >= 1);
      assert.ok(
        seen.drains.every((amount) => amount <= drainThreshold),
        `${seen.drains}`,
      );
      assert.ok(
        maxBuffered <= drainThreshold + FRAME,
        `bufferedAmount reached ${maxBuffered}`,
      );
      await waitFor(() => client.received >= TOTAL, 3000, "all received");
      assert.deepEqual(seen.closes, []);
    } finally {
      await stop(server);
    }
  });

  test("drain fires even when the transport took everything at once after bufferedAmount passed drainThreshold", async () => {
    const drainThreshold = 64 * KiB;
    const { server, seen, connect } = await memoryServer(
      { drainThreshold },
      (s) => {
        s.on("open", (_request, conn) => {
          conn.send(new Uint8Array(100 * KiB));
          assert.ok(conn.bufferedAmount > drainThreshold);
        });
      },
      { highWaterMark: 1024 * KiB },
    );
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      await client.frame();
      await waitFor(() => seen.drains.length === 1, 1000, "drain event");
      assert.deepEqual(seen.drains, [0]);
    } finally {
      await stop(server);
    }
  });

  test("a producer that ignores backpressure is closed with 1008 past maxBufferedAmount; the socket is dropped", async () => {
    const maxBufferedAmount = 512 * KiB;
    let maxBuffered = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const { server, seen, connect } = await memoryServer(
      { maxBufferedAmount, drainThreshold: 128 * KiB },
      (s) => {
        s.on("open", (_request, conn) => {
          const chunk = new Uint8Array(CHUNK);
          const tick = (): void => {
            if (!conn.send(chunk)) return;
            maxBuffered = Math.max(maxBuffered, conn.bufferedAmount);
            timer = setTimeout(tick, 0);
          };
          tick();
        });
      },
    );
    try {
      const client = connect();
      client.socket.pause();
      client.upgrade();
      await withTimeout(client.socket.closed, 3000, "dropped");
      await waitFor(() => seen.closes.length === 1, 1000, "close event");
      assert.equal(seen.closes[0].code, 1008);
      assert.equal(seen.closes[0].wasClean, false);
      assert.deepEqual(seen.errors.map((e) => e.code), [1008]);
      assert.ok(
        maxBuffered <= maxBufferedAmount + FRAME,
        `bufferedAmount reached ${maxBuffered}`,
      );
      assert.ok(
        maxBuffered > maxBufferedAmount - FRAME,
        `bufferedAmount only reached ${maxBuffered}`,
      );
    } finally {
      clearTimeout(timer);
      await stop(server);
    }
  });

  test("one message bigger than maxBufferedAmount is still delivered (the cap is on what queues behind a write)", async () => {
    const { server, seen, connect } = await memoryServer(
      { maxMessageSize: 1024 * KiB, maxBufferedAmount: 256 * KiB },
      (s) => s.on("message", (data, conn) => conn.send(data)),
    );
    try {
      const client = connect();
      client.upgrade();
      await client.head();
      const big = new Uint8Array(1024 * KiB).fill(7);
      client.send(OP.Binary, big);
      const echo = await client.frame(3000);
      assert.equal(echo.payload.length, big.length);
      assert.deepEqual(seen.errors, []);
      assert.deepEqual(seen.closes, []);
    } finally {
      await stop(server);
    }
  });
});
