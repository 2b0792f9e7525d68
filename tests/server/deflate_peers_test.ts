// permessage-deflate against real peers, in both memory modes: `ws` (its
// default client offer), the runtime's own WebSocket client, python-websockets
// with context takeover against dedicated mode, and Chromium (which offers
// it on every connection). Messages of every size round-trip intact.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import WebSocketClient from "ws";
import { Server } from "@anyws/anyws";
import { HOST, runPython, withTimeout } from "../_clients.ts";

const CHROMIUM = "/usr/bin/chromium";
const SIZES = [5, 1500, 20_000, 200_000];

/** A message of `size` characters that compresses but is not trivial. */
function message(size: number, seed: number): string {
  let out = "";
  let n = seed;
  while (out.length < size) {
    n = (n * 1103515245 + 12345) >>> 0;
    out += `{"user":"u${n % 97}","text":"hello ${n % 1000}"},`;
  }
  return out.slice(0, size);
}

const servers: Record<"shared" | "dedicated", Server> = {} as never;

before(async () => {
  for (const mode of ["shared", "dedicated"] as const) {
    const server = new Server({
      hostname: HOST,
      port: 0,
      deflate: { mode },
      maxMessageSize: 1024 * 1024,
      origins: "*",
    });
    server.on("message", (data, conn) => conn.send(data));
    server.on("error", (error) => console.error(error));
    await server.listen();
    servers[mode] = server;
  }
});

after(async () => {
  for (const server of Object.values(servers)) {
    await withTimeout(server.stop({ timeout: 500 }), 5000, "stop");
  }
});

/** Sends each message and awaits its echo, in order, over `send`/`next`. */
async function roundTrips(
  send: (text: string) => void,
  next: () => Promise<string>,
): Promise<void> {
  for (let i = 0; i < SIZES.length; i++) {
    for (let repeat = 0; repeat < 3; repeat++) {
      const text = message(SIZES[i], i * 10 + repeat);
      send(text);
      assert.equal(await next(), text, `size ${SIZES[i]}, repeat ${repeat}`);
    }
  }
}

for (const mode of ["shared", "dedicated"] as const) {
  describe(`permessage-deflate, ${mode} mode`, () => {
    test("ws (perMessageDeflate on): agreed, messages of every size echo intact", async () => {
      const ws = new WebSocketClient(`ws://${HOST}:${servers[mode].port}/`, {
        perMessageDeflate: true,
      });
      const queue: string[] = [];
      const waiters: Array<(text: string) => void> = [];
      ws.on("message", (data: WebSocketClient.RawData, binary: boolean) => {
        const text = binary ? "" : data.toString();
        const waiter = waiters.shift();
        if (waiter) waiter(text);
        else queue.push(text);
      });
      await withTimeout(
        new Promise((resolve, reject) => {
          ws.once("open", resolve);
          ws.once("error", reject);
        }),
        5000,
        "ws open",
      );
      try {
        // ws reports the names only; the parameters are checked with raw
        // handshakes and python-websockets.
        assert.equal(ws.extensions, "permessage-deflate");
        await roundTrips(
          (text) => ws.send(text),
          () =>
            withTimeout(
              queue.length > 0
                ? Promise.resolve(queue.shift()!)
                : new Promise<string>((resolve) => waiters.push(resolve)),
              5000,
              "ws echo",
            ),
        );
      } finally {
        ws.close();
      }
    });

    test("the runtime's own WebSocket: whatever it negotiates, messages echo intact", async () => {
      const ws = new WebSocket(`ws://${HOST}:${servers[mode].port}/`);
      const queue: string[] = [];
      const waiters: Array<(text: string) => void> = [];
      ws.addEventListener("message", (event) => {
        const waiter = waiters.shift();
        if (waiter) waiter(String(event.data));
        else queue.push(String(event.data));
      });
      await withTimeout(
        new Promise((resolve, reject) => {
          ws.addEventListener("open", resolve);
          ws.addEventListener("error", reject);
        }),
        5000,
        "WebSocket open",
      );
      try {
        await roundTrips(
          (text) => ws.send(text),
          () =>
            withTimeout(
              queue.length > 0
                ? Promise.resolve(queue.shift()!)
                : new Promise<string>((resolve) => waiters.push(resolve)),
              5000,
              "WebSocket echo",
            ),
        );
      } finally {
        ws.close();
      }
    });
  });
}

describe("permessage-deflate, dedicated mode, python-websockets", () => {
  test("context takeover on both sides: agreed as offered, and many messages in a row echo intact", async () => {
    const [report] = await runPython({
      uri: `ws://${HOST}:${servers.dedicated.port}/`,
      deflate: { client_max_window_bits: true },
      steps: [
        { op: "extensions" },
        ...Array.from(
          { length: 20 },
          (_, i) => ({
            op: "echo" as const,
            kind: "text" as const,
            size: 100 + i * 500,
          }),
        ),
        { op: "close", code: 1000 },
      ],
    });
    assert.equal(report.connect_error, undefined);
    const [agreed, ...echoes] = report.results;
    const extension = agreed.extensions![0];
    assert.equal(extension.name, "permessage-deflate");
    // Neither side resets its context between messages.
    assert.equal(extension.remote_no_context_takeover, false);
    assert.equal(extension.local_no_context_takeover, false);
    for (const echo of echoes.slice(0, 20)) assert.equal(echo.ok, true);
  });
});

describe("permessage-deflate in Chromium", () => {
  test(
    "Chromium's offer is agreed in both modes and messages of every size echo intact",
    {
      timeout: 60_000,
    },
    async () => {
      assert.ok(existsSync(CHROMIUM), `Chromium not found: ${CHROMIUM}`);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
        timeout: 20_000,
      });
      try {
        const page = await browser.newPage();
        for (const mode of ["shared", "dedicated"] as const) {
          const result = await page.evaluate(
            async ({ url, messages }) => {
              const ws = new WebSocket(url);
              await new Promise((resolve, reject) => {
                ws.onopen = resolve;
                ws.onerror = reject;
              });
              const echoes: string[] = [];
              for (const text of messages) {
                const echo = new Promise<string>((resolve) => {
                  ws.onmessage = (event) => resolve(String(event.data));
                });
                ws.send(text);
                echoes.push(await echo);
              }
              const extensions = ws.extensions;
              ws.close();
              return {
                extensions,
                same: echoes.every((e, i) => e === messages[i]),
              };
            },
            {
              url: `ws://${HOST}:${servers[mode].port}/`,
              messages: SIZES.map((size, i) => message(size, i)),
            },
          );
          assert.match(result.extensions, /^permessage-deflate/, mode);
          assert.equal(result.same, true, mode);
        }
      } finally {
        await browser.close();
      }
    },
  );
});
