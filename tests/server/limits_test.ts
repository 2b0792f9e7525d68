// Every limit of the server with its documented default and the HTTP status
// or close code it produces, plus the handshake policy: authorize, Origin
// allowlist, subprotocol negotiation and paths. Runs on the runtime's own
// engine against raw sockets.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { CloseInfo, Connection } from "../../src/driver/connection.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import type { Server } from "@anyws/anyws";
import {
  type AuthorizeResult,
  DEFAULT_SERVER_OPTIONS,
  resolveServerOptions,
  type ServerOptions,
} from "../../src/server/options.ts";
import {
  closeBody,
  concat,
  delay,
  frame,
  type HttpResponseHead as ResponseHead,
  OP,
  RawClient,
  startServer,
  stopServer,
  upgradeHead,
  waitFor,
  withTimeout,
} from "../_hostile_helpers.ts";

const MiB = 1024 * 1024;

/** Sends `text` on a fresh connection; returns the response (with its body) once the server hung up. */
async function answer(
  port: number,
  text: string,
  options: { localAddress?: string } = {},
): Promise<ResponseHead & { body: string }> {
  const raw = await RawClient.connect(port, options);
  try {
    raw.write(text);
    const response = await raw.readResponse();
    if (response.status !== 101) await raw.waitGone();
    return response;
  } finally {
    raw.destroy();
  }
}

/** Opens a WebSocket over a raw client; throws unless 101. */
async function openRaw(
  port: number,
  path = "/",
  headers: readonly string[] = [],
  options: { localAddress?: string } = {},
): Promise<RawClient> {
  const raw = await RawClient.connect(port, options);
  try {
    await raw.handshake(path, { headers });
  } catch (error) {
    raw.destroy();
    throw error;
  }
  return raw;
}

/** Reads up to the close frame, answers it, and waits for the server to hang up. */
async function expectClose(
  raw: RawClient,
): Promise<{ code: number; reason: string; echoes: string[] }> {
  const close = await raw.readClose();
  raw.write(frame(OP.Close, closeBody(close.code)));
  await raw.waitGone();
  const decoder = new TextDecoder();
  return {
    code: close.code,
    reason: close.reason,
    echoes: close.before.map((f) => decoder.decode(f.payload)),
  };
}

/** An echo server recording close infos by `?tag=` and every error. */
async function echoServer(options: ServerOptions = {}): Promise<{
  server: Server;
  errors: unknown[];
  closed: (tag: string) => Promise<CloseInfo>;
}> {
  const errors: unknown[] = [];
  const closes = new Map<string, CloseInfo>();
  const waiters = new Map<string, (info: CloseInfo) => void>();
  const server = await startServer(options, (s) => {
    s.on("message", (data, conn) => conn.send(data));
    s.on("error", (error) => errors.push(error));
    s.on("close", (info, conn) => {
      const tag = conn.request.query.get("tag");
      if (tag === null) return;
      closes.set(tag, info);
      waiters.get(tag)?.(info);
    });
  });
  const closed = (tag: string): Promise<CloseInfo> => {
    const known = closes.get(tag);
    if (known) return Promise.resolve(known);
    return withTimeout(
      new Promise<CloseInfo>((resolve) => waiters.set(tag, resolve)),
      5000,
      `server close of ${tag}`,
    );
  };
  return { server, errors, closed };
}

/** An upgrade head padded (with an `X-Pad` header) to exactly `size` bytes. */
function headOfSize(size: number): string {
  const bare = upgradeHead("/", { extra: ["X-Pad: "] });
  return upgradeHead("/", {
    extra: [`X-Pad: ${"p".repeat(size - bare.length)}`],
  });
}

