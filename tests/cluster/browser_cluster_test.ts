// The demo chat on two nodes, in headless Chromium: two `anyws start
// --redis` processes (this test's runtime) on one private redis-server, a
// page on each, both in one room. Each page sees the other's presence,
// messages and typing; a private message crosses the nodes; the room
// counts are the cluster's; when one page leaves, the other's presence
// follows.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from "playwright-core";
import { RedisServer } from "../_redis.ts";
import { killAll, Spawned } from "../_cli_process.ts";

const CHROMIUM = "/usr/bin/chromium";
const WAIT = 15_000;
const TEST = { timeout: 90_000 };
const START =
  /^anyws listening on ws:\/\/127\.0\.0\.1:(\d+) \(open http:\/\/127\.0\.0\.1:\d+\/\)$/;

/** Polls `read` until it returns `expected` (deep equality), at most `ms`. */
async function until<T>(
  read: () => Promise<T>,
  expected: T,
  label: string,
  ms = WAIT,
): Promise<void> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    try {
      assert.deepEqual(last, expected);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  assert.deepEqual(last, expected, `Timed out after ${ms} ms: ${label}`);
}

describe("the demo chat on two nodes in a real browser", () => {
  let redis: RedisServer;
  let browser: Browser;
  const ports: number[] = [];
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];

  async function openPage(name: string, port: number): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1100, height: 760 },
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on("pageerror", (error) => errors.push(`${name}: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`${name}: ${message.text()}`);
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    return page;
  }

  async function login(page: Page, nick: string, room: string): Promise<void> {
    await page.fill("#nick", nick);
    await page.fill("#room", room);
    await page.click("#join");
    await page.locator('#status[data-state="connected"]').waitFor();
    await page.locator("#login").waitFor({ state: "hidden" });
  }

  const members = (page: Page) =>
    page.locator('#members li:not([data-id="assistant"]) .who')
      .allTextContents().then((nicks) => nicks.sort());
  const rooms = (page: Page) =>
    page.locator("#rooms li").evaluateAll((items) =>
      items.map((item) =>
        `${item.getAttribute("data-room")} ${
          item.querySelector(".count")?.textContent
        }`
      )
    );
  const message = (page: Page, kind: string, text: string): Locator =>
    page.locator(`#messages li[data-kind="${kind}"]`, { hasText: text });
  const typingLine = (page: Page) =>
    page.locator("#typing").textContent().then((t) => t ?? "");
  const say = async (page: Page, text: string) => {
    await page.fill("#text", text);
    await page.press("#text", "Enter");
  };

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found: ${CHROMIUM}`);
    }
    redis = await RedisServer.start();
    for (let i = 0; i < 2; i++) {
      const cli = Spawned.cli([
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--redis",
        redis.url,
        "--quiet",
      ], { env: { OPENAI_API_KEY: "" } });
      ports.push(Number((await cli.line(START, 60_000))[1]));
    }
    browser = await chromium.launch({
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
  }, TEST);

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await killAll();
    await redis?.stop();
  }, TEST);

  test(
    "two pages on two nodes in one room see each other's presence, messages and typing",
    TEST,
    async () => {
      // Two different nodes of one cluster.
      const health = await Promise.all(
        ports.map((port) =>
          fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.json())
        ),
      );
      assert.notEqual(health[0].node, health[1].node);
      await until(
        () =>
          fetch(`http://127.0.0.1:${ports[0]}/healthz`).then((r) => r.json())
            .then((h) => h.nodes),
        2,
        "the nodes meet",
      );

      const ada = await openPage("ada", ports[0]);
      const bob = await openPage("bob", ports[1]);
      await login(ada, "ada", "lobby");
      await login(bob, "bob", "lobby");
      await until(() => members(ada), ["ada", "bob"], "ada sees bob");
      await until(() => members(bob), ["ada", "bob"], "bob sees ada");
      await until(
        () => rooms(ada),
        ["lobby 2", "dev 0", "random 0"],
        "cluster-wide counts",
      );
      await until(
        () => rooms(bob),
        ["lobby 2", "dev 0", "random 0"],
        "the same counts on the other node",
      );

      await say(ada, "Hello from node one");
      await message(bob, "message", "Hello from node one").waitFor();
      await say(bob, "Hello back from node two");
      await message(ada, "message", "Hello back from node two").waitFor();
      await message(ada, "system", "bob joined #lobby").waitFor();

      await bob.locator("#text").pressSequentially("typing on two", {
        delay: 10,
      });
      await until(() => typingLine(ada), "bob is typing", "ada sees typing");
      assert.equal(await typingLine(bob), "");
      await bob.fill("#text", "");
      await bob.locator("#text").dispatchEvent("input");
      await until(() => typingLine(ada), "", "bob stopped typing");

      // A private message to a person on the other node.
      await ada.locator('#members li:has-text("bob")').hover();
      await ada.locator('#members li:has-text("bob") .pm').click();
      await say(ada, "Psst across nodes");
      await message(bob, "private", "Psst across nodes").waitFor();
      await message(ada, "private", "Psst across nodes").waitFor();
      await ada.click("#private-cancel");

      // Bob closes his page: ada's presence and counts follow.
      await bob.close();
      await until(() => members(ada), ["ada"], "ada alone");
      await until(
        () => rooms(ada),
        ["lobby 1", "dev 0", "random 0"],
        "counts after bob left",
      );
      assert.deepEqual(errors, []);
    },
  );
});
