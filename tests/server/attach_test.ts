// Attaching to an HTTP server that owns the port: server.attach(httpServer)
// and server.handleUpgrade(request, socket, head) with node:http,
// node:https (a self-signed certificate made by openssl) and Express, on
// the runtime that runs this file: Node's own node:http, and the node:http
// compatibility layers of Deno and Bun, which deliver the 'upgrade' socket
// too. Every check of a port of our own applies (paths, Origin, authorize,
// subprotocols, connection and rate limits, message size, backpressure);
// upgrades that are not ours are left to the other 'upgrade' listeners;
// plain requests stay the HTTP server's; stop() detaches.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { type Connection, type RejectInfo, Server } from "@anyws/anyws";
import {
  closePayload,
  delay,
  HOST,
  OP,
  RawClient,
  SAMPLE_ACCEPT,
  stopServer,
  waitFor,
  withTimeout,
} from "../_clients.ts";
import { runProcess } from "../_hostile_helpers.ts";

const UPGRADE = [
  "Upgrade: websocket",
  "Connection: Upgrade",
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version: 13",
];

/** Listens on 127.0.0.1 and a free port; returns the port. */
async function listen(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: HttpServer): Promise<void> {
  server.closeAllConnections?.();
  await withTimeout(
    new Promise<void>((resolve) => server.close(() => resolve())),
    5000,
    "http server close",
  );
}

/** The runtime's own WebSocket client: opens, sends `text`, returns the echo and closes. */
async function echoWithWebSocket(url: string, text: string): Promise<string> {
  const ws = new WebSocket(url);
  try {
    return await withTimeout(
      new Promise<string>((resolve, reject) => {
        ws.onopen = () => ws.send(text);
        ws.onmessage = (event) => resolve(String(event.data));
        ws.onerror = () => reject(new Error(`WebSocket error on ${url}`));
      }),
      5000,
      `echo on ${url}`,
    );
  } finally {
    ws.close(1000);
  }
}