describe("limits: documented defaults", () => {
  test("every default is the documented value", () => {
    const d = DEFAULT_SERVER_OPTIONS;
    assert.equal(d.hostname, "0.0.0.0");
    assert.equal(d.port, 8080);
    assert.equal(d.maxMessageSize, 16 * MiB);
    assert.equal(d.maxFrameSize, 16 * MiB);
    assert.equal(d.maxHeadBytes, 16 * 1024);
    assert.equal(d.maxHeaderCount, 100);
    assert.equal(d.handshakeTimeout, 10_000);
    assert.equal(d.closeTimeout, 5_000);
    assert.equal(d.pingInterval, 30_000);
    assert.equal(d.idleTimeout, 60_000);
    assert.equal(d.maxBufferedAmount, 16 * MiB);
    assert.equal(d.drainThreshold, MiB);
    assert.equal(d.maxConnections, 50_000);
    assert.equal(d.maxConnectionsPerIp, 0);
    assert.equal(d.maxJsonSize, MiB);
    assert.equal(d.maxJsonDepth, 32);
    assert.equal(d.origins, "same-origin");
    assert.equal(d.requireOrigin, false);
    assert.equal(d.requireProtocol, false);
    assert.deepEqual(d.rateLimit, {
      messages: 10_000,
      interval: 1_000,
      action: "close",
    });
    assert.equal(Object.isFrozen(d), true);
  });

  test("maxFrameSize follows maxMessageSize unless given", () => {
    assert.equal(
      resolveServerOptions({ maxMessageSize: 1000 }).maxFrameSize,
      1000,
    );
    assert.equal(
      resolveServerOptions({ maxMessageSize: 1000, maxFrameSize: 10 })
        .maxFrameSize,
      10,
    );
  });

  test("invalid limits are refused with a UsageError naming the option and its range", () => {
    assert.throws(
      () => resolveServerOptions({ maxMessageSize: -1 }),
      {
        name: "UsageError",
        message:
          /^Invalid option maxMessageSize: -1 \(an integer from 1 to \d+\)$/,
      },
    );
    assert.throws(
      () => resolveServerOptions({ handshakeTimeout: 1.5 }),
      {
        name: "UsageError",
        message:
          /^Invalid option handshakeTimeout: 1\.5 \(an integer from 0 to \d+\)$/,
      },
    );
    assert.throws(
      () =>
        resolveServerOptions({ rateLimit: { messages: 0, interval: 1000 } }),
      { name: "UsageError", message: /^Invalid option rateLimit: / },
    );
  });
});

describe("limits: request head (defaults)", () => {
  let server: Server;
  before(async () => ({ server } = await echoServer()));
  after(() => stopServer(server));

  test("a head of exactly 16 KiB is accepted, 16 KiB + 1 gets 431", async () => {
    const ok = await answer(server.port, headOfSize(16 * 1024));
    assert.equal(ok.status, 101);
    const tooBig = await answer(server.port, headOfSize(16 * 1024 + 1));
    assert.equal(tooBig.status, 431);
    assert.equal(tooBig.body, "Request head too large: more than 16384 bytes");
  });

  test("100 header fields are accepted, 101 get 431", async () => {
    const fields = (n: number) =>
      upgradeHead("/", {
        extra: Array.from({ length: n - 5 }, (_, i) => `X-F${i}: ${i}`),
      });
    assert.equal((await answer(server.port, fields(100))).status, 101);
    const tooMany = await answer(server.port, fields(101));
    assert.equal(tooMany.status, 431);
    assert.equal(tooMany.body, "Too many header fields: more than 100");
  });
});

describe("limits: maxHeadBytes and maxHeaderCount", () => {
  let server: Server;
  before(async () => ({ server } = await echoServer({
    maxHeadBytes: 1024,
    maxHeaderCount: 10,
  })));
  after(() => stopServer(server));

  test("maxHeadBytes: 1024 accepts 1024 bytes and answers 1025 with 431", async () => {
    assert.equal((await answer(server.port, headOfSize(1024))).status, 101);
    const response = await answer(server.port, headOfSize(1025));
    assert.equal(response.status, 431);
    assert.equal(response.body, "Request head too large: more than 1024 bytes");
  });

  test("maxHeaderCount: 10 accepts 10 fields and answers 11 with 431", async () => {
    const fields = (n: number) =>
      upgradeHead("/", {
        extra: Array.from({ length: n - 5 }, (_, i) => `X-F${i}: ${i}`),
      });
    assert.equal((await answer(server.port, fields(10))).status, 101);
    const response = await answer(server.port, fields(11));
    assert.equal(response.status, 431);
    assert.equal(response.body, "Too many header fields: more than 10");
  });
});

