// The Server's own cluster wiring: two (or three) Servers on this runtime's
// engine, one in-memory backplane hub, WebSocket clients on each. What the
// application calls (broadcast, emit, rooms, users, a connection id, joins
// and leaves) reaches every node; presence and sizes are cluster-wide;
// server.cluster answers; errors become error events; stop() leaves.
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Frame, type PresenceChange, Server, UsageError } from "@anyws/anyws";
import type { MemoryBackplane } from "../../src/cluster/memory_backplane.ts";
import { MemoryHub } from "../../src/cluster/memory_backplane.ts";
import { ClusterError } from "../../src/cluster/cluster_error.ts";
import { HOST, openClient, waitFor, type WsClient } from "../_clients.ts";

interface Node {
  server: Server;
  backplane: MemoryBackplane;
  remote: PresenceChange[];
  joins: Array<[string, string, number]>;
  errors: unknown[];
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A clustered server whose clients drive it with text commands. */
async function node(
  hub: MemoryHub,
  name: string,
  listen = true,
): Promise<Node> {
  const backplane = hub.backplane();
  const server = new Server({
    hostname: HOST,
    port: 0,
    backplane,
    cluster: { nodeName: name, heartbeatInterval: 100, deadAfter: 400 },
  });
  const result: Node = { server, backplane, remote: [], joins: [], errors: [] };
  server.on("presence", (change) => result.remote.push(change));
  server.on("join", ({ room, size }, conn) => {
    result.joins.push(["join", room, size]);
    conn.send(`joined ${room} ${size}`);
  });
  server.on("leave", ({ room, size }) => {
    result.joins.push(["leave", room, size]);
  });
  server.on("error", (error) => result.errors.push(error));
  server.on("message", (data, conn) => {
    const [command, arg = "", text = ""] = String(data).split(" ");
    switch (command) {
      case "join":
        conn.join(arg);
        break;
      case "leave":
        conn.leave(arg);
        break;
      case "login":
        conn.setUser(arg);
        conn.send(`user ${arg}`);
        break;
      case "all":
        server.broadcast(`all ${arg}`);
        break;
      case "emit":
        server.emit("said", arg);
        break;
      case "others":
        server.broadcast(`others ${arg}`, { except: conn });
        break;
      case "room":
        server.room(arg).broadcast(`room ${text}`);
        break;
      case "roomOthers":
        server.room(arg).emit("roomOthers", text, { except: conn });
        break;
      case "to":
        server.to(...arg.split(",")).broadcast(`to ${text}`);
        break;
      case "user":
        server.user(arg).broadcast(`user ${text}`);
        break;
      case "conn":
        server.connection(arg).broadcast(`conn ${text}`);
        break;
      case "id":
        conn.send(conn.id);
        break;
    }
  });
  if (listen) await server.listen();
  cleanups.push(() => server.stop({ timeout: 1000 }));
  return result;
}

async function client(of: Node): Promise<WsClient> {
  const ws = await openClient(of.server.url);
  cleanups.push(() => ws.close().catch(() => {}));
  return ws;
}

async function idOf(ws: WsClient): Promise<string> {
  ws.ws.send("id");
  return String(await ws.next());
}

async function joined(ws: WsClient, room: string): Promise<void> {
  ws.ws.send(`join ${room}`);
  assert.match(String(await ws.next()), new RegExp(`^joined ${room} `));
}

async function meet(...nodes: Node[]): Promise<void> {
  await waitFor(
    () => nodes.every((n) => n.server.cluster!.nodes().length === nodes.length),
    5000,
    "the nodes meet",
  );
}

/** Nothing more arrives within a short while. */
async function quiet(...clients: WsClient[]): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const c of clients) assert.deepEqual(c.queue, []);
}