describe("attach(node:http server): every check of an anyws port applies", () => {
  let http: HttpServer;
  let port: number;
  let server: Server;
  const rejections: RejectInfo[] = [];
  const users: Array<string | undefined> = [];
  let last: Connection | undefined;

  before(async () => {
    http = createServer((_request, response) => {
      response.end("plain from node:http");
    });
    port = await listen(http);
    server = new Server({
      protocols: ["chat.v1"],
      maxMessageSize: 1000,
      maxConnectionsPerIp: 3,
      maxBufferedAmount: 256 * 1024,
      rateLimit: { messages: 20, interval: 60_000 },
      authorize: (request) => {
        const token = request.query.get("token");
        if (token === "bad") return { accept: false, status: 401 };
        return { accept: true, user: token ?? undefined };
      },
    });
    server.on("open", (_request, conn) => {
      last = conn;
      users.push(conn.user);
    });
    server.on("message", (data, conn) => conn.send(data));
    server.on("rejected", (info) => rejections.push(info));
    server.on("error", () => {});
    server.attach(http, { path: "/ws" });
  });

  after(async () => {
    await stopServer(server);
    await close(http);
  });

  test("the runtime's WebSocket echoes through the attached path; plain requests stay the HTTP server's", async () => {
    assert.equal(server.ready, true);
    assert.equal(
      await echoWithWebSocket(`ws://${HOST}:${port}/ws`, "attached"),
      "attached",
    );
    const response = await fetch(`http://${HOST}:${port}/ws`);
    assert.equal(await response.text(), "plain from node:http");
  });

  test("the 101 is ours (accept key, subprotocol) and frames in the same packet as the head are read", async () => {
    const raw = await RawClient.connect(port);
    try {
      const frame = new Uint8Array([
        0x81,
        0x82,
        1,
        2,
        3,
        4,
        0x69 ^ 1,
        0x21 ^ 2,
      ]);
      const response = await raw.handshake("/ws?token=ada", {
        headers: { "Sec-WebSocket-Protocol": "chat.v1" },
        extra: frame,
      });
      assert.equal(response.headers.get("sec-websocket-accept"), SAMPLE_ACCEPT);
      assert.equal(response.headers.get("sec-websocket-protocol"), "chat.v1");
      assert.equal(await raw.readText(), "i!");
      assert.equal(users.at(-1), "ada");
      assert.equal(last?.remoteAddress, HOST);
    } finally {
      raw.destroy();
    }
  });

  test("a foreign Origin gets 403 and authorize's refusal 401, reported with the address", async () => {
    rejections.length = 0;
    for (
      const [path, headers, status] of [
        ["/ws", { Origin: "http://localhost:5173" }, 403],
        ["/ws?token=bad", {}, 401],
      ] as const
    ) {
      const raw = await RawClient.connect(port);
      try {
        const response = await raw.handshake(path, {
          headers,
          expect101: false,
        });
        assert.equal(response.status, status);
        await raw.ended;
      } finally {
        raw.destroy();
      }
    }
    assert.deepEqual(
      rejections.map((r) => [r.status, r.cause, r.remoteAddress, r.upgrade]),
      [[403, "origins", HOST, true], [401, "authorize", HOST, true]],
    );
  });

  test("maxConnectionsPerIp counts attached connections: the 4th gets 429", async () => {
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const raw = await RawClient.connect(port);
        clients.push(raw);
        await raw.handshake("/ws");
      }
      const fourth = await RawClient.connect(port);
      clients.push(fourth);
      const response = await fourth.handshake("/ws", { expect101: false });
      assert.equal(response.status, 429);
    } finally {
      for (const raw of clients) raw.destroy();
    }
    await waitFor(
      () => server.connections.size === 0,
      2000,
      "connections released",
    );
  });

  test("maxMessageSize closes with 1009 and the rate limit with 1008", async () => {
    const big = await RawClient.connect(port);
    try {
      await big.handshake("/ws");
      big.sendFrame(OP.Text, "x".repeat(1001));
      assert.equal((await big.readUntilClose()).code, 1009);
    } finally {
      big.destroy();
    }
    const chatty = await RawClient.connect(port);
    try {
      await chatty.handshake("/ws");
      for (let i = 0; i < 25; i++) chatty.sendFrame(OP.Text, "m");
      const close = await chatty.readUntilClose();
      assert.equal(close.code, 1008);
      assert.equal(close.before.length, 20);
    } finally {
      chatty.destroy();
    }
  });

  test("a peer that does not read is closed with 1008 at maxBufferedAmount", async () => {
    const raw = await RawClient.connect(port);
    try {
      await raw.handshake("/ws");
      raw.pause();
      await waitFor(() => last?.readyState === 1, 2000, "open");
      const conn = last!;
      // As on a port of our own (limits_test): send until the cap is hit,
      // whatever the kernel's socket buffers absorb first.
      const chunk = new Uint8Array(32 * 1024);
      for (let i = 0; i < 10_000 && conn.readyState === 1; i++) {
        conn.send(chunk);
        await delay(0);
      }
      await waitFor(() => conn.readyState === 3, 5000, "closed");
      assert.equal(server.metrics().backpressure.bufferLimitCloses, 1);
    } finally {
      raw.destroy();
    }
  });
});

describe("attach(): read-side backpressure on an adopted socket", () => {
  test("a peer that asks for more than it reads stops being read (paused), then resumes", async () => {
    const http = createServer();
    const port = await listen(http);
    const big = new Uint8Array(256 * 1024);
    const server = new Server({ drainThreshold: 64 * 1024 });
    let asked = 0;
    server.on("message", (_data, conn) => {
      asked++;
      conn.send(big);
    });
    server.attach(http);
    try {
      const raw = await RawClient.connect(port);
      await raw.handshake("/");
      raw.discard = true;
      raw.pause();
      for (let i = 0; i < 40; i++) raw.sendFrame(OP.Text, "more");
      await waitFor(
        () => server.metrics().backpressure.pauses >= 1,
        5000,
        "a pause",
      );
      // Paused: requests sent from now on wait in the kernel, unread.
      const before = asked;
      for (let i = 0; i < 20; i++) {
        raw.sendFrame(OP.Text, "more");
        await delay(5);
      }
      await delay(100);
      assert.equal(asked, before, "requests read while paused");
      raw.resume();
      await waitFor(() => asked === 60, 10_000, "every request read");
      raw.destroy();
    } finally {
      await stopServer(server);
      await close(http);
    }
  });
});