describe("limits: handshakeTimeout", () => {
  let server: Server;
  before(
    async () => ({ server } = await echoServer({ handshakeTimeout: 500 })),
  );
  after(() => stopServer(server));

  /** Resolves with how long the server took to drop `raw`, which must get no byte. */
  const dropTime = async (raw: RawClient, started: number) => {
    await raw.waitGone(3000);
    assert.equal(raw.bytesReceived, 0, "dropped without a response");
    return Date.now() - started;
  };

  test("a silent connection, a stalled head and a head trickling forever are all dropped after 500 ms", async () => {
    const started = Date.now();
    const silent = await RawClient.connect(server.port);
    const stalled = await RawClient.connect(server.port);
    const trickle = await RawClient.connect(server.port);
    try {
      stalled.write(upgradeHead().slice(0, 60));
      const text = upgradeHead("/", { extra: [`X-Slow: ${"s".repeat(200)}`] });
      let i = 0;
      const timer = setInterval(() => {
        if (!trickle.isEnded && !trickle.isClosed) trickle.write(text[i++]);
      }, 50);
      try {
        const times = await Promise.all([
          dropTime(silent, started),
          dropTime(stalled, started),
          dropTime(trickle, started),
        ]);
        for (const ms of times) {
          assert.ok(ms >= 450 && ms < 2500, `dropped after ${ms} ms`);
        }
        assert.ok(i > 5 && i < text.length, `bytes trickled: ${i}`);
      } finally {
        clearInterval(timer);
      }
    } finally {
      silent.destroy();
      stalled.destroy();
      trickle.destroy();
    }
  });

  test("a connection upgraded in time outlives the handshake timeout", async () => {
    const raw = await openRaw(server.port);
    try {
      await delay(700);
      raw.write(frame(OP.Text, "still here"));
      assert.equal(await raw.readText(), "still here");
    } finally {
      raw.destroy();
    }
  });
});

describe("limits: maxMessageSize and maxFrameSize", () => {
  let ctx: Awaited<ReturnType<typeof echoServer>>;
  before(async () => {
    ctx = await echoServer({ maxMessageSize: 1000, maxFrameSize: 100 });
  });
  after(() => stopServer(ctx.server));

  test("a frame of maxFrameSize is echoed; one byte more is closed with 1009", async () => {
    const raw = await openRaw(ctx.server.port, "/?tag=frame");
    try {
      raw.write(frame(OP.Text, "f".repeat(100)));
      assert.equal(await raw.readText(), "f".repeat(100));
      raw.write(frame(OP.Text, "f".repeat(101)));
      const close = await expectClose(raw);
      assert.equal(close.code, 1009);
      assert.equal(close.reason, "Frame too big: 101 bytes, limit 100");
      raw.end();
      assert.equal((await ctx.closed("frame")).code, 1009);
    } finally {
      raw.destroy();
    }
  });

  test("ten fragments of 100 bytes (maxMessageSize) are one message; 1001 bytes are closed with 1009", async () => {
    const raw = await openRaw(ctx.server.port, "/?tag=message");
    try {
      const fragments = (sizes: number[]) =>
        concat(
          ...sizes.map((size, i) =>
            frame(i === 0 ? OP.Text : OP.Continuation, "m".repeat(size), {
              fin: i === sizes.length - 1,
            })
          ),
        );
      raw.write(fragments(Array(10).fill(100)));
      assert.equal(await raw.readText(), "m".repeat(1000));
      raw.write(fragments([...Array(10).fill(100), 1]));
      const close = await expectClose(raw);
      assert.equal(close.code, 1009);
      assert.equal(close.reason, "Message too big: 1001 bytes, limit 1000");
      raw.end();
      assert.equal((await ctx.closed("message")).code, 1009);
    } finally {
      raw.destroy();
    }
  });
});

