// The event client on this runtime's own global WebSocket against a real
// anyws Server (its sessions and `conn.ask`): events and requests both
// ways, a network drop that resumes the same session with its rooms and
// user and delivers what was sent during the outage once and in order, and
// a server restart on the same port that starts a new session. Backoff is
// shortened so that nothing waits long; every wait is bounded.

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { EventClient } from "../../src/client/event_client.ts";
import { RequestRejectedError } from "../../src/events/request_errors.ts";
import { Server } from "../../src/server/server.ts";
import { HOST, waitFor, withTimeout } from "../_clients.ts";
import { TcpProxy } from "../_tcp_proxy.ts";

const WAIT = 5000;
const QUICK = { initialDelay: 20, maxDelay: 200, jitter: 0 };

async function startServer(
  port = 0,
): Promise<{ server: Server; log: string[]; said: unknown[] }> {
  const server = new Server({ hostname: HOST, port });
  const log: string[] = [];
  server.on("open", (_request, conn) => {
    log.push(`open ${conn.id}`);
  });
  server.on("resume", (_request, conn) => {
    log.push(`resume ${conn.id}`);
  });
  const said: unknown[] = [];
  server.on("say", (data) => {
    said.push(data);
  });
  server.on("add", (data) => {
    const [a, b] = data as [number, number];
    return a + b;
  });
  server.on("fail", () => {
    throw new Error("secret detail");
  });
  server.on("enter", (room, conn) => {
    conn.join(room as string);
    conn.setUser("ada");
    return [...conn.rooms];
  });
  server.on("error", () => {}); // the failing handler above is expected
  await server.listen();
  return { server, log, said };
}

describe("event client on this runtime's WebSocket", () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test("events and requests both ways", async () => {
    const { server } = await startServer();
    cleanup.push(() => server.stop({ timeout: 500 }));
    const client = new EventClient(`ws://${HOST}:${server.port}/`, {
      reconnect: QUICK,
    });
    cleanup.push(() => client.close());
    const heard: unknown[] = [];
    client.on("news", (data) => heard.push(data));
    client.on("confirm", (data) => `yes to ${(data as { q: string }).q}`);
    const opened = new Promise<string | undefined>((resolve) =>
      client.on("open", ({ id }) => resolve(id))
    );
    const id = await opened;
    assert.ok(id);
    assert.equal(client.readyState, 1);

    assert.equal(await client.request("add", [2, 3]), 5);
    await assert.rejects(client.request("fail"), (error: unknown) => {
      assert.ok(error instanceof RequestRejectedError);
      assert.equal(error.message, "Internal error");
      return true;
    });

    server.emit("news", { n: 1 });
    await waitFor(
      () => heard.length === 1,
      WAIT,
      "the client hears the server's event",
    );
    assert.deepEqual(heard, [{ n: 1 }]);

    const conn = server.connections.get(id)!;
    assert.equal(
      await conn.ask("confirm", { q: "delete" }),
      "yes to delete",
    );
    await assert.rejects(
      conn.ask("unhandled", 1),
      /No handler for "unhandled" on the client/,
    );
  });

  for (
    const [how, what] of [
      ["drop", "the server sees the connection end"],
      ["vanish", "the server does not notice: a live takeover"],
    ] as const
  ) {
    test(`a network drop (${what}) resumes the same session; messages sent meanwhile arrive once and in order`, async () => {
      const { server, log, said } = await startServer();
      cleanup.push(() => server.stop({ timeout: 500 }));
      const closed: string[] = [];
      server.on("close", ({ code }, conn) => {
        closed.push(`${conn.id} ${code}`);
      });
      const proxy = await TcpProxy.start(server.port);
      cleanup.push(() => proxy.close());
      const client = new EventClient(`ws://${HOST}:${proxy.port}/`, {
        reconnect: QUICK,
      });
      cleanup.push(() => client.close());
      const events: string[] = [];
      client.on("open", ({ id }) => events.push(`open ${id}`));
      client.on("resume", ({ id }) => events.push(`resume ${id}`));
      const closes: string[] = [];
      const dropped = new Promise<void>((resolve) =>
        client.on("close", ({ code, reconnecting }) => {
          closes.push(`${code} ${reconnecting}`);
          resolve();
        })
      );
      await waitFor(() => client.readyState === 1, WAIT, "open");
      const id = client.id!;
      assert.deepEqual(await client.request("enter", "lobby"), ["lobby"]);
      const before = server.connections.get(id)!;

      proxy[how]();
      await withTimeout(dropped, WAIT, "the client sees the drop");
      assert.deepEqual(closes, ["1006 true"]);
      assert.equal(client.readyState, 0);
      if (how === "vanish") {
        assert.equal(server.connections.get(id), before, "not noticed");
      }
      for (let i = 0; i < 5; i++) client.emit("say", i);

      await waitFor(
        () => said.length === 5,
        WAIT,
        "the queued messages arrive",
      );
      assert.deepEqual(said, [0, 1, 2, 3, 4]);
      assert.deepEqual(events, [`open ${id}`, `resume ${id}`]);
      assert.equal(client.id, id);
      // The old connection's close ran before the resume, either way.
      assert.deepEqual(log, [`open ${id}`, `resume ${id}`]);
      assert.deepEqual(closed, [`${id} 1006`]);
      const resumed = server.connections.get(id)!;
      assert.notEqual(resumed, before);
      assert.equal(before.readyState, 3);
      assert.deepEqual([...resumed.rooms], ["lobby"]);
      assert.equal(resumed.user, "ada");
      assert.equal(server.room("lobby").size, 1);
      assert.equal(server.connections.size, 1);
      // Nothing arrives twice.
      client.emit("say", "end");
      await waitFor(() => said.length === 6, WAIT, "the last message");
      assert.deepEqual(said, [0, 1, 2, 3, 4, "end"]);
    });
  }

  test("a server restart on the same port starts a new session and delivers the queue", async () => {
    let { server, said } = await startServer();
    const port = server.port;
    const client = new EventClient(`ws://${HOST}:${port}/`, {
      reconnect: QUICK,
    });
    cleanup.push(() => client.close());
    const events: string[] = [];
    client.on("open", ({ id }) => events.push(`open ${id}`));
    client.on("resume", ({ id }) => events.push(`resume ${id}`));
    client.on(
      "reconnected",
      ({ resumed }) => events.push(`reconnected ${resumed}`),
    );
    await waitFor(() => client.readyState === 1, WAIT, "open");
    const firstId = client.id;

    await server.stop({ timeout: 500 }); // 1001: retried
    await waitFor(() => client.readyState === 0, WAIT, "the client notices");
    client.emit("say", "while down 1");
    client.emit("say", "while down 2");
    ({ server, said } = await startServer(port));
    cleanup.push(() => server.stop({ timeout: 500 }));

    await waitFor(() => said.length === 2, WAIT, "the queued messages arrive");
    assert.deepEqual(said, ["while down 1", "while down 2"]);
    assert.equal(events.length, 3);
    assert.equal(events[0], `open ${firstId}`);
    assert.equal(events[1], "reconnected false");
    assert.match(events[2], /^open /);
    assert.notEqual(client.id, firstId);
  });
});
