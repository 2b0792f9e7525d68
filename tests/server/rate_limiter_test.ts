import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { CloseInfo } from "../../src/driver/connection.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { TokenBucket } from "../../src/server/rate_limiter.ts";
import { Server } from "@anyws/anyws";
import type { ServerOptions } from "../../src/server/options.ts";
import { memoryEngine } from "../../engines/memory.ts";
import {
  encodeClientFrame,
  HOST,
  OP,
  openClient,
  startServer,
  stopServer,
  upgradeRequest,
  waitFor,
  withTimeout,
} from "../_clients.ts";

/** A clock the test moves by hand. */
function fakeClock(
  start = 1_000_000,
): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => time += ms };
}

function takeMany(bucket: TokenBucket, n: number): number {
  let taken = 0;
  for (let i = 0; i < n; i++) if (bucket.take()) taken++;
  return taken;
}

describe("TokenBucket", () => {
  test("allows exactly `capacity` messages at once, then refuses", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(3, 1000, clock.now);
    assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), false);
    assert.equal(bucket.take(), false);
  });

  test("refills continuously: capacity/interval tokens per ms", () => {
    const clock = fakeClock();
    // Powers of two keep the arithmetic exact: one token per 128 ms.
    const bucket = new TokenBucket(8, 1024, clock.now);
    assert.equal(takeMany(bucket, 8), 8);
    assert.equal(bucket.take(), false);
    clock.advance(127);
    assert.equal(bucket.take(), false);
    clock.advance(1);
    assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), false);
    clock.advance(3 * 128 + 20);
    assert.equal(takeMany(bucket, 10), 3);
  });

  test("never holds more than capacity, however long it idles", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(5, 1000, clock.now);
    assert.equal(takeMany(bucket, 5), 5);
    clock.advance(60_000);
    assert.equal(takeMany(bucket, 20), 5);
  });

  test("a steady rate at the limit is never refused", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(128, 1024, clock.now);
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      clock.advance(8); // exactly the allowed rate
      if (!bucket.take()) refused++;
    }
    assert.equal(refused, 0);
  });

  test("over a long run, a flood gets capacity per interval plus the initial burst", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(8, 1024, clock.now);
    let taken = 0;
    for (let ms = 0; ms < 5120; ms++) {
      clock.advance(1);
      taken += takeMany(bucket, 5);
    }
    // 8 at once, then one per 128 ms for 5120 ms.
    assert.equal(taken, 48);
  });

  test("reads the clock only when the bucket runs empty", () => {
    let reads = 0;
    const bucket = new TokenBucket(3, 1000, () => {
      reads++;
      return 0;
    });
    assert.equal(reads, 1); // the constructor's stamp
    takeMany(bucket, 3);
    assert.equal(reads, 1);
    bucket.take();
    assert.equal(reads, 2);
  });

  test("uses Date.now by default", () => {
    const bucket = new TokenBucket(1, 60_000);
    assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), false);
  });

  for (
    const [capacity, interval] of [[0, 1000], [10, 0], [-1, 1000], [
      Number.NaN,
      1000,
    ], [1, Number.NaN]]
  ) {
    test(`refuses ${capacity} messages per ${interval} ms with a RangeError`, () => {
      assert.throws(() => new TokenBucket(capacity, interval), {
        name: "RangeError",
        message: `Invalid rate limit: ${capacity} messages per ${interval} ms`,
      });
    });
  }
});

describe("Server: per-connection rate limit", () => {
  interface Seen {
    messages: string[];
    errors: unknown[];
    closes: CloseInfo[];
  }

  async function limitedServer(
    options: ServerOptions,
  ): Promise<{ server: Server; seen: Seen }> {
    const seen: Seen = { messages: [], errors: [], closes: [] };
    const server = await startServer(options, (server) => {
      server.on("message", (data) => seen.messages.push(data as string));
      server.on("error", (error) => seen.errors.push(error));
      server.on("close", (info) => seen.closes.push(info));
    });
    return { server, seen };
  }

  test('action "drop": messages over the limit are dropped with an error; the connection stays open', async () => {
    const { server, seen } = await limitedServer({
      rateLimit: { messages: 3, interval: 60_000, action: "drop" },
    });
    const client = await openClient(`ws://${HOST}:${server.port}/`);
    try {
      for (let i = 1; i <= 5; i++) client.ws.send(`m${i}`);
      await waitFor(() => seen.errors.length === 2, 2000, "two errors");
      assert.deepEqual(seen.messages, ["m1", "m2", "m3"]);
      for (const error of seen.errors) {
        assert.ok(error instanceof ProtocolError);
        assert.equal(error.code, 1008);
        assert.equal(
          error.message,
          "Rate limit exceeded: over 3 messages in 60000 ms",
        );
      }
      const [conn] = server.connections;
      assert.equal(conn.readyState, 1);
      assert.equal(conn.send("still here"), true);
      assert.equal(await client.next(), "still here");
      assert.deepEqual(seen.closes, []);
    } finally {
      await client.close();
      await stopServer(server);
    }
  });

  test('action "close" (the default action): the first message over the limit closes with 1008', async () => {
    const { server, seen } = await limitedServer({
      rateLimit: { messages: 3, interval: 60_000 },
    });
    const client = await openClient(`ws://${HOST}:${server.port}/`);
    try {
      for (let i = 1; i <= 6; i++) client.ws.send(`m${i}`);
      const closed = await withTimeout(client.closed, 2000, "client closed");
      assert.equal(closed.code, 1008);
      assert.equal(closed.reason, "Rate limit exceeded");
      await waitFor(() => seen.closes.length === 1, 2000, "server close");
      assert.equal(seen.closes[0].code, 1008);
      assert.deepEqual(seen.messages, ["m1", "m2", "m3"]);
      assert.equal(seen.errors.length, 1);
      assert.equal((seen.errors[0] as ProtocolError).code, 1008);
    } finally {
      await client.close();
      await stopServer(server);
    }
  });

  test("rateLimit: false lets any number of messages through", async () => {
    const { server, seen } = await limitedServer({ rateLimit: false });
    const client = await openClient(`ws://${HOST}:${server.port}/`);
    try {
      for (let i = 0; i < 2000; i++) client.ws.send(String(i));
      await waitFor(() => seen.messages.length === 2000, 5000, "all");
      assert.deepEqual(seen.errors, []);
    } finally {
      await client.close();
      await stopServer(server);
    }
  });

  test("by default, a burst of more than 10,000 messages closes the connection with 1008", async () => {
    const engine = memoryEngine();
    const server = new Server(engine, {
      hostname: HOST,
      port: 0,
      closeTimeout: 100,
    });
    let messages = 0;
    const errors: unknown[] = [];
    server.on("message", () => messages++);
    server.on("error", (error) => errors.push(error));
    await server.listen();
    try {
      const socket = engine.connect(server.port);
      const frame = encodeClientFrame(OP.Text, "x");
      const burst = new Uint8Array(frame.length * 20_000);
      for (let i = 0; i < 20_000; i++) burst.set(frame, i * frame.length);
      socket.write(new TextEncoder().encode(upgradeRequest("/")));
      socket.write(burst);
      await withTimeout(socket.closed, 3000, "dropped");
      // The bucket refills at 10 per ms while the burst is read: far from 10,000 more.
      assert.ok(messages >= 10_000 && messages < 20_000, String(messages));
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof ProtocolError);
      assert.equal(
        (errors[0] as ProtocolError).message,
        "Rate limit exceeded: over 10000 messages in 1000 ms",
      );
    } finally {
      await withTimeout(server.stop({ timeout: 100 }), 3000, "stop");
    }
  });
});
