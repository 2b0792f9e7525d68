// Listening on a Unix domain socket (`socketPath`), as behind a reverse
// proxy on the same machine, on each runtime's own engine (node:net's
// listen({ path }), Deno.listen({ transport: "unix" }), Bun.listen({ unix })):
// the handshake, an echo, a close, plain HTTP, and the listener's removal of
// nothing but its own socket.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server } from "@anyws/anyws";
import { OP, RawClient, stopServer, withTimeout } from "../_clients.ts";

/** A raw client on the Unix socket at `path`. */
async function connectUnix(path: string): Promise<RawClient> {
  const socket = connect({ path, allowHalfOpen: true });
  const client = new RawClient(socket);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    }),
    5000,
    `connect to ${path}`,
  );
  return client;
}

describe("socketPath: a server on a Unix domain socket", () => {
  let dir: string;
  let path: string;
  let server: Server;
  const addresses: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "anyws-unix-"));
    path = join(dir, "ws.sock");
    server = new Server({
      socketPath: path,
      request: () => new Response("plain over unix"),
    });
    server.on("open", (_request, conn) => addresses.push(conn.remoteAddress));
    server.on("message", (data, conn) => conn.send(data));
    await server.listen();
  });

  after(async () => {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  test("binds the path and names it in server.url", () => {
    assert.equal(existsSync(path), true);
    assert.equal(server.url, `ws+unix://${path}`);
    assert.equal(server.port, 0);
  });

  test("a client on the socket upgrades, is echoed and closes cleanly", async () => {
    const raw = await connectUnix(path);
    try {
      await raw.handshake("/");
      raw.sendFrame(OP.Text, "over a unix socket");
      assert.equal(await raw.readText(), "over a unix socket");
      raw.sendFrame(OP.Close, new Uint8Array([0x03, 0xe8]));
      const close = await raw.readUntilClose();
      assert.equal(close.code, 1000);
      // No IP address on a Unix socket: the address is empty.
      assert.deepEqual(addresses, [""]);
    } finally {
      raw.destroy();
    }
  });

  test("plain HTTP on the socket reaches the request handler", async () => {
    const raw = await connectUnix(path);
    try {
      raw.write("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n");
      const response = await raw.readResponse();
      assert.equal(response.status, 200);
      assert.equal(response.body, "plain over unix");
    } finally {
      raw.destroy();
    }
  });

  test("a socketPath that is not a path is a UsageError at new Server()", () => {
    assert.throws(
      () => new Server({ socketPath: "" }),
      /Invalid option socketPath: ""/,
    );
  });
});