describe("attach(): upgrades that are not ours", () => {
  test("another 'upgrade' listener keeps its paths; with none, a foreign path gets 404", async () => {
    const http = createServer();
    const port = await listen(http);
    const server = new Server();
    server.on("message", (data, conn) => conn.send(data));
    const rejections: RejectInfo[] = [];
    server.on("rejected", (info) => rejections.push(info));
    const detach = server.attach(http, { path: ["/ws"] });
    const other = (request: { url?: string }, socket: Socket) => {
      if (request.url !== "/other") return;
      // An 'upgrade' listener owns the socket: its errors too.
      socket.on("error", () => {});
      socket.end("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n");
    };
    http.on("upgrade", other);
    try {
      const teapot = await RawClient.connect(port);
      const response = await teapot.handshake("/other", { expect101: false });
      assert.equal(response.status, 418);
      teapot.destroy();
      const ours = await RawClient.connect(port);
      await ours.handshake("/ws");
      ours.sendFrame(OP.Text, "still ours");
      assert.equal(await ours.readText(), "still ours");
      ours.destroy();
      assert.equal(rejections.length, 0);
      // Alone now: a foreign path would hang, so it is refused.
      http.off("upgrade", other);
      const nobody = await RawClient.connect(port);
      const refused = await nobody.handshake("/other", { expect101: false });
      assert.equal(refused.status, 404);
      await nobody.ended;
      nobody.destroy();
      assert.deepEqual(
        rejections.map((r) => [r.status, r.cause, r.request?.path]),
        [[404, "attach", "/other"]],
      );
      assert.deepEqual(server.metrics().handshakes.rejected, { "404": 1 });
      detach();
      assert.equal(http.listenerCount("upgrade"), 0);
    } finally {
      await stopServer(server);
      await close(http);
    }
  });

  test("handleUpgrade(): the application decides, anyws answers whatever it is given", async () => {
    const http = createServer();
    const port = await listen(http);
    const server = new Server({ paths: ["/manual"] });
    server.on("message", (data, conn) => conn.send(`manual: ${data}`));
    http.on("upgrade", (request, socket, head) => {
      if (request.url?.startsWith("/manual") || request.url === "/refused") {
        server.handleUpgrade(request, socket, head);
      } else socket.destroy();
    });
    try {
      const raw = await RawClient.connect(port);
      await raw.handshake("/manual");
      raw.sendFrame(OP.Text, "hi");
      assert.equal(await raw.readText(), "manual: hi");
      raw.destroy();
      // Given to the server, a path outside `paths` is its 404.
      const refused = await RawClient.connect(port);
      const response = await refused.handshake("/refused", {
        expect101: false,
      });
      assert.equal(response.status, 404);
      refused.destroy();
    } finally {
      await stopServer(server);
      await close(http);
    }
  });

  test("stop() detaches, closes attached connections with 1001, and leaves the HTTP server serving", async () => {
    const http = createServer((_request, response) => response.end("alive"));
    const port = await listen(http);
    const server = new Server();
    server.attach(http);
    try {
      const raw = await RawClient.connect(port);
      await raw.handshake("/");
      const stopping = server.stop({ timeout: 1000 });
      assert.equal((await raw.readUntilClose()).code, 1001);
      raw.sendFrame(OP.Close, closePayload(1001));
      raw.end();
      await stopping;
      raw.destroy();
      assert.equal(http.listenerCount("upgrade"), 0);
      assert.equal(server.ready, false);
      assert.equal(
        await (await fetch(`http://${HOST}:${port}/`)).text(),
        "alive",
      );
    } finally {
      await stopServer(server);
      await close(http);
    }
  });

  test("during stop()'s grace an attached upgrade is served and readiness stays false; after it, 503", async () => {
    const http = createServer();
    const port = await listen(http);
    const server = new Server();
    server.on("message", (data, conn) => conn.send(data));
    http.on("upgrade", (request, socket, head) => {
      server.handleUpgrade(request, socket, head);
    });
    try {
      const first = await RawClient.connect(port);
      await first.handshake("/");
      assert.equal(server.ready, true);
      const stopping = server.stop({ grace: 300, timeout: 500 });
      const during = await RawClient.connect(port);
      await during.handshake("/");
      during.sendFrame(OP.Text, "in the grace");
      assert.equal(await during.readText(), "in the grace");
      assert.equal(server.ready, false);
      first.destroy();
      during.destroy();
      await stopping;
      const late = await RawClient.connect(port);
      const response = await late.handshake("/", { expect101: false });
      assert.equal(response.status, 503);
      late.destroy();
      assert.equal(server.ready, false);
    } finally {
      await stopServer(server);
      await close(http);
    }
  });

  test("attach() refuses a path that is not a path, and a second attach to the same server", async () => {
    const server = new Server();
    assert.throws(
      () => server.attach(createServer(), { path: "ws" }),
      /Invalid attach path: "ws"/,
    );
    const http = createServer();
    const detach = server.attach(http, { path: "/a" });
    assert.throws(
      () => server.attach(http, { path: "/b" }),
      /already attached to that HTTP server/,
    );
    detach();
    server.attach(http, { path: "/b" });
    assert.equal(http.listenerCount("upgrade"), 1);
    await server.stop();
    assert.equal(http.listenerCount("upgrade"), 0);
  });
});

