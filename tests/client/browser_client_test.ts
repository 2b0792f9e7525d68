// The bundled browser event client in headless Chromium, loaded by a page
// as `/anyws.js` from a real anyws Server (its `clientScript` option, its
// sessions and `conn.ask`), through a TCP proxy that can break the
// network: events, requests both ways, resume after a dropped connection
// (the server notices) and after one that vanished (it does not: a live
// takeover), and reconnect after the server is stopped and restarted on
// the same port, with the messages sent meanwhile delivered once and in
// order. Backoff is shortened; every wait is bounded.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { Server } from "../../src/server/server.ts";
import { HOST, waitFor } from "../_clients.ts";
import { TcpProxy } from "../_tcp_proxy.ts";

const CHROMIUM = "/usr/bin/chromium";
const WAIT = 10_000;
const TEST = { timeout: 30_000 };

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>anyws client test</title>
<script type="module">
  import * as anyws from "/anyws.js";
  window.anyws = anyws;
  window.ready = true;
</script>`;

/** What the page keeps on `window` for the test to read. */
interface PageState {
  log: string[];
  heard: unknown[];
}

describe("the browser event client in Chromium", () => {
  let browser: Browser;
  let page: Page;
  let server: Server;
  let proxy: TcpProxy;
  let said: unknown[] = [];
  let port = 0;
  const pageErrors: string[] = [];

  async function startServer(): Promise<void> {
    server = new Server({ hostname: HOST, port, clientScript: true });
    said = [];
    server.on("say", (data) => {
      said.push(data);
    });
    server.on("add", (data) => {
      const [a, b] = data as [number, number];
      return a + b;
    });
    server.on("enter", (room, conn) => {
      conn.join(room as string);
      return [...conn.rooms];
    });
    server.handleRequests(() =>
      new Response(PAGE, {
        headers: { "content-type": "text/html; charset=utf-8" },
      })
    );
    await server.listen();
    port = server.port;
  }

  function state(): Promise<PageState> {
    return page.evaluate(() => {
      const w = globalThis as unknown as { state: PageState };
      return { log: [...w.state.log], heard: [...w.state.heard] };
    });
  }

  function readyState(): Promise<number> {
    return page.evaluate(() =>
      (globalThis as unknown as { client: { readyState: number } }).client
        .readyState
    );
  }

  async function until(
    read: () => Promise<boolean>,
    label: string,
  ): Promise<void> {
    const deadline = Date.now() + WAIT;
    while (!(await read())) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out after ${WAIT} ms: ${label}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found: ${CHROMIUM} (install Debian's chromium package)`,
      );
    }
    await startServer();
    proxy = await TcpProxy.start(port);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
      ],
      timeout: 20_000,
    });
    page = await browser.newPage();
    page.setDefaultTimeout(WAIT);
    page.on("pageerror", (error) => pageErrors.push(error.message));
    // Everything goes through the proxy: the page, the script, the socket.
    await page.goto(`http://${HOST}:${proxy.port}/`);
    await page.waitForFunction(() =>
      (globalThis as unknown as { ready?: boolean }).ready === true
    );
    await page.evaluate(() => {
      // deno-lint-ignore no-explicit-any
      const w = globalThis as any;
      w.state = { log: [], heard: [] };
      const client = w.anyws.connect("/", {
        reconnect: { initialDelay: 50, maxDelay: 300, jitter: 0 },
      });
      w.client = client;
      client.on(
        "open",
        ({ id }: { id: string }) => w.state.log.push(`open ${id}`),
      );
      client.on(
        "resume",
        ({ id }: { id: string }) => w.state.log.push(`resume ${id}`),
      );
      client.on(
        "reconnected",
        ({ resumed }: { resumed: boolean }) =>
          w.state.log.push(`reconnected ${resumed}`),
      );
      client.on(
        "close",
        ({ code, reconnecting }: { code: number; reconnecting: boolean }) =>
          w.state.log.push(`close ${code} ${reconnecting}`),
      );
      client.on("news", (data: unknown) => w.state.heard.push(data));
      client.on(
        "confirm",
        (data: { q: string }) => `page says yes to ${data.q}`,
      );
    });
    await until(
      async () => (await readyState()) === 1,
      "the page's client opens",
    );
  }, TEST);

  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.stop({ timeout: 1000 });
  }, TEST);

  test("events and requests both ways", TEST, async () => {
    const sum = await page.evaluate(() =>
      (globalThis as unknown as {
        client: { request(e: string, d: unknown): Promise<unknown> };
      }).client
        .request("add", [20, 22])
    );
    assert.equal(sum, 42);
    server.emit("news", { headline: "hello page" });
    await until(
      async () => (await state()).heard.length === 1,
      "the page hears the event",
    );
    assert.deepEqual((await state()).heard, [{ headline: "hello page" }]);
    const id = await page.evaluate(() =>
      (globalThis as unknown as { client: { id: string } }).client.id
    );
    const conn = server.connections.get(id);
    assert.ok(conn, "the server knows the page's session by its id");
    assert.equal(
      await conn.ask("confirm", { q: "cookies" }),
      "page says yes to cookies",
    );
    assert.deepEqual(pageErrors, []);
  });

  for (const how of ["drop", "vanish"] as const) {
    test(
      `a connection that ${
        how === "drop" ? "dropped" : "vanished (a live takeover)"
      } resumes the same session`,
      TEST,
      async () => {
        const id = await page.evaluate(() =>
          (globalThis as unknown as { client: { id: string } }).client.id
        );
        assert.deepEqual(
          await page.evaluate(() =>
            (globalThis as unknown as {
              client: { request(e: string, d: unknown): Promise<unknown> };
            }).client
              .request("enter", "lobby")
          ),
          ["lobby"],
        );
        const before = server.connections.get(id);
        proxy[how]();
        await until(
          async () => (await state()).log.at(-1) === `resume ${id}`,
          "the page resumes",
        );
        const log = (await state()).log;
        assert.deepEqual(log.slice(-3), [
          "close 1006 true",
          "reconnected true",
          `resume ${id}`,
        ]);
        const after = server.connections.get(id)!;
        assert.notEqual(after, before);
        assert.deepEqual([...after.rooms], ["lobby"]);
        assert.equal(server.connections.size, 1);
      },
    );
  }

  test(
    "after a server restart on the same port it reconnects and delivers the queued messages once, in order",
    TEST,
    async () => {
      const oldPort = port;
      await server.stop({ timeout: 1000 });
      await until(async () => (await readyState()) === 0, "the page notices");
      await page.evaluate(() => {
        const client = (globalThis as unknown as {
          client: { emit(e: string, d: unknown): boolean };
        }).client;
        for (let i = 1; i <= 5; i++) client.emit("say", `queued ${i}`);
      });
      assert.equal(
        await page.evaluate(() =>
          (globalThis as unknown as { client: { queuedMessages: number } })
            .client.queuedMessages
        ),
        5,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await startServer();
      assert.equal(port, oldPort);
      await waitFor(
        () => said.length === 5,
        WAIT,
        "the queued messages arrive",
      );
      assert.deepEqual(said, [1, 2, 3, 4, 5].map((i) => `queued ${i}`));
      await until(async () => (await readyState()) === 1, "open again");
      const log = (await state()).log;
      assert.equal(log.at(-2), "reconnected false");
      assert.match(log.at(-1)!, /^open /);
      // Once: a later message is the only new one.
      await page.evaluate(() =>
        (globalThis as unknown as {
          client: { emit(e: string, d: unknown): boolean };
        }).client.emit("say", "after")
      );
      await waitFor(() => said.length === 6, WAIT, "the next message");
      assert.deepEqual(said.slice(5), ["after"]);
      assert.deepEqual(pageErrors, []);
    },
  );
});
