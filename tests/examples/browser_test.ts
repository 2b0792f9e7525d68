// The demo chat end to end in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core), against a server running in this test's own
// runtime: two pages in one room exchange messages and see each other's
// typing and presence; a page in another room sees none of it; after a
// server restart on the same port the pages reconnect by themselves; the
// assistant answers through a local stand-in for the chat-completions API;
// on a phone-sized page a nickname taken in the room is refused and every
// member of the room is in sight.
//
// ANYWS_SCREENSHOT=1 saves the chat as docs/chat.png (shown in the README)
// and the phone-sized page as docs/chat-390.png.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from "playwright-core";
import { Server } from "../../mod.ts";
import { register } from "../../examples/chat/app.ts";
import { ChatCompletionsStub } from "../_chat_stub.ts";
import { TcpProxy } from "../_tcp_proxy.ts";

const CHROMIUM = "/usr/bin/chromium";
const HOST = "127.0.0.1";
const WAIT = 10_000;
const TEST = { timeout: 30_000 };
const SCREENSHOT = fileURLToPath(
  new URL("../../docs/chat.png", import.meta.url),
);

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

describe("chat in a real browser", () => {
  let browser: Browser;
  let stub: ChatCompletionsStub;
  let server: Server;
  let port = 0;
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  let ada: Page;
  let bob: Page;
  let carol: Page;

  async function startServer(): Promise<Server> {
    const next = new Server({ hostname: HOST, port, clientScript: true });
    register(next, {
      assistant: {
        apiKey: "test-key",
        baseUrl: stub.baseUrl,
        model: "test-model",
      },
    });
    await next.listen();
    port = next.port;
    return next;
  }

  async function openPage(
    name: string,
    viewport = { width: 1100, height: 760 },
  ): Promise<Page> {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on("pageerror", (error) => errors.push(`${name}: ${error.message}`));
    page.on("console", (message) => {
      // Refused connections while the server is down are expected.
      if (
        message.type() === "error" &&
        !message.text().includes("ERR_CONNECTION_REFUSED")
      ) errors.push(`${name}: ${message.text()}`);
    });
    return page;
  }

  async function join(page: Page, nick: string, room: string): Promise<void> {
    await page.goto(`http://${HOST}:${port}/`);
    await login(page, nick, room);
  }

  async function login(page: Page, nick: string, room: string): Promise<void> {
    await page.fill("#nick", nick);
    await page.fill("#room", room);
    await page.click("#join");
    await page.locator('#status[data-state="connected"]').waitFor();
    await page.locator("#login").waitFor({ state: "hidden" });
  }

  function members(page: Page): Promise<string[]> {
    return page.locator('#members li:not([data-id="assistant"]) .who')
      .allTextContents();
  }

  function rooms(page: Page): Promise<string[]> {
    return page.locator("#rooms li").evaluateAll((items) =>
      items.map((item) =>
        `${item.getAttribute("data-room")} ${
          item.querySelector(".count")?.textContent
        }`
      )
    );
  }

  function message(page: Page, kind: string, text: string): Locator {
    return page.locator(`#messages li[data-kind="${kind}"]`, { hasText: text });
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.fill("#text", text);
    await page.press("#text", "Enter");
  }

  function typingLine(page: Page): Promise<string> {
    return page.locator("#typing").textContent().then((t) => t ?? "");
  }

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found: ${CHROMIUM} (npm run setup installs it: Debian's chromium package)`,
      );
    }
    stub = await ChatCompletionsStub.start();
    server = await startServer();
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
    ada = await openPage("ada");
    bob = await openPage("bob");
    carol = await openPage("carol");
  }, TEST);

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await server?.stop({ timeout: 1000 });
    await stub?.close();
  }, TEST);

  test(
    "two pages in one room see each other's presence, messages and typing",
    TEST,
    async () => {
      await join(ada, "ada", "lobby");
      await join(bob, "bob", "lobby");
      await until(() => members(ada), ["ada", "bob"], "ada sees bob");
      await until(() => members(bob), ["ada", "bob"], "bob sees ada");
      assert.equal(
        await ada.locator("#room-title").textContent(),
        "# lobby2 members",
      );

      await say(
        ada,
        "Hi bob! This chat runs on anyws: one WebSocket server for Deno, Bun and Node.",
      );
      await message(bob, "message", "Hi bob!").waitFor();
      assert.equal(
        await message(bob, "message", "Hi bob!").locator(".meta b")
          .textContent(),
        "ada",
      );
      // Each page marks its own messages.
      const mine = (page: Page) =>
        message(page, "message", "Hi bob!").evaluate((li) =>
          li.classList.contains("mine")
        );
      assert.equal(await mine(ada), true);
      assert.equal(await mine(bob), false);

      await bob.locator("#text").pressSequentially("Same code on", {
        delay: 10,
      });
      await until(
        () => typingLine(ada),
        "bob is typing",
        "ada sees bob typing",
      );
      await bob.locator("#text").pressSequentially(" all three runtimes?");
      await bob.press("#text", "Enter");
      await message(ada, "message", "Same code on all three runtimes?")
        .waitFor();
      await until(() => typingLine(ada), "", "bob's typing cleared");
      assert.equal(await typingLine(bob), "");

      // A private message, from the presence list.
      await bob.locator('#members li:has-text("ada")').hover();
      await bob.locator('#members li:has-text("ada") .pm').click();
      await say(bob, "Psst: private messages work too.");
      await message(ada, "private", "Psst").waitFor();
      assert.equal(
        await message(ada, "private", "Psst").locator(".label").textContent(),
        "private to you",
      );
      await message(bob, "private", "Psst").waitFor();
      await bob.click("#private-cancel");
    },
  );

  test("a page in another room sees none of it", TEST, async () => {
    await join(carol, "carol", "dev");
    await until(() => members(carol), ["carol"], "carol alone in dev");
    await until(
      () => rooms(carol),
      ["lobby 2", "dev 1", "random 0"],
      "carol sees the counts",
    );
    await until(
      () => rooms(ada),
      ["lobby 2", "dev 1", "random 0"],
      "ada sees the counts",
    );
    await bob.locator("#text").pressSequentially("still typing", {
      delay: 10,
    });
    await until(() => typingLine(ada), "bob is typing", "ada sees typing");
    await say(ada, "Lobby only");
    await message(bob, "message", "Lobby only").waitFor();
    // A round trip of carol's own: whatever the server sent her is in.
    await say(carol, "Anyone in dev?");
    await message(carol, "message", "Anyone in dev?").waitFor();
    const seen = await carol.locator("#messages").textContent();
    assert.doesNotMatch(seen ?? "", /Hi bob|Same code|Lobby only|Psst/);
    assert.equal(await typingLine(carol), "");
    assert.equal(await message(ada, "message", "Anyone in dev?").count(), 0);
    assert.equal(await message(bob, "message", "Anyone in dev?").count(), 0);
    await bob.fill("#text", "");
    await bob.locator("#text").dispatchEvent("input");
    await until(() => typingLine(ada), "", "bob stopped typing");
  });

  test(
    "after a server restart on the same port, the pages reconnect by themselves",
    TEST,
    async () => {
      const oldPort = port;
      await server.stop({ timeout: 1000 });
      for (const page of [ada, bob, carol]) {
        await page.locator('#status[data-state="reconnecting"]').waitFor();
      }
      assert.equal(await ada.locator("#send").isDisabled(), true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      server = await startServer();
      assert.equal(server.port, oldPort);
      for (const page of [ada, bob, carol]) {
        await page.locator('#status[data-state="connected"]').waitFor({
          timeout: 15_000,
        });
      }
      await until(
        () => members(ada).then((nicks) => nicks.sort()),
        ["ada", "bob"],
        "presence is back",
      );
      await until(() => members(carol), ["carol"], "carol back in dev");
      // Nothing was lost on the page, and messages flow again.
      await message(bob, "message", "Hi bob!").waitFor();
      await ada.locator('#messages li[data-kind="system"]', {
        hasText: "Reconnected",
      }).waitFor();
      await say(ada, "The server restarted and we are back, all by ourselves.");
      await message(bob, "message", "we are back").waitFor();
      assert.equal(await message(carol, "message", "we are back").count(), 0);
    },
  );

  test(
    "the assistant answers @assistant through the chat-completions stand-in",
    TEST,
    async () => {
      stub.requests.length = 0;
      stub.answer = () =>
        "1001 (Going Away): the endpoint is leaving, as when a server shuts down or a browser navigates away.";
      stub.hold();
      await say(
        ada,
        "@assistant which close code means the server is going away?",
      );
      await until(
        () => typingLine(bob),
        "assistant is typing",
        "bob sees the assistant working",
      );
      // Meanwhile the room goes on.
      await say(bob, "Let's see what it says.");
      await message(ada, "message", "Let's see").waitFor();
      await stub.received(1);
      stub.release();
      for (const page of [ada, bob]) {
        await message(page, "assistant", "1001 (Going Away)").waitFor();
      }
      await until(() => typingLine(bob), "", "assistant done");
      assert.equal(await message(carol, "assistant", "1001").count(), 0);
      const request = stub.requests[0];
      assert.equal(request.authorization, "Bearer test-key");
      assert.equal(request.body?.model, "test-model");
      assert.equal(
        request.body?.messages?.at(-1)?.content,
        "which close code means the server is going away?",
      );

      if (process.env.ANYWS_SCREENSHOT) {
        await bob.locator("#text").pressSequentially("Thanks", { delay: 10 });
        await until(() => typingLine(ada), "bob is typing", "for the picture");
        mkdirSync(new URL("../../docs/", import.meta.url), { recursive: true });
        await ada.screenshot({ path: SCREENSHOT, animations: "disabled" });
      }
      assert.deepEqual(errors, []);
    },
  );

  test(
    "on a phone (390 x 844): a nickname taken in the room is refused, on the login card or when switching rooms, and every member stays in sight",
    TEST,
    async () => {
      // carol is in dev; this page takes her nickname in the lobby.
      const phone = await openPage("phone", { width: 390, height: 844 });
      await phone.goto(`http://${HOST}:${port}/`);
      await phone.fill("#nick", "Ada");
      await phone.fill("#room", "lobby");
      await phone.click("#join");
      await until(
        () => phone.locator("#login-error").textContent(),
        "Nickname Ada is taken in #lobby",
        "the login card says the nickname is taken",
      );
      assert.equal(await phone.locator("#login").isVisible(), true);
      // (Since the restart, the order of ada and bob is the reconnects'.)
      const sorted = (page: Page) =>
        members(page).then((nicks) => nicks.sort());
      await until(() => sorted(ada), ["ada", "bob"], "ada saw no newcomer");

      await login(phone, "carol", "lobby");
      await until(
        () => sorted(phone),
        ["ada", "bob", "carol"],
        "the phone sees the room",
      );
      await until(
        () => sorted(ada),
        ["ada", "bob", "carol"],
        "ada sees the phone",
      );
      await say(phone, "Hello from a phone");
      await message(ada, "message", "Hello from a phone").waitFor();

      // Every member's entry is on screen and is what the page shows at its
      // centre (not scrolled out of the side panel nor covered), the page
      // does not scroll sideways, and the messages keep most of the height.
      const layout = await phone.evaluate(() => {
        const inSight = Array.from(
          document.querySelectorAll("#members li"),
          (item) => {
            const box = item.getBoundingClientRect();
            const x = box.left + box.width / 2;
            const y = box.top + box.height / 2;
            const seen = document.elementFromPoint(x, y)?.closest("li");
            return `${
              item.getAttribute("data-id") === "assistant"
                ? "assistant"
                : item.querySelector(".who")?.textContent
            } ${
              box.top >= 0 && box.bottom <= innerHeight && box.left >= 0 &&
              box.right <= innerWidth && seen === item
            }`;
          },
        );
        return {
          inSight,
          scrollWidth: document.documentElement.scrollWidth,
          messagesHeight: document.getElementById("messages")!
            .getBoundingClientRect().height,
        };
      });
      if (process.env.ANYWS_SCREENSHOT) {
        await phone.screenshot({
          path: SCREENSHOT.replace(/\.png$/, "-390.png"),
          animations: "disabled",
        });
      }
      assert.deepEqual(layout.inSight.sort(), [
        "ada true",
        "assistant true",
        "bob true",
        "carol true",
      ]);
      assert.equal(layout.scrollWidth, 390);
      assert.ok(layout.messagesHeight > 844 / 2, `${layout.messagesHeight}`);

      // The other carol is in dev: switching there is refused, and the page
      // stays in the lobby, its messages and members as they were.
      await phone.locator('#rooms li[data-room="dev"] button').click();
      await phone.locator('#messages li[data-kind="error"]', {
        hasText: "Nickname carol is taken in #dev",
      }).waitFor();
      assert.equal(
        await phone.locator("#room-title").textContent(),
        "# lobby3 members",
      );
      assert.equal(
        await phone.locator('#rooms li[data-room="lobby"]').getAttribute(
          "class",
        ),
        "current",
      );
      await message(phone, "message", "Hello from a phone").waitFor();
      await say(phone, "Still in the lobby");
      await message(ada, "message", "Still in the lobby").waitFor();
      assert.equal(await message(carol, "message", "Still in").count(), 0);

      await phone.context().close();
      await until(() => sorted(ada), ["ada", "bob"], "the phone left");
      assert.deepEqual(errors, []);
    },
  );

  test(
    "after a network drop the page resumes its session: same id, nickname and room, no login",
    TEST,
    async () => {
      // This page reaches the server through a proxy that can lose the
      // connection without the server noticing (a live takeover).
      const proxy = await TcpProxy.start(port);
      try {
        const dave = await openPage("dave");
        await dave.goto(`http://${HOST}:${proxy.port}/`);
        await login(dave, "dave", "ops");
        await until(() => members(dave), ["dave"], "dave in ops");
        const id = await dave.locator('#members li:has(.tag:text("you"))')
          .getAttribute("data-id");
        assert.ok(id !== null && server.connections.get(id) !== undefined);

        proxy.vanish();
        await dave.locator('#status[data-state="reconnecting"]').waitFor();
        await dave.locator('#status[data-state="connected"]').waitFor();
        await dave.locator('#messages li[data-kind="system"]', {
          hasText: "Reconnected",
        }).waitFor();
        assert.equal(await dave.locator("#login").isVisible(), false);
        await until(() => members(dave), ["dave"], "dave still in ops");
        assert.equal(
          await dave.locator('#members li:has(.tag:text("you"))')
            .getAttribute("data-id"),
          id,
        );
        const conn = server.connections.get(id!)!;
        assert.deepEqual([...conn.rooms], ["ops"]);
        assert.equal(conn.user, "dave");
        await say(dave, "Back after a drop");
        await message(dave, "message", "Back after a drop").waitFor();
        await dave.context().close();
        assert.deepEqual(errors, []);
      } finally {
        await proxy.close();
      }
    },
  );
});
