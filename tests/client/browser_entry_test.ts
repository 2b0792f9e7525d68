// The browser entry's `connect`: a URL relative to the page resolves
// against the page's address (ws: for http:, wss: for https:); without a
// page, URLs are taken as given.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../../src/client/browser.ts";
import { FakeNetwork, settle } from "../_fake_socket.ts";

async function urlFor(url: string, page: string | undefined): Promise<string> {
  const net = new FakeNetwork();
  const saved = Object.getOwnPropertyDescriptor(globalThis, "location");
  if (page !== undefined) {
    Object.defineProperty(globalThis, "location", {
      value: { href: page },
      configurable: true,
    });
  }
  try {
    const client = connect(url, { socket: net.factory });
    await settle();
    client.close();
    return net.latest.url;
  } finally {
    if (saved) Object.defineProperty(globalThis, "location", saved);
    else if (page !== undefined) {
      delete (globalThis as { location?: unknown }).location;
    }
  }
}

test("a path resolves against the page: wss: on an https: page, ws: on an http: page", async () => {
  assert.equal(
    await urlFor("/chat", "https://example.test/app/index.html"),
    "wss://example.test/chat?anyws=1",
  );
  assert.equal(
    await urlFor("feed", "http://127.0.0.1:8080/app/"),
    "ws://127.0.0.1:8080/app/feed?anyws=1",
  );
});

test("an absolute URL is kept as it is", async () => {
  assert.equal(
    await urlFor("ws://other.test/x", "https://example.test/"),
    "ws://other.test/x?anyws=1",
  );
});

/** Runs `body` with `globalThis.location` replaced by `descriptor`. */
function withLocation(descriptor: PropertyDescriptor, body: () => void): void {
  const saved = Object.getOwnPropertyDescriptor(globalThis, "location");
  Object.defineProperty(globalThis, "location", {
    ...descriptor,
    configurable: true,
  });
  try {
    body();
  } finally {
    if (saved) Object.defineProperty(globalThis, "location", saved);
    else delete (globalThis as { location?: unknown }).location;
  }
}

test("without a page a relative URL is refused with a clear error", () => {
  withLocation({ value: undefined }, () => {
    assert.throws(
      () => connect("/chat", { socket: new FakeNetwork().factory }),
      /Invalid URL: \/chat/,
    );
  });
});

test("a location getter that throws (a runtime without a page) counts as no page", () => {
  withLocation({
    get() {
      throw new ReferenceError("no location here");
    },
  }, () => {
    assert.throws(
      () => connect("/chat", { socket: new FakeNetwork().factory }),
      /Invalid URL: \/chat/,
    );
    const client = connect("ws://x.test/", {
      socket: new FakeNetwork().factory,
    });
    assert.equal(client.url, "ws://x.test/");
    client.close();
  });
});