describe("limits: maxConnections (503) and maxConnectionsPerIp (429)", () => {
  test("maxConnections: 2 answers a third handshake with 503 and Retry-After, handshakes included", async () => {
    const { server } = await echoServer({ maxConnections: 2 });
    const a = await openRaw(server.port);
    const idle = await RawClient.connect(server.port); // a handshake in progress
    try {
      const refused = await answer(server.port, upgradeHead());
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "5");
      idle.destroy();
      // Once the idle socket is released, there is room again.
      let status = 0;
      for (let i = 0; i < 50 && status !== 101; i++) {
        await delay(10);
        status = (await answer(server.port, upgradeHead())).status;
      }
      assert.equal(status, 101);
    } finally {
      a.destroy();
      idle.destroy();
      await stopServer(server);
    }
  });

  test("maxConnectionsPerIp: 2 answers a third from the same address with 429; another address connects", async () => {
    const { server } = await echoServer({ maxConnectionsPerIp: 2 });
    const a = await openRaw(server.port);
    const b = await openRaw(server.port);
    try {
      const refused = await answer(server.port, upgradeHead());
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get("retry-after"), "5");
      assert.equal(refused.body, "Too many connections from your address");
      const other = await answer(server.port, upgradeHead(), {
        localAddress: "127.0.0.2",
      });
      assert.equal(other.status, 101);
      b.destroy();
      await waitFor(() => server.connections.size === 1, 2000, "b released");
      await delay(20);
      assert.equal((await answer(server.port, upgradeHead())).status, 101);
    } finally {
      a.destroy();
      b.destroy();
      await stopServer(server);
    }
  });
});

describe("limits: per-connection rate limit", () => {
  test('action "close" (default): the message over the limit closes with 1008 and reports an error', async () => {
    const ctx = await echoServer({
      rateLimit: { messages: 5, interval: 60_000 },
    });
    const raw = await openRaw(ctx.server.port, "/?tag=rate");
    try {
      raw.write(
        concat(...Array.from({ length: 8 }, (_, i) => frame(OP.Text, `m${i}`))),
      );
      const close = await expectClose(raw);
      assert.deepEqual(close.echoes, ["m0", "m1", "m2", "m3", "m4"]);
      assert.equal(close.code, 1008);
      assert.equal(close.reason, "Rate limit exceeded");
      raw.end();
      assert.equal((await ctx.closed("rate")).code, 1008);
      const error = ctx.errors.find((e) => e instanceof ProtocolError);
      assert.ok(error instanceof ProtocolError);
      assert.equal(error.code, 1008);
      assert.equal(
        error.message,
        "Rate limit exceeded: over 5 messages in 60000 ms",
      );
    } finally {
      raw.destroy();
      await stopServer(ctx.server);
    }
  });

  test('action "drop": messages over the limit are dropped with an error event; the bucket refills', async () => {
    const ctx = await echoServer({
      rateLimit: { messages: 2, interval: 300, action: "drop" },
    });
    const raw = await openRaw(ctx.server.port);
    try {
      raw.write(
        concat(...Array.from({ length: 5 }, (_, i) => frame(OP.Text, `d${i}`))),
      );
      assert.equal(await raw.readText(), "d0");
      assert.equal(await raw.readText(), "d1");
      await waitFor(() => ctx.errors.length === 3, 2000, "3 errors");
      for (const error of ctx.errors) {
        assert.ok(error instanceof ProtocolError);
        assert.equal(error.code, 1008);
      }
      await delay(50);
      assert.equal(raw.buffered, 0, "dropped messages are not echoed");
      await delay(350);
      raw.write(frame(OP.Text, "refilled"));
      assert.equal(await raw.readText(), "refilled");
      assert.equal(ctx.server.connections.size, 1, "still open");
    } finally {
      raw.destroy();
      await stopServer(ctx.server);
    }
  });

  test("rateLimit: false lets 12,000 messages in one burst through (default would close)", async () => {
    const ctx = await echoServer({ rateLimit: false });
    const raw = await openRaw(ctx.server.port);
    try {
      const one = frame(OP.Text, "x");
      const burst = new Uint8Array(one.length * 12_000);
      for (let i = 0; i < 12_000; i++) burst.set(one, i * one.length);
      raw.write(burst);
      for (let i = 0; i < 12_000; i++) await raw.readFrame();
      assert.deepEqual(ctx.errors, []);
    } finally {
      raw.destroy();
      await stopServer(ctx.server);
    }
  });
});

