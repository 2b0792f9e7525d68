// Read-side flow control (issue 12 §3): a peer that sends without reading
// meets TCP backpressure instead of server memory. The echo server runs in
// a process of its own so its RSS is measured alone; the peer is a raw TCP
// client that writes 200 messages of 1 MB and reads nothing, then reads.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { CloseInfo } from "../../src/driver/connection.ts";
import { Server } from "@anyws/anyws";
import {
  deferred,
  delay,
  encodeClientFrame,
  HOST,
  OP,
  RawClient,
  waitFor,
  withTimeout,
} from "../_clients.ts";
import { ServerProcess } from "../_hostile_helpers.ts";

const MiB = 1024 * 1024;
const MESSAGES = 200;
const SIZE = 1_000_000;

/** Message `i`: 1 MB, distinct per index (checked whole on the way back). */
function message(i: number): Uint8Array {
  const bytes = new Uint8Array(SIZE).fill(i % 251);
  new DataView(bytes.buffer).setUint32(0, i);
  new DataView(bytes.buffer).setUint32(SIZE - 4, i ^ 0x5a5a5a5a);
  return bytes;
}

/**
 * Writes the messages as fast as the socket takes them, waiting for
 * `drain` when it does not. `progress` is how many were handed over.
 */
function writer(raw: RawClient): {
  progress: () => number;
  done: Promise<void>;
} {
  let written = 0;
  const done = (async () => {
    for (let i = 0; i < MESSAGES; i++) {
      const frame = encodeClientFrame(OP.Binary, message(i));
      written = i + 1;
      if (!raw.socket.write(frame)) {
        await withTimeout(
          new Promise<void>((resolve) => raw.socket.once("drain", resolve)),
          60_000,
          `drain after message ${i}`,
        );
      }
    }
  })();
  return { progress: () => written, done };
}

/** Waits until `progress()` has not moved for `quietMs`; returns where it stopped. */
async function stall(progress: () => number, quietMs: number): Promise<number> {
  let last = -1;
  let since = Date.now();
  await waitFor(
    () => {
      const now = progress();
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since >= quietMs;
    },
    30_000,
    "the writer to stall",
  );
  return last;
}

for (
  const [label, maxBufferedAmount] of [
    ["default options", 16 * MiB],
    ["maxBufferedAmount raised to 512 MiB", 512 * MiB],
  ] as const
) {
  describe(`a peer that sends 200 x 1 MB to an echo handler and reads nothing (${label})`, () => {
    let child: ServerProcess;

    before(async () => {
      child = await ServerProcess.start("./_echo_server_process.ts", {
        ANYWS_MAX_BUFFERED_AMOUNT: String(maxBufferedAmount),
      });
    });

    after(() => child.stop());

    test(
      "its sends stall, server RSS grows by less than 64 MiB, then all 200 echoes arrive in order, intact, with no close",
      {
        timeout: 120_000,
      },
      async () => {
        const raw = await RawClient.connect(child.port);
        try {
          await raw.handshake("/");
          const { rss: baseline } = await child.command("rss") as {
            rss: number;
          };
          raw.pause();
          const send = writer(raw);
          const stalledAt = await stall(send.progress, 1000);
          assert.ok(
            stalledAt < MESSAGES,
            `the writer never stalled: all ${MESSAGES} messages were taken`,
          );
          const { peak, closes, errors } = await child.command("peak") as {
            peak: number;
            closes: number[];
            errors: string[];
          };
          const growth = peak - baseline;
          console.log(
            `  stalled after ${stalledAt} of ${MESSAGES} messages; server RSS ` +
              `${(baseline / MiB).toFixed(1)} -> ${
                (peak / MiB).toFixed(1)
              } MiB ` +
              `(+${(growth / MiB).toFixed(1)} MiB)`,
          );
          assert.ok(
            growth < 64 * MiB,
            `server RSS grew by ${(growth / MiB).toFixed(1)} MiB`,
          );
          assert.deepEqual(closes, []);
          assert.deepEqual(errors, []);
          raw.resume();
          for (let i = 0; i < MESSAGES; i++) {
            const frame = await raw.readFrame(60_000);
            assert.equal(frame.opcode, OP.Binary, `message ${i}`);
            assert.ok(
              Buffer.from(frame.payload).equals(message(i)),
              `echo ${i} differs from message ${i}`,
            );
          }
          await withTimeout(send.done, 10_000, "the writer");
          const final = await child.command("peak") as {
            closes: number[];
            errors: string[];
          };
          assert.deepEqual(final.closes, []);
          assert.deepEqual(final.errors, []);
        } finally {
          raw.destroy();
        }
      },
    );
  });
}

describe("flow control and broadcast", () => {
  test(
    "a broadcast receiver that reads nothing is not paused by others' traffic, and is closed at maxBufferedAmount",
    {
      timeout: 60_000,
    },
    async () => {
      const closed = deferred<CloseInfo>();
      const fromSlow: string[] = [];
      const server = new Server({
        hostname: HOST,
        port: 0,
        maxBufferedAmount: 4 * MiB,
        rateLimit: false,
      });
      server.on("message", (data, conn) => {
        if (conn.request.query.has("slow")) fromSlow.push(String(data));
        else server.broadcast(data);
      });
      server.on("close", (info, conn) => {
        if (conn.request.query.has("slow")) closed.resolve(info);
      });
      server.on("error", () => {});
      await server.listen();
      const sender = await RawClient.connect(server.port);
      const slow = await RawClient.connect(server.port);
      try {
        await sender.handshake("/");
        await slow.handshake("/?slow");
        slow.pause();
        sender.discard = true;
        const chunk = new Uint8Array(64 * 1024);
        // The slow receiver's buffer fills with the sender's broadcasts.
        for (let i = 0; i < 16; i++) {
          sender.sendFrame(OP.Binary, chunk);
        }
        await waitFor(
          () => sender.bytesReceived >= 16 * (64 * 1024 + 4),
          10_000,
          "the sender's own copies",
        );
        // The slow receiver is still read: its messages arrive.
        slow.sendFrame(OP.Text, "still read");
        await waitFor(
          () => fromSlow.includes("still read"),
          5000,
          "the slow receiver's message",
        );
        // Past maxBufferedAmount it is closed with 1008; the sender goes on.
        for (let i = 0; i < 200; i++) sender.sendFrame(OP.Binary, chunk);
        const info = await withTimeout(closed.promise, 20_000, "slow closed");
        assert.equal(info.code, 1008);
        sender.sendFrame(OP.Text, "after");
        await delay(50);
        assert.equal(server.connections.size, 1);
      } finally {
        sender.destroy();
        slow.destroy();
        await withTimeout(server.stop({ timeout: 500 }), 5000, "stop");
      }
    },
  );

  test("conn.pause() stops reading a connection until conn.resume()", async () => {
    const seen: string[] = [];
    const server = new Server({ hostname: HOST, port: 0 });
    server.on("message", (data, conn) => {
      seen.push(String(data));
      if (data === "pause") {
        conn.pause();
        setTimeout(() => conn.resume(), 200);
      }
    });
    await server.listen();
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake("/");
      raw.sendFrame(OP.Text, "pause");
      await waitFor(() => seen.length === 1, 2000, "first message");
      raw.sendFrame(OP.Text, "later");
      await delay(100);
      assert.deepEqual(seen, ["pause"], "read while paused");
      await waitFor(() => seen.length === 2, 2000, "after resume");
      assert.deepEqual(seen, ["pause", "later"]);
    } finally {
      raw.destroy();
      await withTimeout(server.stop({ timeout: 500 }), 5000, "stop");
    }
  });
});
