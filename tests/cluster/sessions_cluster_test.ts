// Session resume across the nodes of a cluster: two Servers on one
// backplane, a client that reconnects to the other node. First on the
// in-memory backplane and engine with a fake clock (deterministic), then on
// a real redis-server with the runtime's own WebSocket through TCP proxies.
// Both ways a connection can be lost are covered: the first node saw it
// drop (the snapshot is waiting in the shared storage), or it did not (the
// second node asks the cluster to take the session over).

import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryHub } from "../../src/cluster/memory_backplane.ts";
import { memoryEngine } from "../../engines/memory.ts";
import { EventClient } from "../../src/client/event_client.ts";
import { Server } from "../../src/server/server.ts";
import { redisBackplane } from "../../engines/redis.ts";
import { FakeClock } from "../_fake_clock.ts";
import { MemoryWebSocket } from "../_memory_websocket.ts";
import {
  type LoggedServer,
  RawSession,
  startLoggedServer,
  until,
} from "../_sessions.ts";
import { RedisServer } from "../_redis.ts";
import { TcpProxy } from "../_tcp_proxy.ts";
import { HOST, waitFor } from "../_clients.ts";

interface MemoryCluster {
  a: LoggedServer;
  b: LoggedServer;
  hub: MemoryHub;
  clock: FakeClock;
  log: string[];
}

async function memoryCluster(): Promise<MemoryCluster> {
  const clock = new FakeClock();
  const engine = memoryEngine({ clock });
  const hub = new MemoryHub({ clock });
  const log: string[] = [];
  const start = (name: string) =>
    startLoggedServer({
      backplane: hub.backplane(),
      cluster: { nodeName: name, queryTimeout: 1000 },
    }, { engine, clock, log, name });
  const a = await start("a");
  const b = await start("b");
  await until(
    () =>
      a.server.cluster!.nodes().length === 2 &&
      b.server.cluster!.nodes().length === 2,
    "the nodes meet",
  );
  return { a, b, hub, clock, log };
}

async function stopAll(cluster: MemoryCluster): Promise<void> {
  for (const { server, clock } of [cluster.a, cluster.b]) {
    const stopping = server.stop({ timeout: 100 });
    for (let i = 0; i < 50 && server.connections.size > 0; i++) {
      await clock.flow(100);
    }
    await clock.flow(2000); // the goodbye's bound
    await stopping;
  }
}

/** An event client that connects to `cluster.a` first, then to whichever `target()` names. */
function clusterClient(
  cluster: MemoryCluster,
  target: () => LoggedServer,
): { client: EventClient; sockets: MemoryWebSocket[] } {
  const sockets: MemoryWebSocket[] = [];
  const client = new EventClient(cluster.a.url, {
    socket: (url) => {
      const { engine, server } = target();
      const socket = new MemoryWebSocket(engine, server.port, url);
      sockets.push(socket);
      return socket;
    },
    clock: cluster.clock,
    reconnect: { initialDelay: 100, maxDelay: 100, jitter: 0 },
  });
  return { client, sockets };
}

describe("sessions across nodes (memory backplane)", () => {
  for (const how of ["drop", "vanish"] as const) {
    test(
      `a client whose connection ${
        how === "drop" ? "dropped" : "vanished"
      } on node a resumes on node b: same id, rooms, user, data; presence and sizes follow`,
      async () => {
        const cluster = await memoryCluster();
        const { a, b, log } = cluster;
        let next = a;
        const { client, sockets } = clusterClient(cluster, () => next);
        await until(() => client.readyState === 1, "open on a");
        const id = client.id!;
        await client.request("enter", "lobby");
        await until(() => b.server.cluster!.roomSize("lobby") === 1, "b sees");

        next = b;
        sockets[0][how]();
        if (how === "drop") {
          await until(() => log.includes(`a close ${id} 1006`), "a saw it");
          assert.equal(cluster.hub.storedKeys, 1, "the snapshot is shared");
        } else {
          await until(() => client.readyState === 0, "the client noticed");
          assert.equal(a.server.connections.size, 1, "a has not noticed");
        }
        await cluster.clock.flow(100);
        await until(() => client.readyState === 1, "open on b");
        assert.deepEqual(log, [
          `a open ${id}`,
          `a join lobby ${id}`,
          `a close ${id} 1006`,
          `a leave lobby ${id}`,
          `b join lobby ${id}`,
          `b resume ${id}`,
        ]);
        assert.equal(client.id, id);
        const conn = b.server.connections.get(id)!;
        assert.deepEqual([...conn.rooms], ["lobby"]);
        assert.equal(conn.user, "ada");
        assert.deepEqual(conn.data, { nick: "ada" });
        assert.equal(a.server.connections.size, 0);
        assert.equal(cluster.hub.storedKeys, 0, "taken: good for one resume");
        await until(
          () =>
            a.server.cluster!.roomSize("lobby") === 1 &&
            b.server.cluster!.roomSize("lobby") === 1 &&
            a.server.cluster!.roomMembers("lobby")[0]?.node ===
              b.server.cluster!.id,
          "presence moved to b",
        );
        // Node a reaches it through the cluster by its id.
        const heard: unknown[] = [];
        client.on("news", (data) => heard.push(data));
        a.server.connection(id).emit("news", "from a");
        await until(() => heard.length === 1, "a reaches the client on b");
        client.close();
        await until(() => b.server.connections.size === 0, "closed");
        await stopAll(cluster);
      },
    );
  }

  test("an unknown token begins a new session as soon as every node said no", async () => {
    const cluster = await memoryCluster();
    const raw = await RawSession.hello(cluster.b, "AAAAAAAA");
    const session = await raw.session();
    assert.equal(session.resumed, false);
    assert.equal(cluster.clock.now(), 0, "no timeout was waited for");
    await stopAll(cluster);
  });

  test("an expired snapshot is gone from the shared storage", async () => {
    const cluster = await memoryCluster();
    const raw = await RawSession.hello(cluster.a);
    const { id, token } = await raw.session();
    raw.socket.drop();
    await until(() => cluster.log.includes(`a close ${id} 1006`), "close");
    assert.equal(cluster.hub.storedKeys, 1);
    await cluster.clock.flow(120_000);
    assert.equal(cluster.hub.storedKeys, 0);
    const late = await RawSession.hello(cluster.b, token);
    assert.equal((await late.session()).resumed, false);
    await stopAll(cluster);
  });

  test("a shared storage that is down: an error, and a new session", async () => {
    const cluster = await memoryCluster();
    const raw = await RawSession.hello(cluster.a);
    const { id, token } = await raw.session();
    raw.socket.drop();
    await until(() => cluster.log.includes(`a close ${id} 1006`), "close");
    (cluster.b.server.options.backplane as ReturnType<MemoryHub["backplane"]>)
      .goDown();
    const next = await RawSession.hello(cluster.b, token);
    assert.equal((await next.session()).resumed, false);
    assert.ok(cluster.log.includes("b error Backplane down"));
    await stopAll(cluster);
  });

  test("data that JSON cannot carry: an error, nothing stored, a new session later", async () => {
    const cluster = await memoryCluster();
    const raw = await RawSession.hello(cluster.a);
    const { id, token } = await raw.session();
    cluster.a.server.connections.get(id)!.data = { big: 1n } as never;
    raw.socket.drop();
    await until(
      () =>
        cluster.log.some((line) =>
          /^a error .*cannot be stored as JSON/.test(line)
        ),
      "the error",
    );
    assert.equal(cluster.hub.storedKeys, 0);
    const next = await RawSession.hello(cluster.b, token);
    assert.equal((await next.session()).resumed, false);
    await stopAll(cluster);
  });
});

