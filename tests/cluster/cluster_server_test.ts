// Two real Servers (this runtime's engine) joined by a ClusterNode each over
// a real redis-server, with WebSocket clients on both: what the lead's
// Server integration must give, wired here with public events only.
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Server } from "../../src/server/server.ts";
import type { Connection } from "../../src/driver/connection.ts";
import type { SharedSink } from "../../src/server/group.ts";
import { SharedMessage } from "../../src/driver/shared_message.ts";

const encodeMessage = (message: string | Uint8Array): Uint8Array =>
  SharedMessage.of(message).plainFrame();
import { ClusterNode } from "../../src/cluster/cluster_node.ts";
import { serverHost } from "../../src/server/cluster_host.ts";
import type { PresenceChange } from "../../src/cluster/presence.ts";
import { redisBackplane } from "../../engines/redis.ts";
import { RedisServer } from "../_redis.ts";
import { HOST, openClient, waitFor, type WsClient } from "../_clients.ts";

interface Node {
  server: Server;
  node: ClusterNode;
  remote: PresenceChange[];
}

const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

/** A server in the cluster; its app sends everything both locally and to the cluster. */
async function start(url: string, name: string): Promise<Node> {
  const server = new Server({ hostname: HOST, port: 0 });
  const backplane = redisBackplane({ url, log: () => {} });
  const remote: PresenceChange[] = [];
  const node = new ClusterNode(
    backplane,
    serverHost(server, (change) => remote.push(change)),
    { nodeName: name, heartbeatInterval: 200 },
  );
  const local = (conns: Iterable<Connection>, frame: Uint8Array) => {
    for (const conn of conns) {
      (conn as Connection & SharedSink).sendShared(
        SharedMessage.fromFrame(frame),
      );
    }
  };
  server.on("join", ({ room }, conn) => node.joined(conn.id, room, conn.user));
  server.on("leave", ({ room }, conn) => node.left(conn.id, room));
  server.on("message", (data, conn) => {
    const [command, arg, text] = String(data).split(" ");
    const frame = encodeMessage(`${command} ${text ?? arg}`);
    if (command === "join") conn.join(arg);
    else if (command === "login") {
      conn.setUser(arg);
      node.userChanged(conn.id, arg);
    } else if (command === "all") {
      local(server.connections, frame);
      node.broadcast(frame);
    } else if (command === "room") {
      local(server.to(arg), frame);
      node.toRooms([arg], frame);
    } else if (command === "user") {
      local(server.user(arg), frame);
      node.toUser(arg, frame);
    } else if (command === "to") {
      const target = server.connections.get(arg);
      if (target) local([target], frame);
      else node.toConnection(arg, frame);
    } else if (command === "id") conn.send(conn.id);
    else if (command === "size") conn.send(`size ${node.roomSize(arg)}`);
  });
  await server.listen();
  node.start();
  assert.equal(await backplane.whenUp(5000), true);
  opened.push(async () => {
    await node.close();
    await backplane.close();
    await server.stop({ timeout: 1000 });
  });
  return { server, node, remote };
}

async function client(node: Node): Promise<WsClient> {
  const ws = await openClient(node.server.url);
  opened.push(async () => {
    await ws.close();
  });
  return ws;
}

describe("two Servers on one Redis", () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis.stop();
  });

  test("broadcast, rooms, users, a connection on the other node, and cluster-wide room sizes", async () => {
    const a = await start(redis.url, "a");
    const b = await start(redis.url, "b");
    await waitFor(
      () => a.node.nodes().length === 2 && b.node.nodes().length === 2,
      5000,
      "the nodes meet",
    );
    const ann = await client(a);
    const bob = await client(b);
    ann.ws.send("login ann");
    bob.ws.send("login bob");
    ann.ws.send("join lobby");
    bob.ws.send("join lobby");
    await waitFor(
      () => a.node.roomSize("lobby") === 2 && b.node.roomSize("lobby") === 2,
      5000,
      "sizes",
    );
    bob.ws.send("size lobby");
    assert.equal(await bob.next(), "size 2");

    ann.ws.send("all hello-all");
    assert.equal(await ann.next(), "all hello-all");
    assert.equal(await bob.next(), "all hello-all");

    bob.ws.send("room lobby hello-lobby");
    assert.equal(await bob.next(), "room hello-lobby");
    assert.equal(await ann.next(), "room hello-lobby");

    ann.ws.send("user bob for-bob");
    assert.equal(await bob.next(), "user for-bob");

    bob.ws.send("id");
    const bobId = String(await bob.next());
    ann.ws.send(`to ${bobId} psst`);
    assert.equal(await bob.next(), "to psst");

    assert.deepEqual(
      a.remote.map((c) => [c.kind, c.room, c.user, c.size]),
      [["join", "lobby", "bob", 2]],
    );
    const members = await a.node.queryMembers("lobby");
    assert.deepEqual(members.value.map((m) => m.user).sort(), ["ann", "bob"]);
    assert.deepEqual((await a.node.queryUserRooms("bob")).value, ["lobby"]);
    assert.equal((await a.node.queryConnections()).value, 2);

    // A node that joins later gets both servers' presence from their snapshots.
    const late = await start(redis.url, "late");
    await waitFor(() => late.node.roomSize("lobby") === 2, 5000, "late sizes");
    assert.deepEqual(late.node.userRooms("ann"), ["lobby"]);

    await bob.close();
    await waitFor(
      () => a.node.roomSize("lobby") === 1,
      5000,
      "bob's leave at a",
    );
    assert.equal(ann.queue.length, 0);
  });
});
