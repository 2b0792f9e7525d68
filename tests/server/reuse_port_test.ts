// The reusePort server option on this runtime's engine: two servers share
// one port (SO_REUSEPORT) and both serve; without it the second cannot
// bind. Deno needs --unstable-net for it (deno test runs without): the
// engine then rejects the listen with an error naming the flag, instead of
// Deno ending the process (exit code 70) as it does when asked directly.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Server } from "@anyws/anyws";
import { HOST, openClient } from "../_clients.ts";

const deno = (globalThis as { Deno?: { listenDatagram?: unknown } }).Deno;
const unstableNet = deno === undefined ||
  typeof deno.listenDatagram === "function";

function tagged(tag: string): Server {
  const server = new Server({ hostname: HOST, port: 0, reusePort: true });
  server.on("open", (_request, conn) => conn.send(tag));
  return server;
}

describe("reusePort", () => {
  test("without it, a second server cannot bind a port in use", async () => {
    const first = new Server({ hostname: HOST, port: 0 });
    await first.listen();
    try {
      const second = new Server({ hostname: HOST, port: first.port });
      await assert.rejects(second.listen());
    } finally {
      await first.stop();
    }
  });

  if (unstableNet) {
    test("two servers with reusePort share one port and both accept", async () => {
      const a = tagged("a");
      await a.listen();
      const b = new Server({ hostname: HOST, port: a.port, reusePort: true });
      b.on("open", (_request, conn) => conn.send("b"));
      await b.listen();
      try {
        // The kernel spreads by a hash of the 4-tuple: 32 connections all on
        // one of two listeners would happen once in 2^31 runs.
        const seen = new Set<string>();
        for (let i = 0; i < 32 && seen.size < 2; i++) {
          const client = await openClient(a.url);
          seen.add(String(await client.next()));
          await client.close();
        }
        assert.deepEqual([...seen].sort(), ["a", "b"]);
      } finally {
        await a.stop();
        await b.stop();
      }
    });
  } else {
    test("on Deno without --unstable-net the listen rejects with an error naming the flag", async () => {
      const server = tagged("a");
      await assert.rejects(server.listen(), /--unstable-net/);
    });
  }
});