describe("a clustered Server", () => {
  test("broadcast, emit and { except } reach the clients of every node, each once", async () => {
    const hub = new MemoryHub();
    const a = await node(hub, "a");
    const b = await node(hub, "b");
    await meet(a, b);
    const ann = await client(a);
    const amy = await client(a);
    const bob = await client(b);

    ann.ws.send("all one");
    for (const c of [ann, amy, bob]) assert.equal(await c.next(), "all one");
    bob.ws.send("emit two");
    for (const c of [ann, amy, bob]) {
      assert.equal(await c.next(), '{"event":"said","data":"two"}');
    }
    ann.ws.send("others three");
    assert.equal(await amy.next(), "others three");
    assert.equal(await bob.next(), "others three");
    await quiet(ann, amy, bob);
  });

  test("rooms, several rooms at once, a user and a connection id on another node", async () => {
    const hub = new MemoryHub();
    const a = await node(hub, "a");
    const b = await node(hub, "b");
    await meet(a, b);
    const ann = await client(a);
    const bob = await client(b);
    const bea = await client(b);
    await joined(ann, "lobby");
    await joined(bob, "lobby");
    await joined(bea, "games");
    bob.ws.send("login bob");
    assert.equal(await bob.next(), "user bob");

    ann.ws.send("room lobby hi");
    assert.equal(await ann.next(), "room hi");
    assert.equal(await bob.next(), "room hi");
    bob.ws.send("roomOthers lobby psst");
    assert.equal(await ann.next(), '{"event":"roomOthers","data":"psst"}');

    // One publish for the union: bea (games) and bob (lobby) get it once.
    ann.ws.send("to lobby,games both");
    for (const c of [ann, bob, bea]) assert.equal(await c.next(), "to both");

    ann.ws.send("user bob for-bob");
    assert.equal(await bob.next(), "user for-bob");

    const beaId = await idOf(bea);
    ann.ws.send(`conn ${beaId} direct`);
    assert.equal(await bea.next(), "conn direct");
    const annId = await idOf(ann);
    ann.ws.send(`conn ${annId} self`); // open here: no publish needed
    assert.equal(await ann.next(), "conn self");
    await quiet(ann, bob, bea);
  });

  test("join and leave report cluster-wide sizes; the other nodes hear presence events", async () => {
    const hub = new MemoryHub();
    const a = await node(hub, "a");
    const b = await node(hub, "b");
    await meet(a, b);
    const ann = await client(a);
    const bob = await client(b);
    await joined(ann, "lobby");
    await waitFor(() => b.server.cluster!.roomSize("lobby") === 1, 2000, "1");
    ann.ws.send("login ann");
    await ann.next();
    bob.ws.send("join lobby");
    assert.equal(await bob.next(), "joined lobby 2");
    await waitFor(() => a.remote.length === 1, 2000, "a hears bob");
    assert.deepEqual(
      a.remote.map(({ kind, room, size, node }) => [kind, room, size, node]),
      [["join", "lobby", 2, b.server.cluster!.id]],
    );
    assert.deepEqual(
      b.remote.map(({ kind, room, size }) => [kind, room, size]),
      [["join", "lobby", 1]],
    );
    // setUser after joining travels too.
    await waitFor(
      () => b.server.cluster!.userRooms("ann").includes("lobby"),
      2000,
      "ann's rooms at b",
    );

    const cluster = a.server.cluster!;
    assert.equal(cluster.roomSize("lobby"), 2);
    assert.deepEqual(
      cluster.roomMembers("lobby").map((m) => m.user ?? "-").sort(),
      ["-", "ann"],
    );
    assert.deepEqual(cluster.rooms(), ["lobby"]);
    assert.equal(a.server.room("lobby").size, 1); // the local members
    const members = await cluster.queryMembers("lobby");
    assert.deepEqual(members.missing, []);
    assert.equal(members.value.length, 2);
    assert.equal((await cluster.queryConnections()).value, 2);
    assert.deepEqual(
      [...(await cluster.queryRoomSizes(["lobby", "none"])).value],
      [["lobby", 2], ["none", 0]],
    );
    assert.deepEqual((await cluster.queryUserRooms("ann")).value, ["lobby"]);
    await waitFor(() => cluster.connectionCount() === 2, 2000, "heartbeats");

    bob.ws.send("leave lobby");
    await waitFor(() => a.remote.length === 2, 2000, "a hears the leave");
    assert.deepEqual(
      [a.remote[1].kind, a.remote[1].size],
      ["leave", 1],
    );
    assert.deepEqual(b.joins.at(-1), ["leave", "lobby", 1]);
  });

  test("a closed connection leaves every room at the other nodes", async () => {
    const hub = new MemoryHub();
    const a = await node(hub, "a");
    const b = await node(hub, "b");
    await meet(a, b);
    const ann = await client(a);
    await joined(ann, "lobby");
    await joined(ann, "games");
    await waitFor(() => b.remote.length === 2, 2000, "two joins");
    await ann.close();
    await waitFor(() => b.remote.length === 4, 2000, "two leaves");
    assert.deepEqual(
      b.remote.slice(2).map((c) => [c.kind, c.room, c.size]).sort(),
      [["leave", "games", 0], ["leave", "lobby", 0]],
    );
    assert.deepEqual(b.server.cluster!.rooms(), []);
    assert.deepEqual(
      a.joins.filter(([kind]) => kind === "leave").map(([, room]) => room)
        .sort(),
      ["games", "lobby"],
    );
  });

  test("a filter function or a control frame throws a UsageError; the local group takes them", async () => {
    const hub = new MemoryHub();
    const a = await node(hub, "a");
    const ann = await client(a);
    assert.throws(() => a.server.broadcast("x", () => true), UsageError);
    assert.throws(
      () => a.server.room("lobby").broadcast("x", () => true),
      UsageError,
    );
    assert.throws(() => a.server.broadcast(Frame.ping()), UsageError);
    assert.equal(a.server.local.broadcast("mine", () => true), 1);
    assert.equal(await ann.next(), "mine");
  });

  test("stop() says goodbye (the others drop its presence at once) and closes the backplane; listen() again is refused", async () => {
    const hub = new MemoryHub();
    const a = await node(hub, "a");
    const b = await node(hub, "b");
    await meet(a, b);
    const bob = await client(b);
    await joined(bob, "lobby");
    await waitFor(() => a.server.cluster!.roomSize("lobby") === 1, 2000, "1");
    const closed = bob.closed;
    const stopped = Date.now();
    await b.server.stop({ timeout: 1000 });
    assert.equal((await closed).code, 1001);
    await waitFor(() => a.server.cluster!.nodes().length === 1, 300, "bye");
    assert.ok(Date.now() - stopped < 1000);
    assert.equal(a.server.cluster!.roomSize("lobby"), 0);
    assert.deepEqual(a.remote.at(-1)?.kind, "leave");
    await assert.rejects(b.backplane.publish("x", new Uint8Array(1)));
    await assert.rejects(b.server.listen(), UsageError);
  });

  test("a cluster error becomes an error event with no connection", async () => {
    const hub = new MemoryHub();
    const a = await node(hub, "a");
    await hub.backplane().publish("anyws:ops", new Uint8Array([1, 99, 0]));
    await waitFor(() => a.errors.length === 1, 2000, "the error event");
    assert.ok(a.errors[0] instanceof ClusterError);
    assert.equal((a.errors[0] as ClusterError).code, "malformed");
  });

  test("before listen() nothing is published; a node that starts later learns the presence", async () => {
    const hub = new MemoryHub();
    const a = await node(hub, "a", false);
    assert.equal(a.server.broadcast("nobody"), 0);
    assert.equal(hub.delivered, 0);
    const b = await node(hub, "b");
    const bob = await client(b);
    await joined(bob, "lobby");
    await a.server.listen();
    await meet(a, b);
    await waitFor(() => a.server.cluster!.roomSize("lobby") === 1, 2000, "1");
    assert.deepEqual(
      a.remote.map((c) => [c.kind, c.room]),
      [["join", "lobby"]],
    );
  });
});
