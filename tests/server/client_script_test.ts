// The browser event client served by the server (the clientScript option):
// GET and HEAD with the right type, an ETag and a Cache-Control, 304 to a
// matching If-None-Match, 405 to other methods, ahead of the application's
// request handler; and the checked-in bundle is what the build script
// makes of src/client/ today (it fails when the bundle is stale: run
// `node scripts/build_browser.ts --module`).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Server } from "../../src/server/server.ts";
import {
  BROWSER_CLIENT_ETAG,
  BROWSER_CLIENT_SCRIPT,
} from "../../src/server/browser_client_script.ts";
import {
  browserClientModule,
  bundleBrowserClient,
  bundleEtag,
} from "../../scripts/build_browser.ts";
import { HOST } from "../_clients.ts";

const MODULE = new URL(
  "../../src/server/browser_client_script.ts",
  import.meta.url,
);

describe("clientScript: the server serves the browser client", () => {
  let server: Server;
  let base: string;
  const handled: string[] = [];

  before(async () => {
    server = new Server({ hostname: HOST, port: 0, clientScript: true });
    // An application that answers every request: the script comes first.
    server.handleRequests((request) => {
      handled.push(new URL(request.url).pathname);
      return new Response("the application's", { status: 200 });
    });
    await server.listen();
    base = `http://${HOST}:${server.port}`;
  });

  after(async () => {
    await server.stop({ timeout: 500 });
  });

  test("GET /anyws.js: the module, text/javascript, an ETag, no-cache, any origin", async () => {
    const response = await fetch(`${base}/anyws.js`);
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get("content-type"),
      "text/javascript; charset=utf-8",
    );
    assert.equal(response.headers.get("etag"), BROWSER_CLIENT_ETAG);
    assert.equal(response.headers.get("cache-control"), "no-cache");
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    const body = await response.text();
    assert.equal(body, BROWSER_CLIENT_SCRIPT);
    assert.equal(
      Number(response.headers.get("content-length")),
      new TextEncoder().encode(body).length,
    );
    assert.deepEqual(handled, []);
  });

  test("HEAD: the same headers and no body", async () => {
    const response = await fetch(`${base}/anyws.js`, { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("etag"), BROWSER_CLIENT_ETAG);
    assert.equal(
      Number(response.headers.get("content-length")),
      new TextEncoder().encode(BROWSER_CLIENT_SCRIPT).length,
    );
    assert.equal(await response.text(), "");
  });

  test("If-None-Match naming the ETag (alone, weak, in a list, or *) gets 304; another gets the module", async () => {
    for (
      const field of [
        BROWSER_CLIENT_ETAG,
        `W/${BROWSER_CLIENT_ETAG}`,
        `"old", ${BROWSER_CLIENT_ETAG}`,
        "*",
      ]
    ) {
      const response = await fetch(`${base}/anyws.js`, {
        headers: { "If-None-Match": field },
      });
      assert.equal(response.status, 304, field);
      assert.equal(response.headers.get("etag"), BROWSER_CLIENT_ETAG);
      assert.equal(response.headers.get("cache-control"), "no-cache");
      assert.equal(await response.text(), "");
    }
    const stale = await fetch(`${base}/anyws.js`, {
      headers: { "If-None-Match": '"something-else"' },
    });
    assert.equal(stale.status, 200);
    assert.equal(await stale.text(), BROWSER_CLIENT_SCRIPT);
  });

  test("other methods get 405 with Allow; other paths go to the application", async () => {
    const post = await fetch(`${base}/anyws.js`, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await post.text();
    const other = await fetch(`${base}/anyws.js.map`);
    assert.equal(await other.text(), "the application's");
    assert.deepEqual(handled, ["/anyws.js.map"]);
  });

  test("a path of its own; off by default", async () => {
    const custom = new Server({
      hostname: HOST,
      port: 0,
      clientScript: "/static/ws.js",
    });
    const plain = new Server({ hostname: HOST, port: 0 });
    await custom.listen();
    await plain.listen();
    try {
      const served = await fetch(`http://${HOST}:${custom.port}/static/ws.js`);
      assert.equal(await served.text(), BROWSER_CLIENT_SCRIPT);
      const elsewhere = await fetch(`http://${HOST}:${custom.port}/anyws.js`);
      assert.equal(elsewhere.status, 426);
      await elsewhere.text();
      const off = await fetch(`http://${HOST}:${plain.port}/anyws.js`);
      assert.equal(off.status, 426);
      await off.text();
    } finally {
      await custom.stop({ timeout: 500 });
      await plain.stop({ timeout: 500 });
    }
  });
});

describe("the checked-in browser client", () => {
  test("is today's bundle of src/client/ (else run: node scripts/build_browser.ts --module)", async () => {
    const code = await bundleBrowserClient({ minify: true });
    assert.equal(
      BROWSER_CLIENT_SCRIPT === code,
      true,
      "src/server/browser_client_script.ts is stale: run `node scripts/build_browser.ts --module`",
    );
    assert.equal(BROWSER_CLIENT_ETAG, await bundleEtag(code));
    assert.equal(
      readFileSync(MODULE, "utf8"),
      await browserClientModule(code),
      "src/server/browser_client_script.ts was edited by hand",
    );
  });

  test("is one module with no import, exporting connect and EventClient", () => {
    assert.doesNotMatch(BROWSER_CLIENT_SCRIPT, /(^|[;}\s])import[\s{*"']/m);
    assert.match(BROWSER_CLIENT_SCRIPT, /export\s*\{[^}]*\bconnect\b/);
    assert.match(BROWSER_CLIENT_SCRIPT, /export\s*\{[^}]*\bEventClient\b/);
  });
});