describe("attach(node:https server): wss:// on the HTTP server's TLS", () => {
  let dir: string;
  let cert: string;
  let https: HttpServer;
  let port: number;
  let server: Server;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "anyws-attach-tls-"));
    const certPath = join(dir, "cert.pem");
    const keyPath = join(dir, "key.pem");
    const openssl = await runProcess("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "extendedKeyUsage=serverAuth",
    ]);
    assert.equal(openssl.code, 0, openssl.stderr);
    cert = readFileSync(certPath, "utf8");
    const key = readFileSync(keyPath, "utf8");
    https = createHttpsServer({ cert, key }, (_request, response) => {
      response.end("plain over https");
    }) as unknown as HttpServer;
    port = await listen(https);
    server = new Server({ origins: ["https://app.example"] });
    server.on("message", (data, conn) => conn.send(data));
    server.attach(https, { path: "/secure" });
  });

  after(async () => {
    await stopServer(server);
    await close(https);
    rmSync(dir, { recursive: true, force: true });
  });

  test("a TLS client upgrades on the https server's port and echoes 100 KB", async () => {
    const raw = await RawClient.connect(port, { tls: { ca: cert } });
    try {
      assert.equal(raw.tlsSocket.authorized, true);
      await raw.handshake("/secure", {
        headers: { Origin: "https://app.example" },
      });
      const payload = new Uint8Array(100_000).map((_, i) => i & 255);
      raw.sendFrame(OP.Binary, payload);
      const echoed = await raw.readFrame();
      assert.deepEqual(echoed.payload, payload);
      raw.sendFrame(OP.Close, closePayload(1000));
      assert.equal((await raw.readUntilClose()).code, 1000);
    } finally {
      raw.destroy();
    }
  });

  test("the Origin policy applies over TLS: another origin gets 403", async () => {
    const raw = await RawClient.connect(port, { tls: { ca: cert } });
    try {
      const response = await raw.handshake("/secure", {
        headers: { Origin: "https://evil.example" },
        expect101: false,
      });
      assert.equal(response.status, 403);
    } finally {
      raw.destroy();
    }
  });
});

describe("attach(Express app.listen()): routes and WebSocket on one port", () => {
  let http: HttpServer;
  let port: number;
  let server: Server;

  before(async () => {
    const app = express();
    app.get("/api/hello", (_request, response) => {
      response.json({ hello: "express" });
    });
    http = app.listen(0, HOST);
    await new Promise<void>((resolve) => http.once("listening", resolve));
    port = (http.address() as AddressInfo).port;
    server = new Server();
    server.on("message", (data, conn) => conn.send(`express+anyws: ${data}`));
    server.attach(http, { path: "/live" });
  });

  after(async () => {
    await stopServer(server);
    await close(http);
  });

  test("Express answers its routes; the WebSocket path echoes", async () => {
    const response = await fetch(`http://${HOST}:${port}/api/hello`);
    assert.deepEqual(await response.json(), { hello: "express" });
    assert.equal(
      await echoWithWebSocket(`ws://${HOST}:${port}/live`, "hi"),
      "express+anyws: hi",
    );
    assert.equal(server.metrics().handshakes.accepted, 1);
  });

  test("a raw upgrade with a masked frame after the head in the same write", async () => {
    const raw = await RawClient.connect(port);
    try {
      raw.write(
        `GET /live HTTP/1.1\r\nHost: ${HOST}\r\n${
          UPGRADE.join("\r\n")
        }\r\n\r\n`,
      );
      await raw.readHttpHead();
      raw.sendFrame(OP.Text, "raw");
      assert.equal(await raw.readText(), "express+anyws: raw");
    } finally {
      raw.destroy();
    }
  });
});