describe("limits: maxBufferedAmount", () => {
  test("a peer that does not read is closed with 1008 once 256 KiB are queued, and its socket dropped", async () => {
    let conn: Connection | undefined;
    const ctx = await echoServer({ maxBufferedAmount: 256 * 1024 });
    ctx.server.on("open", (_request, c) => conn = c);
    const raw = await openRaw(ctx.server.port, "/?tag=slow");
    try {
      raw.socket.pause();
      await waitFor(() => conn !== undefined, 2000, "open");
      const chunk = new Uint8Array(32 * 1024);
      let sent = 0;
      while (conn!.readyState === 1 && sent < 10_000) {
        conn!.send(chunk);
        sent++;
        await delay(0);
      }
      const info = await ctx.closed("slow");
      assert.equal(info.code, 1008);
      assert.equal(info.wasClean, false);
      assert.match(
        info.reason,
        /^Send buffer limit exceeded: \d+ bytes queued$/,
      );
      const error = ctx.errors.find((e) => e instanceof ProtocolError);
      assert.ok(error instanceof ProtocolError);
      assert.equal(error.code, 1008);
      assert.ok(sent > 8, `messages sent before the cut: ${sent}`);
    } finally {
      raw.destroy();
      await stopServer(ctx.server);
    }
  });
});

describe("limits: JSON events", () => {
  let server: Server;
  let errors: unknown[];
  const calls: unknown[] = [];
  before(async () => {
    ({ server, errors } = await echoServer({
      maxJsonSize: 200,
      maxJsonDepth: 3,
    }));
    server.on("chat", (data) => {
      calls.push(data);
    });
  });
  after(() => stopServer(server));

  test("maxJsonSize: 200 routes 200 characters and drops 201 with an error event to both sides", async () => {
    const raw = await openRaw(server.port);
    try {
      const event = (size: number) => {
        const bare = '{"event":"chat","data":""}';
        return `{"event":"chat","data":"${"j".repeat(size - bare.length)}"}`;
      };
      raw.write(frame(OP.Text, event(200)));
      raw.write(frame(OP.Text, event(201)));
      assert.equal(
        await raw.readText(),
        '{"event":"error","data":{"message":"JSON event too large: over 200 characters"}}',
      );
      assert.equal(calls.length, 1);
      assert.equal((calls[0] as string).length, 200 - 26);
      const error = errors.at(-1);
      assert.ok(error instanceof ProtocolError);
      assert.equal(error.code, 1008);
      // Text that is not a JSON object is not limited: it is a message.
      raw.write(frame(OP.Text, "t".repeat(1000)));
      assert.equal(await raw.readText(), "t".repeat(1000));
    } finally {
      calls.length = 0;
      raw.destroy();
    }
  });

  test("maxJsonDepth: 3 routes depth 3 and drops depth 4 with an error event", async () => {
    const raw = await openRaw(server.port);
    try {
      raw.write(frame(OP.Text, '{"event":"chat","data":[[1]]}'));
      raw.write(frame(OP.Text, '{"event":"chat","data":[[[1]]]}'));
      // Brackets inside strings do not count.
      raw.write(frame(OP.Text, '{"event":"chat","data":["[[[[[[["]}'));
      assert.equal(
        await raw.readText(),
        '{"event":"error","data":{"message":"JSON event too deep: over 3 levels"}}',
      );
      await waitFor(() => calls.length === 2, 2000, "two routed");
      assert.deepEqual(calls, [[[1]], ["[[[[[[["]]);
    } finally {
      calls.length = 0;
      raw.destroy();
    }
  });
});