describe("sessions across nodes (Redis)", () => {
  let redis: RedisServer;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];

  before(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  after(async () => {
    await redis.stop();
  });

  async function node(name: string): Promise<{
    server: Server;
    proxy: TcpProxy;
    log: string[];
  }> {
    const backplane = redisBackplane({ url: redis.url, log: () => {} });
    const server = new Server({
      hostname: HOST,
      port: 0,
      backplane,
      cluster: { nodeName: name, heartbeatInterval: 200, queryTimeout: 2000 },
    });
    const log: string[] = [];
    server.on("open", (_request, conn) => log.push(`open ${conn.id}`));
    server.on("resume", (_request, conn) => log.push(`resume ${conn.id}`));
    server.on(
      "close",
      ({ code }, conn) => log.push(`close ${conn.id} ${code}`),
    );
    server.on("error", (error) => log.push(`error ${error}`));
    server.on("enter", (room, conn) => {
      conn.join(room as string);
      conn.setUser("ada");
      conn.data.nick = "ada";
      return [...conn.rooms];
    });
    await server.listen();
    assert.equal(await backplane.whenUp(5000), true);
    const proxy = await TcpProxy.start(server.port);
    cleanups.push(() => server.stop({ timeout: 500 }), () => proxy.close());
    return { server, proxy, log };
  }

  for (const how of ["drop", "vanish"] as const) {
    test(
      `a connection that ${
        how === "drop" ? "dropped" : "vanished"
      } on one node resumes on the other`,
      async () => {
        const a = await node("a");
        const b = await node("b");
        await waitFor(
          () =>
            a.server.cluster!.nodes().length === 2 &&
            b.server.cluster!.nodes().length === 2,
          5000,
          "the nodes meet",
        );
        let port = a.proxy.port;
        const client = new EventClient(`ws://${HOST}:${a.proxy.port}/`, {
          reconnect: { initialDelay: 20, maxDelay: 200, jitter: 0 },
          socket: (url, protocols) => {
            const target = new URL(url);
            target.port = String(port);
            return new WebSocket(target.href, protocols);
          },
        });
        cleanups.push(() => client.close());
        await waitFor(() => client.readyState === 1, 5000, "open on a");
        const id = client.id!;
        await client.request("enter", "lobby");
        await waitFor(
          () => b.server.cluster!.roomSize("lobby") === 1,
          5000,
          "b sees the member",
        );
        port = b.proxy.port;
        a.proxy[how]();
        await waitFor(
          () => b.log.includes(`resume ${id}`),
          10_000,
          "resumed on b",
        );
        assert.deepEqual(a.log, [`open ${id}`, `close ${id} 1006`]);
        assert.deepEqual(b.log, [`resume ${id}`]);
        assert.equal(client.id, id);
        const conn = b.server.connections.get(id)!;
        assert.deepEqual([...conn.rooms], ["lobby"]);
        assert.equal(conn.user, "ada");
        assert.deepEqual(conn.data, { nick: "ada" });
        await waitFor(
          () =>
            a.server.cluster!.roomSize("lobby") === 1 &&
            a.server.cluster!.roomMembers("lobby")[0]?.node ===
              b.server.cluster!.id,
          5000,
          "a sees the member on b",
        );
      },
    );
  }
});
