// server.metrics() and the exposition endpoint, on the runtime's own
// engine: each count moves with the traffic that should move it and with
// nothing else (connections, close codes, handshakes by status, plain HTTP,
// messages and bytes, the rate limit, backpressure, broadcasts,
// compression, custom counters); the endpoint's text passes a strict parser
// in both formats; readiness turns false during stop().

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import { type Connection, Server } from "@anyws/anyws";
import {
  delay,
  HOST,
  OP,
  RawClient,
  stopServer,
  waitFor,
} from "../_clients.ts";
import { parseExposition, sampleValue } from "../_prometheus_parser.ts";

const encoder = new TextEncoder();

/** Opens a raw client on `server` at `path` with `headers`. */
async function open(
  server: Server,
  path = "/",
  headers: Record<string, string> = {},
): Promise<RawClient> {
  const raw = await RawClient.connect(server.port);
  await raw.handshake(path, { headers });
  return raw;
}

/** A raw client's request refused with `status`; returns the response. */
async function refused(
  server: Server,
  request: string,
): Promise<{ status: number; body: string }> {
  const raw = await RawClient.connect(server.port);
  try {
    raw.write(request);
    return await raw.readResponse();
  } finally {
    raw.destroy();
  }
}

describe("server.metrics(): counts follow the traffic", () => {
  let server: Server;
  const rejections: unknown[] = [];
  let opened: Connection[] = [];

  before(async () => {
    server = new Server({
      hostname: HOST,
      port: 0,
      paths: ["/ws", "/room"],
      rateLimit: { messages: 3, interval: 60_000, action: "drop" },
    });
    server.on("open", (_request, conn) => opened.push(conn));
    server.on("message", (data, conn) => {
      if (data === "all") server.broadcast("to all");
      else if (data === "room") server.room("r").emit("in room");
      else conn.send(data);
    });
    server.on("rejected", (info) => rejections.push(info));
    server.on("error", () => {});
    await server.listen();
  });

  after(() => stopServer(server));

  test("a new server counts nothing and is not ready before listen()", () => {
    const fresh = new Server({ port: 0 }).metrics();
    assert.equal(fresh.ready, false);
    assert.deepEqual(fresh.connections, {
      open: 0,
      pending: 0,
      opened: 0,
      closed: {},
    });
    assert.deepEqual(fresh.messages, { received: 0, sent: 0, rateLimited: 0 });
    assert.equal(server.metrics().ready, true);
  });

  test("an echo: opened, messages and bytes both ways, the close code", async () => {
    const before = server.metrics();
    const raw = await open(server, "/ws");
    try {
      raw.sendFrame(OP.Text, "one");
      raw.sendFrame(OP.Binary, new Uint8Array(100));
      assert.equal(await raw.readText(), "one");
      assert.equal((await raw.readFrame()).payload.length, 100);
      const during = server.metrics();
      assert.equal(during.connections.open, before.connections.open + 1);
      assert.equal(during.connections.opened, before.connections.opened + 1);
      assert.equal(during.handshakes.accepted, before.handshakes.accepted + 1);
      assert.equal(during.messages.received, before.messages.received + 2);
      assert.equal(during.messages.sent, before.messages.sent + 2);
      // The request head, two masked frames (6 + 3 and 6 + 100 bytes) in;
      // the 101, two frames (2 + 3 and 2 + 100) out.
      assert.ok(during.bytes.received - before.bytes.received > 115);
      assert.ok(during.bytes.sent - before.bytes.sent > 107 + 100);
      raw.sendFrame(OP.Close, new Uint8Array([0x0f, 0xa0])); // 4000
      assert.equal((await raw.readUntilClose()).code, 4000);
      raw.end();
      await waitFor(
        () => server.metrics().connections.open === before.connections.open,
        2000,
        "the close",
      );
      assert.equal(server.metrics().connections.closed["4xxx"], 1);
    } finally {
      raw.destroy();
    }
  });

  test("refusals are counted by status and reported with the reason and address", async () => {
    rejections.length = 0;
    const before = server.metrics();
    const wrongPath = await refused(
      server,
      "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n\r\n",
    );
    assert.equal(wrongPath.status, 404);
    const foreign = await refused(
      server,
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\nOrigin: http://localhost:5173\r\n\r\n",
    );
    assert.equal(foreign.status, 403);
    const garbage = await refused(server, "NOT HTTP AT ALL\r\n\r\n");
    assert.equal(garbage.status, 400);
    const plain = await refused(server, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert.equal(plain.status, 426);
    const after = server.metrics();
    const delta = (status: string) =>
      (after.handshakes.rejected[status] ?? 0) -
      (before.handshakes.rejected[status] ?? 0);
    assert.equal(delta("404"), 1);
    assert.equal(delta("403"), 1);
    assert.equal(delta("400"), 1);
    assert.equal(
      (after.http.refused["426"] ?? 0) - (before.http.refused["426"] ?? 0),
      1,
    );
    assert.equal(after.handshakes.accepted, before.handshakes.accepted);
    const summary = rejections.map((info) => {
      const { status, cause, remoteAddress, upgrade, request } = info as {
        status: number;
        cause?: string;
        remoteAddress: string;
        upgrade: boolean;
        request?: { path: string };
      };
      return [status, cause, remoteAddress, upgrade, request?.path];
    });
    assert.deepEqual(summary, [
      [404, "paths", HOST, true, "/nope"],
      [403, "origins", HOST, true, "/ws"],
      [400, undefined, HOST, false, undefined],
      [426, undefined, HOST, false, "/"],
    ]);
  });

  test("a socket that leaves without a request is an abandoned handshake", async () => {
    const before = server.metrics().handshakes.abandoned;
    const raw = await RawClient.connect(server.port);
    raw.write("GET /ws HTTP/1.1\r\n");
    await waitFor(
      () => server.metrics().connections.pending > 0,
      2000,
      "pending",
    );
    raw.destroy();
    await waitFor(
      () => server.metrics().handshakes.abandoned === before + 1,
      2000,
      "abandoned",
    );
    assert.equal(server.metrics().connections.pending, 0);
  });

  test("messages over the rate limit are counted as received and rate-limited", async () => {
    const before = server.metrics().messages;
    const raw = await open(server, "/ws");
    try {
      for (let i = 0; i < 5; i++) raw.sendFrame(OP.Text, `m${i}`);
      for (let i = 0; i < 3; i++) assert.equal(await raw.readText(), `m${i}`);
      await waitFor(
        () => server.metrics().messages.received === before.received + 5,
        2000,
        "five messages",
      );
      const after = server.metrics().messages;
      assert.equal(after.rateLimited - before.rateLimited, 2);
      assert.equal(after.sent - before.sent, 3);
    } finally {
      raw.destroy();
    }
  });

  test("a broadcast counts once, with one delivery per receiver", async () => {
    opened = [];
    const a = await open(server, "/ws");
    const b = await open(server, "/room");
    try {
      await waitFor(() => opened.length === 2, 2000, "two opens");
      opened[1].join("r");
      const before = server.metrics();
      a.sendFrame(OP.Text, "all");
      assert.equal(await a.readText(), "to all");
      assert.equal(await b.readText(), "to all");
      a.sendFrame(OP.Text, "room");
      assert.equal(await b.readText(), '{"event":"in room"}');
      const after = server.metrics();
      assert.equal(after.broadcasts.sent - before.broadcasts.sent, 2);
      assert.equal(
        after.broadcasts.deliveries - before.broadcasts.deliveries,
        3,
      );
      assert.equal(after.messages.sent - before.messages.sent, 3);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  test("custom counters: the same object per name, in the snapshot and the text", () => {
    const publishes = server.counter("test_publishes", "Test publishes.");
    assert.equal(
      server.counter("test_publishes", "Test publishes."),
      publishes,
    );
    publishes.inc();
    publishes.value += 2;
    assert.equal(server.metrics().counters.test_publishes, 3);
    const families = parseExposition(server.metricsText());
    assert.equal(sampleValue(families, "anyws_test_publishes_total"), 3);
    assert.equal(
      families.get("anyws_test_publishes_total")?.help,
      "Test publishes.",
    );
    assert.throws(
      () => server.counter("Bad-Name", "x"),
      /Invalid counter name/,
    );
    assert.throws(
      () => server.counter("test_publishes", "Other help."),
      /exists with another help text/,
    );
  });
});

describe("server.metrics(): backpressure and compression", () => {
  test("a peer that does not read: paused reads, then a close for maxBufferedAmount", async () => {
    const big = new Uint8Array(256 * 1024);
    const server = new Server({
      hostname: HOST,
      port: 0,
      maxBufferedAmount: 2 * 1024 * 1024,
      drainThreshold: 64 * 1024,
      maxMessageSize: 1024 * 1024,
    });
    let conn: Connection | undefined;
    server.on("open", (_request, c) => conn = c);
    server.on("message", (_data, c) => c.send(big));
    server.on("error", () => {});
    await server.listen();
    const raw = await open(server);
    try {
      raw.pause();
      // Each small message asks for 256 KiB: the echo's reads pause once
      // the socket is full.
      for (let i = 0; i < 64; i++) raw.sendFrame(OP.Text, "more");
      await waitFor(
        () => server.metrics().backpressure.pauses >= 1,
        5000,
        "a backpressure pause",
      );
      // The gauge is the open connections' bufferedAmount, now.
      assert.equal(server.metrics().bytes.buffered, conn!.bufferedAmount);
      // Sends that do not come from its own reads pile up to the limit.
      for (let i = 0; i < 100 && conn!.readyState === 1; i++) {
        conn!.send(big);
        await delay(1);
      }
      await waitFor(
        () => server.metrics().backpressure.bufferLimitCloses === 1,
        5000,
        "the close for maxBufferedAmount",
      );
      await waitFor(
        () => server.metrics().connections.closed["1008"] === 1,
        5000,
        "1008 counted",
      );
    } finally {
      raw.destroy();
      await stopServer(server);
    }
  });

  test("permessage-deflate: bytes before and after compression, both ways", async () => {
    const server = new Server({ hostname: HOST, port: 0, deflate: true });
    server.on("message", (data, conn) => conn.send(data));
    await server.listen();
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake("/", {
        headers: { "Sec-WebSocket-Extensions": "permessage-deflate" },
      });
      const text = "compressible ".repeat(100);
      const out = deflateRawSync(encoder.encode(text), { finishFlush: 2 });
      raw.sendFrame(OP.Text, out.subarray(0, out.length - 4), { rsv: 4 });
      const echoed = await raw.readFrame();
      assert.equal(echoed.rsv, 4);
      const { compression } = server.metrics();
      assert.equal(compression.decompressedIn, out.length - 4);
      assert.equal(compression.decompressedOut, text.length);
      assert.equal(compression.compressedIn, text.length);
      assert.equal(compression.compressedOut, echoed.payload.length);
      assert.ok(compression.compressedOut < text.length / 5);
    } finally {
      raw.destroy();
      await stopServer(server);
    }
  });
});

describe("the metrics and readiness endpoints", () => {
  let server: Server;

  before(async () => {
    server = new Server({
      hostname: HOST,
      port: 0,
      metrics: "/metrics",
      readiness: "/readyz",
      request: () => new Response("app"),
    });
    server.on("message", (data, conn) => conn.send(data));
    await server.listen();
  });

  after(() => stopServer(server));

  const base = () => `http://${HOST}:${server.port}`;

  test("GET /metrics: the Prometheus text format, strictly parsed", async () => {
    const raw = await open(server);
    try {
      raw.sendFrame(OP.Text, "hi");
      await raw.readText();
      const response = await fetch(`${base()}/metrics`);
      assert.equal(response.status, 200);
      assert.equal(
        response.headers.get("content-type"),
        "text/plain; version=0.0.4; charset=utf-8",
      );
      const families = parseExposition(await response.text());
      for (
        const [name, type] of [
          ["anyws_connections_open", "gauge"],
          ["anyws_connections_pending", "gauge"],
          ["anyws_connections_opened_total", "counter"],
          ["anyws_connections_closed_total", "counter"],
          ["anyws_handshakes_total", "counter"],
          ["anyws_http_responses_total", "counter"],
          ["anyws_messages_received_total", "counter"],
          ["anyws_messages_sent_total", "counter"],
          ["anyws_messages_rate_limited_total", "counter"],
          ["anyws_received_bytes_total", "counter"],
          ["anyws_sent_bytes_total", "counter"],
          ["anyws_buffered_bytes", "gauge"],
          ["anyws_backpressure_pauses_total", "counter"],
          ["anyws_buffer_limit_closes_total", "counter"],
          ["anyws_broadcasts_total", "counter"],
          ["anyws_broadcast_deliveries_total", "counter"],
          ["anyws_deflate_input_bytes_total", "counter"],
          ["anyws_deflate_output_bytes_total", "counter"],
          ["anyws_inflate_input_bytes_total", "counter"],
          ["anyws_inflate_output_bytes_total", "counter"],
          ["anyws_ready", "gauge"],
        ]
      ) {
        assert.equal(families.get(name)?.type, type, name);
        assert.ok(families.get(name)?.help, `${name} has HELP`);
      }
      assert.equal(sampleValue(families, "anyws_connections_open"), 1);
      assert.equal(sampleValue(families, "anyws_messages_received_total"), 1);
      assert.equal(
        sampleValue(families, "anyws_handshakes_total", {
          outcome: "accepted",
        }),
        1,
      );
      assert.equal(sampleValue(families, "anyws_ready"), 1);
    } finally {
      raw.destroy();
    }
  });

  test("Accept: application/openmetrics-text gets OpenMetrics, # EOF last", async () => {
    const response = await fetch(`${base()}/metrics`, {
      headers: { Accept: "application/openmetrics-text; version=1.0.0" },
    });
    assert.equal(
      response.headers.get("content-type"),
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
    );
    const text = await response.text();
    assert.ok(text.endsWith("# EOF\n"));
    const families = parseExposition(text, "openmetrics");
    assert.equal(families.get("anyws_connections_opened")?.type, "counter");
    // The counter family has no _total; its sample does.
    assert.equal(
      families.get("anyws_connections_opened")?.samples[0].name,
      "anyws_connections_opened_total",
    );
    assert.equal(
      sampleValue(families, "anyws_connections_opened"),
      server.metrics().connections.opened,
    );
    assert.equal(sampleValue(families, "anyws_ready"), 1);
  });

  test("the endpoint's own scrapes count as served plain requests", async () => {
    await (await fetch(`${base()}/metrics`)).text();
    const families = parseExposition(
      await (await fetch(`${base()}/metrics`)).text(),
    );
    assert.ok(
      (sampleValue(families, "anyws_http_responses_total", {
        source: "handler",
        status: "200",
      }) ?? 0) >= 1,
    );
  });

  test("other paths and other methods still reach the request handler", async () => {
    assert.equal(await (await fetch(`${base()}/other`)).text(), "app");
    const post = await fetch(`${base()}/metrics`, { method: "POST" });
    assert.equal(await post.text(), "app");
  });

  test("the strict parser refuses what a scraper would", () => {
    const good = "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n";
    parseExposition(good);
    for (
      const bad of [
        good.slice(0, -1), // no final newline
        "a_total 1\n", // no TYPE
        '# TYPE a_total counter\na_total{x="1",x="2"} 1\n', // duplicate label
        "# TYPE a_total counter\na_total -1\n", // negative counter
        "# TYPE a counter\na 1\n", // counter not _total
        "# TYPE a_total counter\na_total 1\na_total 2\n", // same series
        "# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na 2\n", // split family
        '# TYPE a gauge\na{x="\\q"} 1\n', // bad escape
        "# TYPE a gauge\n\na 1\n", // empty line
      ]
    ) {
      assert.throws(() => parseExposition(bad), Error, JSON.stringify(bad));
    }
    assert.throws(() => parseExposition(good, "openmetrics"), /_total|EOF/);
  });

  test("/readyz is 200 while serving, 503 during stop()'s grace, while upgrades still open", async () => {
    const ready = await fetch(`${base()}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: "ready" });
    assert.equal(server.ready, true);
    const stopping = server.stop({ grace: 400, timeout: 1000 });
    try {
      const during = await fetch(`${base()}/readyz`);
      assert.equal(during.status, 503);
      assert.deepEqual(await during.json(), { status: "not ready" });
      assert.equal(server.ready, false);
      assert.equal(server.metrics().ready, false);
      // Still serving during the grace period: a load balancer is only
      // told to stop sending.
      const raw = await open(server);
      raw.sendFrame(OP.Text, "still here");
      assert.equal(await raw.readText(), "still here");
      raw.destroy();
    } finally {
      await stopping;
    }
    assert.equal(server.ready, false);
  });
});