describe("limits: heartbeat, idleTimeout and closeTimeout", () => {
  test("a peer that never answers pings is pinged, then closed (1011) after idleTimeout", async () => {
    const ctx = await echoServer({ pingInterval: 100, idleTimeout: 400 });
    const raw = await openRaw(ctx.server.port, "/?tag=idle");
    const started = Date.now();
    try {
      const ping = await raw.readFrame(2000);
      assert.equal(ping.opcode, OP.Ping);
      const info = await ctx.closed("idle");
      const elapsed = Date.now() - started;
      assert.equal(info.code, 1011);
      assert.equal(info.wasClean, false);
      assert.ok(elapsed >= 350 && elapsed < 3000, `closed after ${elapsed} ms`);
      await raw.waitGone();
    } finally {
      raw.destroy();
      await stopServer(ctx.server);
    }
  });

  test("a peer that answers pings stays open past idleTimeout", async () => {
    const ctx = await echoServer({ pingInterval: 100, idleTimeout: 400 });
    const raw = await openRaw(ctx.server.port);
    try {
      const until = Date.now() + 800;
      while (Date.now() < until) {
        const ping = await raw.readFrame(2000);
        assert.equal(ping.opcode, OP.Ping);
        raw.write(frame(OP.Pong, ping.payload));
      }
      raw.write(frame(OP.Text, "alive"));
      let reply = await raw.readFrame();
      while (reply.opcode === OP.Ping) reply = await raw.readFrame();
      assert.equal(new TextDecoder().decode(reply.payload), "alive");
    } finally {
      raw.destroy();
      await stopServer(ctx.server);
    }
  });

  test("closeTimeout: a peer that never answers the server's close is dropped after 300 ms", async () => {
    const ctx = await echoServer({ closeTimeout: 300 });
    ctx.server.on("open", (_request, conn) => conn.close(4000, "bye"));
    const raw = await openRaw(ctx.server.port, "/?tag=close");
    try {
      const close = await raw.readClose();
      const started = Date.now();
      assert.equal(close.code, 4000);
      assert.equal(close.reason, "bye");
      await raw.waitGone(3000);
      const elapsed = Date.now() - started;
      assert.ok(
        elapsed >= 200 && elapsed < 2500,
        `dropped after ${elapsed} ms`,
      );
      const info = await ctx.closed("close");
      assert.equal(info.code, 1006);
      assert.equal(info.wasClean, false);
    } finally {
      raw.destroy();
      await stopServer(ctx.server);
    }
  });
});

describe("handshake policy: authorize", () => {
  let server: Server;
  let errors: unknown[];
  const opened: Connection[] = [];
  const seen: Array<{ remoteAddress: string; protocols: string[] }> = [];
  before(async () => {
    ({ server, errors } = await echoServer({
      maxMessageSize: 1000,
      authorize: (
        request,
        { remoteAddress, upgrade },
      ): AuthorizeResult | Promise<AuthorizeResult> => {
        seen.push({ remoteAddress, protocols: upgrade.protocols });
        switch (request.query.get("case")) {
          case "data":
            return {
              accept: true,
              user: "ada",
              data: { role: "admin" },
              headers: { "X-Welcome": "yes" },
            };
          case "async":
            return delay(20).then(() => true);
          case "reject":
            return {
              accept: false,
              status: 401,
              body: "Invalid token",
              headers: { "WWW-Authenticate": "Bearer" },
            };
          case "forbidden":
            return { accept: false, status: 403 };
          case "false":
            return false;
          case "throw":
            throw new Error("Database down: secret details");
          case "async-throw":
            return Promise.reject(new Error("Async failure: secret details"));
          case "protocol":
            return { accept: true, protocol: "b" };
          case "slow":
            return delay(100).then(() => true);
          default: {
            // A token in the query string: ws://host/?token=…
            const ok = request.query.get("token") === "s3cret";
            return ok ? { accept: true, user: "token-user" } : false;
          }
        }
      },
    }));
    server.on("open", (_request, conn) => opened.push(conn));
  });
  after(() => stopServer(server));

  test("a sync accept sets conn.data and conn.user and adds its headers to the 101", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      const response = await raw.handshake("/?case=data");
      assert.equal(response.headers.get("x-welcome"), "yes");
      await waitFor(() => opened.length === 1, 2000, "open");
      const conn = opened.pop()!;
      assert.deepEqual(conn.data, { role: "admin" });
      assert.equal(conn.user, "ada");
      assert.equal(server.user("ada").size, 1);
      assert.deepEqual(seen.at(-1), {
        remoteAddress: "127.0.0.1",
        protocols: [],
      });
    } finally {
      raw.destroy();
    }
  });

  test("an async accept upgrades", async () => {
    const raw = await openRaw(server.port, "/?case=async");
    try {
      raw.write(frame(OP.Text, "after async"));
      assert.equal(await raw.readText(), "after async");
    } finally {
      opened.length = 0;
      raw.destroy();
    }
  });

  test("a reject answers its status, body and headers", async () => {
    const response = await answer(server.port, upgradeHead("/?case=reject"));
    assert.equal(response.status, 401);
    assert.equal(response.body, "Invalid token");
    assert.equal(response.headers.get("www-authenticate"), "Bearer");
    const forbidden = await answer(
      server.port,
      upgradeHead("/?case=forbidden"),
    );
    assert.equal(forbidden.status, 403);
    const no = await answer(server.port, upgradeHead("/?case=false"));
    assert.equal(no.status, 401);
  });

  test("a hook that throws or rejects answers 500, reports an error and leaks nothing", async () => {
    for (const name of ["throw", "async-throw"]) {
      const before = errors.length;
      const response = await answer(server.port, upgradeHead(`/?case=${name}`));
      assert.equal(response.status, 500, name);
      assert.doesNotMatch(response.body, /secret/);
      await waitFor(() => errors.length === before + 1, 2000, "error event");
      assert.match(String(errors.at(-1)), /secret details/);
    }
  });

  test("a token in the query string is checked", async () => {
    const ok = await openRaw(server.port, "/?token=s3cret");
    ok.destroy();
    await waitFor(() => opened.length === 1, 2000, "open");
    assert.equal(opened.pop()!.user, "token-user");
    const wrong = await answer(server.port, upgradeHead("/?token=guess"));
    assert.equal(wrong.status, 401);
    const none = await answer(server.port, upgradeHead("/"));
    assert.equal(none.status, 401);
  });

  test("frames pipelined behind the head wait for a slow authorize, then are processed in order", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      const response = await raw.handshake("/?case=slow", {
        extra: concat(
          frame(OP.Text, "early 1"),
          frame(OP.Ping, "early ping"),
          frame(OP.Text, "early 2"),
        ),
      });
      assert.equal(response.status, 101);
      const frames = [
        await raw.readFrame(),
        await raw.readFrame(),
        await raw.readFrame(),
      ];
      const decoder = new TextDecoder();
      assert.deepEqual(
        frames.filter((f) => f.opcode === OP.Text).map((f) =>
          decoder.decode(f.payload)
        ),
        ["early 1", "early 2"],
      );
      assert.deepEqual(
        frames.filter((f) => f.opcode === OP.Pong).map((f) =>
          decoder.decode(f.payload)
        ),
        ["early ping"],
      );
    } finally {
      opened.length = 0;
      raw.destroy();
    }
  });

  test("more than maxFrameSize + 14 bytes pipelined during authorize drop the socket", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      raw.write(upgradeHead("/?case=slow"));
      raw.write(new Uint8Array(1015).fill(0x81));
      await raw.waitGone();
      assert.equal(raw.bytesReceived, 0, "no response");
    } finally {
      raw.destroy();
    }
    await delay(150); // the authorize call resolves after the drop
    assert.equal(opened.length, 0);
  });

  test("authorize may choose the subprotocol among the offers", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      const response = await raw.handshake("/?case=protocol", {
        headers: ["Sec-WebSocket-Protocol: a, b"],
      });
      assert.equal(response.headers.get("sec-websocket-protocol"), "b");
      assert.deepEqual(seen.at(-1)?.protocols, ["a", "b"]);
    } finally {
      opened.length = 0;
      raw.destroy();
    }
  });
});

describe("handshake policy: Origin allowlist", () => {
  const servers: Server[] = [];
  const serve = async (options: ServerOptions) => {
    const { server } = await echoServer(options);
    servers.push(server);
    return server.port;
  };
  const withOrigin = (origin?: string, host = "127.0.0.1") =>
    upgradeHead("/", {
      omit: ["host"],
      extra: [`Host: ${host}`, ...(origin ? [`Origin: ${origin}`] : [])],
    });
  after(async () => {
    for (const server of servers) await stopServer(server);
  });

  test("exact origins: listed ones connect (case-insensitively), others get 403", async () => {
    const port = await serve({ origins: ["https://app.example"] });
    assert.equal(
      (await answer(port, withOrigin("https://app.example"))).status,
      101,
    );
    assert.equal(
      (await answer(port, withOrigin("HTTPS://APP.EXAMPLE"))).status,
      101,
    );
    const refused = await answer(port, withOrigin("https://evil.example"));
    assert.equal(refused.status, 403);
    assert.equal(refused.body, "Origin not allowed");
    assert.equal(
      (await answer(port, withOrigin("https://app.example.evil.net"))).status,
      403,
    );
  });

  test("RegExp origins match the whole Origin as written", async () => {
    const port = await serve({ origins: [/^https:\/\/[a-z]+\.example\.com$/] });
    assert.equal(
      (await answer(port, withOrigin("https://chat.example.com"))).status,
      101,
    );
    assert.equal(
      (await answer(port, withOrigin("https://chat.example.com.evil.net")))
        .status,
      403,
    );
    assert.equal(
      (await answer(port, withOrigin("http://chat.example.com"))).status,
      403,
    );
  });

  test("same-origin (default): the Origin must name the Host the client asked for", async () => {
    const port = await serve({});
    const host = `127.0.0.1:${port}`;
    assert.equal(
      (await answer(port, withOrigin(`http://${host}`, host))).status,
      101,
    );
    assert.equal(
      (await answer(port, withOrigin("http://127.0.0.1:1", host))).status,
      403,
    );
    assert.equal(
      (await answer(port, withOrigin(`http://localhost:${port}`, host))).status,
      403,
    );
  });

  test("no Origin (a non-browser client) connects unless requireOrigin", async () => {
    const open = await serve({});
    assert.equal((await answer(open, withOrigin())).status, 101);
    const strict = await serve({ requireOrigin: true, origins: "*" });
    assert.equal((await answer(strict, withOrigin())).status, 403);
    assert.equal(
      (await answer(strict, withOrigin("https://any.example"))).status,
      101,
    );
  });
});

describe("handshake policy: subprotocols and paths", () => {
  const servers: Server[] = [];
  let errors: unknown[] = [];
  const serve = async (options: ServerOptions) => {
    const ctx = await echoServer(options);
    servers.push(ctx.server);
    errors = ctx.errors;
    return ctx.server.port;
  };
  const offering = (offer: string, path = "/") =>
    upgradeHead(path, { extra: [`Sec-WebSocket-Protocol: ${offer}`] });
  after(async () => {
    for (const server of servers) await stopServer(server);
  });

  test("the first of the client's offers that the server supports wins", async () => {
    const port = await serve({ protocols: ["b", "a"] });
    const response = await answer(port, offering("c, a, b"));
    assert.equal(response.status, 101);
    assert.equal(response.headers.get("sec-websocket-protocol"), "a");
  });

  test("no match: 101 without a Sec-WebSocket-Protocol header", async () => {
    const port = await serve({ protocols: ["b", "a"] });
    const response = await answer(port, offering("c"));
    assert.equal(response.status, 101);
    assert.equal(response.headers.has("sec-websocket-protocol"), false);
  });

  test("a select function chooses, and conn.protocol reports the choice", async () => {
    let protocol = "";
    const port = await serve({
      protocols: (offered) => offered.find((p) => p.startsWith("v2.")),
    });
    servers.at(-1)!.on("open", (_request, conn) => protocol = conn.protocol);
    const response = await answer(port, offering("v1.chat, v2.chat"));
    assert.equal(response.headers.get("sec-websocket-protocol"), "v2.chat");
    await waitFor(() => protocol !== "", 2000, "open");
    assert.equal(protocol, "v2.chat");
  });

  test("a select function choosing what the client did not offer is a 500 and an error", async () => {
    const port = await serve({ protocols: () => "not-offered" });
    const response = await answer(port, offering("a"));
    assert.equal(response.status, 500);
    await waitFor(() => errors.length === 1, 2000, "error event");
    assert.match(
      String(errors[0]),
      /chose the subprotocol "not-offered", which the client did not offer/,
    );
  });

  test("requireProtocol answers 400 when nothing matches", async () => {
    const port = await serve({ protocols: ["chat"], requireProtocol: true });
    const refused = await answer(port, offering("other"));
    assert.equal(refused.status, 400);
    assert.equal(refused.body, "No supported subprotocol");
    assert.equal((await answer(port, upgradeHead())).status, 400);
    assert.equal((await answer(port, offering("chat"))).status, 101);
  });

  test("paths: other paths get 404; the query is not part of the path", async () => {
    const port = await serve({ paths: ["/ws"] });
    assert.equal((await answer(port, upgradeHead("/ws"))).status, 101);
    assert.equal((await answer(port, upgradeHead("/ws?room=1"))).status, 101);
    const other = await answer(port, upgradeHead("/other"));
    assert.equal(other.status, 404);
    assert.equal((await answer(port, upgradeHead("/ws/"))).status, 404);
    assert.equal((await answer(port, upgradeHead("/"))).status, 404);
  });
});
