import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ClusterNode,
  type ClusterNodeOptions,
} from "../../src/cluster/cluster_node.ts";
import {
  type MemoryBackplane,
  MemoryHub,
} from "../../src/cluster/memory_backplane.ts";
import type {
  Backplane,
  BackplaneHandler,
} from "../../src/cluster/backplane.ts";
import {
  decodeWire,
  encodeWire,
  type WireBody,
} from "../../src/cluster/wire.ts";
import { SharedMessage } from "../../src/driver/shared_message.ts";

const encodeMessage = (message: string | Uint8Array): Uint8Array =>
  SharedMessage.of(message).plainFrame();
import { FakeClock, settle } from "../_fake_clock.ts";
import { TestHost } from "../_cluster_host.ts";

interface Member {
  host: TestHost;
  node: ClusterNode;
  backplane: MemoryBackplane;
}

interface Cluster {
  hub: MemoryHub;
  clock: FakeClock;
  members: Member[];
  close(): Promise<void>;
}

const HEARTBEAT = 1000;
const DEAD_AFTER = 5000;

async function cluster(
  count: number,
  options: ClusterNodeOptions = {},
): Promise<Cluster> {
  const hub = new MemoryHub();
  const clock = new FakeClock();
  const members: Member[] = [];
  for (let i = 0; i < count; i++) {
    members.push(join(hub, clock, `n${i}`, options));
  }
  await settle();
  return {
    hub,
    clock,
    members,
    async close() {
      for (const { node, backplane } of members) {
        await node.close();
        await backplane.close();
      }
    },
  };
}

function join(
  hub: MemoryHub,
  clock: FakeClock,
  name: string,
  options: ClusterNodeOptions = {},
  host = new TestHost(),
): Member {
  const backplane = hub.backplane();
  const node = host.attach(backplane, {
    clock,
    nodeName: name,
    heartbeatInterval: HEARTBEAT,
    deadAfter: DEAD_AFTER,
    ...options,
  });
  return { host, node, backplane };
}

const text = (value: string) => encodeMessage(value);

describe("ClusterNode operations", () => {
  test("a broadcast reaches every connection of the other nodes, none of the publisher's (the server serves its own)", async () => {
    const c = await cluster(3);
    const [a, b, d] = c.members;
    a.host.open("a1");
    b.host.open("b1");
    b.host.open("b2");
    d.host.open("d1");
    a.node.broadcast(text("hi"));
    await settle();
    assert.deepEqual(a.host.received, []);
    assert.deepEqual(b.host.received, ["b1:hi", "b2:hi"]);
    assert.deepEqual(d.host.received, ["d1:hi"]);
    await c.close();
  });

  test("a broadcast with except skips that connection wherever it is", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    b.host.open("b1");
    b.host.open("b2");
    a.node.broadcast(text("hi"), "b2");
    await settle();
    assert.deepEqual(b.host.received, ["b1:hi"]);
    await c.close();
  });

  test("toRooms reaches the union of the rooms, each connection once", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    for (const id of ["b1", "b2", "b3", "b4"]) b.host.open(id);
    b.host.join("b1", "red");
    b.host.join("b2", "red");
    b.host.join("b2", "blue");
    b.host.join("b3", "green");
    a.node.toRooms(["red", "blue"], text("rb"));
    a.node.toRooms(["red", "blue"], text("not b1"), "b1");
    await settle();
    assert.deepEqual(b.host.received, [
      "b1:rb",
      "b2:rb",
      "b2:not b1",
    ]);
    await c.close();
  });

  test("toUser reaches every connection of the user on the other nodes, but except", async () => {
    const c = await cluster(3);
    const [a, b, d] = c.members;
    b.host.open("b1", "ann");
    b.host.open("b2", "bob");
    d.host.open("d1", "ann");
    d.host.open("d2", "ann");
    a.node.toUser("ann", text("for ann"), "d2");
    await settle();
    assert.deepEqual(b.host.received, ["b1:for ann"]);
    assert.deepEqual(d.host.received, ["d1:for ann"]);
    await c.close();
  });

  test("toConnection reaches that connection only, on whichever node has it", async () => {
    const c = await cluster(3);
    const [a, b, d] = c.members;
    b.host.open("b1");
    d.host.open("d1");
    a.node.toConnection("d1", text("psst"));
    await settle();
    assert.deepEqual(b.host.received, []);
    assert.deepEqual(d.host.received, ["d1:psst"]);
    await c.close();
  });

  test("the receiving host gets the publisher's frame bytes unchanged, large ones too", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    const frames: Uint8Array[] = [];
    b.host.deliverToAll = (frame) => frames.push(frame);
    const small = encodeMessage(new Uint8Array([1, 2, 3]));
    const large = encodeMessage(
      new Uint8Array(70_000).map((_, i) => i & 0xff),
    );
    a.node.broadcast(small);
    a.node.broadcast(large);
    await settle();
    assert.deepEqual(frames, [small, large]);
    await c.close();
  });

  test("a frame that is not one complete unmasked frame is refused with a TypeError, and takes no sequence number", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    b.host.open("b1");
    const fragment = new Uint8Array([0x01, 0x01, 0x41]); // FIN not set
    assert.throws(() => a.node.broadcast(fragment), TypeError);
    a.node.broadcast(text("next"));
    await settle();
    assert.deepEqual(b.host.received, ["b1:next"]);
    assert.equal(b.node.stats.missed, 0);
    await c.close();
  });

  test("an operation before start() is a clear error", () => {
    const node = new ClusterNode(new MemoryHub().backplane(), new TestHost());
    assert.throws(
      () => node.broadcast(text("x")),
      /start\(\) must be called first/,
    );
  });

  test("options out of range are refused with a RangeError", () => {
    const backplane = new MemoryHub().backplane();
    const host = new TestHost();
    assert.throws(
      () => host.attach(backplane, { heartbeatInterval: 0 }),
      RangeError,
    );
    assert.throws(
      () => host.attach(backplane, { nodeName: "has space" }),
      RangeError,
    );
  });
});

describe("ClusterNode presence", () => {
  test("joins and leaves on any node give the same cluster-wide room size everywhere", async () => {
    const c = await cluster(3);
    const [a, b, d] = c.members;
    a.host.open("a1");
    a.host.open("a2");
    b.host.open("b1");
    a.host.join("a1", "lobby");
    a.host.join("a2", "lobby");
    b.host.join("b1", "lobby");
    await settle();
    for (const { node } of c.members) assert.equal(node.roomSize("lobby"), 3);
    a.host.leave("a1", "lobby");
    await settle();
    for (const { node } of c.members) assert.equal(node.roomSize("lobby"), 2);
    assert.equal(d.node.roomSize("elsewhere"), 0);
    await c.close();
  });

  test("remotePresence reports each remote join and leave with the cluster-wide size after it", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    b.host.open("b1");
    b.host.join("b1", "lobby");
    a.host.open("a1", "ann");
    a.host.join("a1", "lobby");
    a.host.leave("a1", "lobby");
    await settle();
    assert.deepEqual(
      b.host.changes.map((
        ch,
      ) => [ch.kind, ch.room, ch.connection, ch.user, ch.size]),
      [["join", "lobby", "a1", "ann", 2], ["leave", "lobby", "a1", "ann", 1]],
    );
    assert.equal(b.host.changes[0].node, a.node.id);
    await c.close();
  });

  test("roomMembers lists every node's members with their users and nodes, this node's first", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    a.host.open("a1", "ann");
    b.host.open("b1");
    a.host.join("a1", "lobby");
    b.host.join("b1", "lobby");
    await settle();
    assert.deepEqual(b.node.roomMembers("lobby"), [
      { connection: "b1", user: undefined, node: b.node.id },
      { connection: "a1", user: "ann", node: a.node.id },
    ]);
    await c.close();
  });

  test("userRooms spans the nodes, and follows a user set after joining", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    a.host.open("a1");
    a.host.join("a1", "red");
    a.host.setUser("a1", "ann");
    b.host.open("b1", "ann");
    b.host.join("b1", "blue");
    await settle();
    assert.deepEqual(b.node.userRooms("ann").sort(), ["blue", "red"]);
    a.host.setUser("a1", undefined);
    await settle();
    assert.deepEqual(b.node.userRooms("ann"), ["blue"]);
    await c.close();
  });

  test("a closed connection leaves every room on every node with one message", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    a.host.open("a1");
    a.host.join("a1", "red");
    a.host.join("a1", "blue");
    await settle();
    const before = a.node.stats.published;
    a.host.close("a1");
    await settle();
    assert.equal(a.node.stats.published, before + 1);
    assert.equal(b.node.roomSize("red"), 0);
    assert.equal(b.node.roomSize("blue"), 0);
    await c.close();
  });

  test("a node that starts later learns the others' presence, and they learn its presence from its hello", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    a.host.open("a1");
    a.host.join("a1", "lobby");
    b.host.open("b1");
    b.host.join("b1", "lobby");
    await settle();
    const late = new TestHost();
    late.open("l1");
    late.rooms.add("lobby", "l1"); // in the room before the node starts
    const d = join(c.hub, c.clock, "late", {}, late);
    c.members.push(d);
    await settle();
    assert.equal(d.node.roomSize("lobby"), 3);
    assert.equal(a.node.roomSize("lobby"), 3);
    assert.equal(b.node.roomSize("lobby"), 3);
    await c.close();
  });

  test("connectionCount adds the others' counts from their heartbeats", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    a.host.open("a1");
    b.host.open("b1");
    b.host.open("b2");
    await c.clock.flow(HEARTBEAT);
    assert.equal(a.node.connectionCount(), 3);
    assert.equal(b.node.connectionCount(), 3);
    await c.close();
  });
});

describe("ClusterNode queries", () => {
  test("queryConnections, queryRoomSizes, queryMembers and queryUserRooms combine every live node's answer", async () => {
    const c = await cluster(3);
    const [a, b, d] = c.members;
    a.host.open("a1", "ann");
    b.host.open("b1", "ann");
    b.host.open("b2");
    d.host.open("d1");
    a.host.join("a1", "red");
    b.host.join("b1", "blue");
    b.host.join("b2", "red");
    await settle();
    const connections = await a.node.queryConnections();
    assert.equal(connections.value, 4);
    assert.deepEqual(connections.nodes, [a.node.id, b.node.id, d.node.id]);
    assert.deepEqual(connections.missing, []);
    const sizes = await d.node.queryRoomSizes(["red", "blue", "none", "red"]);
    assert.deepEqual([...sizes.value], [["red", 2], ["blue", 1], ["none", 0]]);
    const members = await d.node.queryMembers("red");
    assert.deepEqual(
      members.value.map((m) => [m.connection, m.user, m.node]).sort(),
      [["a1", "ann", a.node.id], ["b2", undefined, b.node.id]],
    );
    const rooms = await d.node.queryUserRooms("ann");
    assert.deepEqual(rooms.value.sort(), ["blue", "red"]);
    await c.close();
  });

  test("queryTakeover: the node holding the session answers yes once it gave it up, and the answer comes at once; the others say no", async () => {
    const c = await cluster(3);
    const [a, b, d] = c.members;
    const asked: string[] = [];
    let release!: () => void;
    b.host.takeover = (token) => {
      asked.push(`b ${token}`);
      return new Promise((resolve) => release = () => resolve(token === "t1"));
    };
    d.host.takeover = (token) => {
      asked.push(`d ${token}`);
      return Promise.resolve(false);
    };
    const answer = a.node.queryTakeover("t1");
    let settled = false;
    answer.then(() => settled = true);
    await settle();
    assert.deepEqual(asked.sort(), ["b t1", "d t1"]);
    assert.equal(settled, false, "b has not given it up yet");
    release();
    const { value, missing } = await answer;
    assert.equal(value, true);
    assert.deepEqual(missing, []);
    assert.equal(c.clock.now(), 0, "no timeout");
    // A token nobody holds: every node says no (a host without takeover too).
    b.host.takeover = undefined;
    const none = await a.node.queryTakeover("t2");
    assert.equal(none.value, false);
    assert.deepEqual(none.missing, []);
    assert.equal(c.clock.now(), 0);
    await c.close();
  });

  test("a takeover that fails is reported and answered no; alone in the cluster, no one is asked", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    b.host.takeover = () => Promise.reject(new Error("broken"));
    const { value } = await a.node.queryTakeover("t");
    assert.equal(value, false);
    assert.match(b.host.errors[0]?.message ?? "", /takeover failed: broken/);
    await c.close();
    const alone = await cluster(1);
    const answer = await alone.members[0].node.queryTakeover("t");
    assert.deepEqual(answer, {
      value: false,
      nodes: [alone.members[0].node.id],
      missing: [],
    });
    await alone.close();
  });

  test("a node killed but not yet declared dead makes a query answer at the timeout, naming it missing", async () => {
    const c = await cluster(3, { queryTimeout: 300 });
    const [a, b, d] = c.members;
    b.host.open("b1");
    d.host.open("d1");
    d.backplane.kill();
    let answer:
      | Awaited<ReturnType<ClusterNode["queryConnections"]>>
      | undefined;
    a.node.queryConnections().then((value) => answer = value);
    await c.clock.flow(299);
    assert.equal(answer, undefined);
    await c.clock.flow(1);
    assert.deepEqual(answer, {
      value: 1,
      nodes: [a.node.id, b.node.id],
      missing: [d.node.id],
    });
    await c.close();
  });

  test("a query never waits for a dead node: it answers as soon as the silent node is declared dead", async () => {
    const c = await cluster(2, { queryTimeout: 60_000 });
    const [a, b] = c.members;
    b.host.open("b1");
    b.backplane.kill();
    let answer:
      | Awaited<ReturnType<ClusterNode["queryConnections"]>>
      | undefined;
    a.node.queryConnections().then((value) => answer = value);
    await c.clock.flow(DEAD_AFTER + HEARTBEAT);
    assert.deepEqual(answer, { value: 0, nodes: [a.node.id], missing: [] });
    // Once it is dead, queries no longer ask it.
    const next = await a.node.queryConnections();
    assert.deepEqual(next, { value: 0, nodes: [a.node.id], missing: [] });
    await c.close();
  });

  test("a query while the backplane is down answers at once with the local part, every live node missing", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    a.host.open("a1");
    a.backplane.goDown();
    const answer = await a.node.queryConnections();
    assert.deepEqual(answer, {
      value: 1,
      nodes: [a.node.id],
      missing: [b.node.id],
    });
    await c.close();
  });

  test("past maxQueries waiting, a query answers at once with the local part", async () => {
    const c = await cluster(2, { maxQueries: 1, queryTimeout: 100 });
    const [a, b] = c.members;
    b.backplane.kill();
    const first = a.node.queryConnections();
    const second = await a.node.queryConnections();
    assert.deepEqual(second.missing, [b.node.id]);
    await c.clock.flow(100);
    assert.deepEqual((await first).missing, [b.node.id]);
    await c.close();
  });
});

describe("ClusterNode liveness", () => {
  test("a killed node leaves presence, counts and nodes() within deadAfter + heartbeatInterval, not before deadAfter", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    b.host.open("b1");
    b.host.join("b1", "lobby");
    await c.clock.flow(HEARTBEAT); // b's heartbeat: a hears it now
    assert.equal(a.node.roomSize("lobby"), 1);
    assert.equal(a.node.connectionCount(), 1);
    b.backplane.kill();
    const killedAt = c.clock.now();
    let goneAt: number | undefined;
    for (let step = 0; step < 200 && goneAt === undefined; step++) {
      await c.clock.flow(50);
      if (!a.node.nodes().includes(b.node.id)) goneAt = c.clock.now();
    }
    assert.ok(goneAt !== undefined);
    const after = goneAt - killedAt;
    assert.ok(after > DEAD_AFTER, `gone after ${after} ms`);
    assert.ok(after <= DEAD_AFTER + HEARTBEAT, `gone after ${after} ms`);
    assert.equal(a.node.roomSize("lobby"), 0);
    assert.equal(a.node.connectionCount(), 0);
    assert.equal(a.node.stats.nodes, 0);
    assert.deepEqual(
      a.host.changes.map((ch) => [ch.kind, ch.connection, ch.size]),
      [["join", "b1", 1], ["leave", "b1", 0]],
    );
    await c.close();
  });

  test("a node that is alive is never declared dead, however long it runs", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    await c.clock.flow(10 * DEAD_AFTER);
    assert.deepEqual(a.node.nodes(), [a.node.id, b.node.id]);
    await c.close();
  });

  test("a node that closes says goodbye: the others drop it at once", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    b.host.open("b1");
    b.host.join("b1", "lobby");
    await settle();
    assert.equal(a.node.roomSize("lobby"), 1);
    await b.node.close();
    await settle();
    assert.deepEqual(a.node.nodes(), [a.node.id]);
    assert.equal(a.node.roomSize("lobby"), 0);
    await c.close();
  });

  test("close() answers pending queries, cancels every timer, and ignores later operations", async () => {
    const c = await cluster(2, { queryTimeout: 60_000 });
    const [a, b] = c.members;
    b.backplane.kill();
    const pending = a.node.queryConnections();
    await c.close();
    assert.deepEqual((await pending).missing, [b.node.id]);
    assert.equal(c.clock.pending, 0);
    a.node.broadcast(text("after close")); // no throw, no effect
    assert.equal(a.node.stats.queued, 0);
  });
});

/** A node impersonated with raw wire messages on the hub. */
function rawNode(hub: MemoryHub, id: string) {
  const backplane = hub.backplane();
  const toIt: ReturnType<typeof decodeWire>[] = [];
  backplane.subscribe(
    `anyws:node:${id}`,
    (bytes) => toIt.push(decodeWire(bytes)),
  );
  return {
    toIt,
    send(seq: number, body: WireBody, channel = "anyws:ops") {
      return backplane.publish(
        channel,
        encodeWire(
          { ...body, node: id, seq } as Parameters<typeof encodeWire>[0],
        ),
      );
    },
    close: () => backplane.close(),
  };
}

const hello: WireBody = {
  kind: "hello",
  snapshot: { connections: 0, members: [] },
};
const all = (value: string): WireBody => ({
  kind: "all",
  except: undefined,
  frame: text(value),
});

describe("ClusterNode robustness", () => {
  test("a server callback that throws is reported as a 'host' error, and the next deliveries still happen", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    b.host.open("b1");
    let fail = true;
    const deliver = b.host.deliverToAll.bind(b.host);
    b.host.deliverToAll = (frame, except) => {
      if (fail) {
        fail = false;
        throw new Error("server bug");
      }
      deliver(frame, except);
    };
    a.node.broadcast(text("lost to the bug"));
    a.node.broadcast(text("delivered"));
    await settle();
    assert.deepEqual(b.host.textsOf("b1"), ["delivered"]);
    assert.deepEqual(b.host.errors.map((e) => e.code), ["host"]);
    assert.match(b.host.errors[0].message, /server bug/);
    await c.close();
  });

  test("a failure while handling a message is reported, never thrown into the backplane's delivery", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    b.host.open("b1");
    // A snapshot that cannot be encoded: answering a's sync request fails.
    b.host.localPresence = () => ({
      connections: 1n as unknown as number,
      members: [],
    });
    const x = rawNode(c.hub, "x");
    await x.send(1, { kind: "sync" }, `anyws:node:${b.node.id}`);
    a.node.broadcast(text("still delivered"));
    await settle();
    assert.deepEqual(b.host.errors.map((e) => e.code), ["host"]);
    assert.deepEqual(b.host.textsOf("b1"), ["still delivered"]);
    await x.close();
    await c.close();
  });

  test("an answer of the wrong shape does not count: its node is reported missing", async () => {
    const c = await cluster(1, { queryTimeout: 100 });
    const [a] = c.members;
    const x = rawNode(c.hub, "x");
    await x.send(1, hello);
    await settle();
    const answer = a.node.queryConnections();
    await settle();
    await x.send(
      1,
      { kind: "answer", id: 1, value: "many" },
      `anyws:node:${a.node.id}`,
    );
    await c.clock.flow(100);
    assert.deepEqual(await answer, {
      value: 0,
      nodes: [a.node.id],
      missing: ["x"],
    });
    assert.equal(a.node.stats.rejected, 1);
    await x.close();
    await c.close();
  });

  test("past maxNodes, messages of further nodes are ignored and counted as rejected", async () => {
    const c = await cluster(2, { maxNodes: 1 });
    const [a, b] = c.members;
    a.host.open("a1");
    const x = rawNode(c.hub, "x");
    await x.send(1, hello);
    await x.send(2, all("from x"));
    await settle();
    assert.deepEqual(a.node.nodes(), [a.node.id, b.node.id]);
    assert.deepEqual(a.host.textsOf("a1"), []);
    assert.equal(a.node.stats.rejected, 2);
    await x.close();
    await c.close();
  });
});

describe("ClusterNode ordering and sequence numbers", () => {
  test("the operations of one publisher are delivered in publish order", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    b.host.open("b1", "ann");
    b.host.join("b1", "red");
    await settle();
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) {
      const value = `m${i}`;
      if (i % 3 === 0) a.node.broadcast(text(value));
      else if (i % 3 === 1) a.node.toRooms(["red"], text(value));
      else a.node.toUser("ann", text(value));
      expected.push(value);
    }
    await settle();
    assert.deepEqual(b.host.textsOf("b1"), expected);
    await c.close();
  });

  test("a message received twice (re-sent after a failed publish) is delivered once", async () => {
    const c = await cluster(1);
    const [a] = c.members;
    a.host.open("a1");
    const x = rawNode(c.hub, "x");
    await x.send(1, hello);
    await x.send(2, all("one"));
    await x.send(2, all("one"));
    await x.send(3, all("two"));
    await settle();
    assert.deepEqual(a.host.textsOf("a1"), ["one", "two"]);
    assert.equal(a.node.stats.duplicates, 1);
    await x.close();
    await c.close();
  });

  test("a gap is counted and reported, delivery goes on, and the node's presence is asked for again", async () => {
    const c = await cluster(1);
    const [a] = c.members;
    a.host.open("a1");
    const x = rawNode(c.hub, "x");
    await x.send(1, hello);
    await x.send(2, all("one"));
    await x.send(5, all("four"));
    await settle();
    assert.deepEqual(a.host.textsOf("a1"), ["one", "four"]);
    assert.equal(a.node.stats.missed, 2);
    assert.equal(a.host.errors.length, 1);
    assert.equal(a.host.errors[0].code, "gap");
    assert.equal(a.host.errors[0].node, "x");
    // a answered x's hello with its snapshot, then asked x for its own.
    assert.deepEqual(x.toIt.map((m) => m.kind), ["snapshot", "sync"]);
    // The snapshot x sends back repairs the replica.
    await x.send(5, {
      kind: "snapshot",
      snapshot: { connections: 1, members: [["x1", null, ["lobby"]]] },
    }, `anyws:node:${a.node.id}`);
    await settle();
    assert.equal(a.node.roomSize("lobby"), 1);
    await x.close();
    await c.close();
  });

  test("a heartbeat whose 'as of' number is ahead reveals lost messages at the end of a stream", async () => {
    const c = await cluster(1);
    const [a] = c.members;
    const x = rawNode(c.hub, "x");
    await x.send(1, hello);
    await x.send(4, { kind: "heartbeat", connections: 0 });
    await settle();
    assert.equal(a.node.stats.missed, 3);
    await x.close();
    await c.close();
  });

  test("a node first heard in the middle of its stream is asked for its presence", async () => {
    const c = await cluster(1);
    const [a] = c.members;
    const x = rawNode(c.hub, "x");
    await x.send(7, all("mid"));
    await settle();
    assert.deepEqual(x.toIt.map((m) => m.kind), ["sync"]);
    assert.equal(a.node.stats.missed, 0);
    await x.close();
    await c.close();
  });
});

describe("ClusterNode outages", () => {
  test("cross-node operations made during an outage are queued and arrive in order after it", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    a.host.open("a1");
    b.host.open("b1");
    a.backplane.goDown();
    b.backplane.goDown();
    a.node.broadcast(text("a-1"));
    a.node.broadcast(text("a-2"));
    b.node.broadcast(text("b-1"));
    await settle();
    assert.equal(a.node.stats.queued, 2);
    assert.equal(b.node.stats.queued, 1);
    a.backplane.comeUp();
    await settle();
    // a waits for b, known before the outage, to be listening again.
    assert.equal(a.node.stats.queued, 2);
    b.backplane.comeUp();
    await settle();
    a.node.broadcast(text("a-3"));
    await settle();
    assert.deepEqual(b.host.textsOf("b1"), ["a-1", "a-2", "a-3"]);
    assert.deepEqual(a.host.textsOf("a1"), ["b-1"]);
    assert.equal(a.node.stats.queued, 0);
    assert.equal(b.node.stats.missed + a.node.stats.missed, 0);
    await c.close();
  });

  test("while queued messages wait for a peer, heartbeats go on without overtaking them", async () => {
    const c = await cluster(3, { flushWait: 10 * DEAD_AFTER });
    const [a, b, d] = c.members;
    d.host.open("d1");
    for (const { backplane } of c.members) backplane.goDown();
    a.node.broadcast(text("held 1"));
    a.node.broadcast(text("held 2"));
    a.host.open("a1");
    a.backplane.comeUp();
    d.backplane.comeUp(); // b stays down: a holds its queue for b
    await c.clock.flow(2 * HEARTBEAT);
    // The two operations, and one snapshot for d (asked for twice, queued once).
    assert.equal(a.node.stats.queued, 3);
    // a's heartbeat (with its new connection) got through, as of before the held ones.
    assert.equal(d.node.connectionCount(), 2);
    assert.equal(d.node.stats.missed, 0);
    assert.deepEqual(d.host.textsOf("d1"), []);
    b.backplane.comeUp();
    await c.clock.flow(HEARTBEAT);
    assert.deepEqual(d.host.textsOf("d1"), ["held 1", "held 2"]);
    assert.equal(d.node.stats.missed + d.node.stats.duplicates, 0);
    await c.close();
  });

  test("a node back from an outage flushes after flushWait when a node known before never comes back", async () => {
    const c = await cluster(2, { flushWait: 2000 });
    const [a, b] = c.members;
    b.host.open("b1");
    a.backplane.goDown();
    a.node.broadcast(text("queued"));
    b.backplane.kill();
    a.backplane.comeUp();
    await c.clock.flow(1999);
    assert.equal(a.node.stats.queued, 1);
    await c.clock.flow(1);
    assert.equal(a.node.stats.queued, 0);
    await c.close();
  });

  test("a full outage buffer drops further operations: a counter, one error, and the receivers see the gap", async () => {
    const c = await cluster(2, { maxPendingMessages: 5 });
    const [a, b] = c.members;
    b.host.open("b1");
    a.backplane.goDown();
    for (let i = 0; i < 8; i++) a.node.broadcast(text(`m${i}`));
    assert.equal(a.node.stats.queued, 5);
    assert.equal(a.node.stats.dropped, 3);
    assert.deepEqual(a.host.errors.map((e) => e.code), ["dropped"]);
    a.backplane.comeUp();
    await settle();
    assert.deepEqual(b.host.textsOf("b1"), ["m0", "m1", "m2", "m3", "m4"]);
    await c.clock.flow(HEARTBEAT); // a's heartbeat says "as of 9"
    assert.equal(b.node.stats.missed, 3);
    assert.deepEqual(b.host.errors.map((e) => e.code), ["gap"]);
    await c.close();
  });

  test("a presence change missed during an outage is repaired by the snapshots asked for after it", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    b.host.open("b1");
    b.host.join("b1", "lobby");
    await settle();
    a.backplane.goDown();
    b.host.open("b2");
    b.host.join("b2", "lobby"); // published while a cannot hear
    b.host.leave("b1", "lobby");
    await settle();
    assert.equal(a.node.roomSize("lobby"), 1);
    assert.deepEqual(a.node.roomMembers("lobby").map((m) => m.connection), [
      "b1",
    ]);
    a.backplane.comeUp();
    await c.clock.flow(HEARTBEAT);
    assert.deepEqual(a.node.roomMembers("lobby").map((m) => m.connection), [
      "b2",
    ]);
    await c.close();
  });

  test("an outage longer than deadAfter: the nodes forget each other, then find each other again with their presence", async () => {
    const c = await cluster(2);
    const [a, b] = c.members;
    a.host.open("a1");
    a.host.join("a1", "lobby");
    b.host.open("b1");
    b.host.join("b1", "lobby");
    await settle();
    a.backplane.goDown();
    b.backplane.goDown();
    await c.clock.flow(DEAD_AFTER + 2 * HEARTBEAT);
    assert.deepEqual(a.node.nodes(), [a.node.id]);
    assert.equal(a.node.roomSize("lobby"), 1);
    a.backplane.comeUp();
    b.backplane.comeUp();
    await c.clock.flow(2 * HEARTBEAT);
    assert.deepEqual(a.node.nodes(), [a.node.id, b.node.id]);
    assert.deepEqual(b.node.nodes(), [b.node.id, a.node.id]);
    assert.equal(a.node.roomSize("lobby"), 2);
    assert.equal(b.node.roomSize("lobby"), 2);
    await c.close();
  });

  test("publishes that fail while the backplane still says up are re-sent in order after retryDelay, never twice", async () => {
    const { hub, clock, a, b, flaky } = await flakyPair();
    flaky.failing = true;
    a.node.broadcast(text("one"));
    a.node.broadcast(text("two"));
    await settle();
    flaky.failing = false; // the cause went away; a does not know yet
    a.node.broadcast(text("three")); // queued behind the failed ones
    assert.equal(a.node.stats.queued, 3);
    assert.deepEqual(a.host.errors.map((e) => e.code), ["backplane"]);
    await clock.flow(499);
    assert.deepEqual(b.host.textsOf("b1"), []);
    await clock.flow(1);
    assert.deepEqual(b.host.textsOf("b1"), ["one", "two", "three"]);
    assert.equal(b.node.stats.duplicates + b.node.stats.missed, 0);
    await closeAll(hub, [a, b]);
  });

  test("when a publish fails but a later one got through, the receiver never goes back: the late re-send counts as missed", async () => {
    const { hub, clock, a, b, flaky } = await flakyPair();
    flaky.failNext = 1;
    a.node.broadcast(text("one")); // fails
    a.node.broadcast(text("two")); // already on its way: gets through
    await settle();
    assert.equal(b.node.stats.missed, 1);
    await clock.flow(500); // "one" re-sent, now behind "two"
    assert.deepEqual(b.host.textsOf("b1"), ["two"]);
    assert.equal(b.node.stats.missed, 1);
    assert.equal(b.node.stats.duplicates, 1);
    await closeAll(hub, [a, b]);
  });
});

async function flakyPair() {
  const hub = new MemoryHub();
  const clock = new FakeClock();
  const flaky = new FlakyBackplane(hub.backplane());
  const a = new TestHost();
  a.attach(flaky, { clock, nodeName: "a", retryDelay: 500 });
  const b = join(hub, clock, "b");
  b.host.open("b1");
  await settle();
  return {
    hub,
    clock,
    flaky,
    a: { host: a, node: a.node, backplane: flaky },
    b,
  };
}

async function closeAll(
  _hub: MemoryHub,
  members: Array<{ node: ClusterNode; backplane: Backplane }>,
): Promise<void> {
  for (const { node, backplane } of members) {
    await node.close();
    await backplane.close();
  }
}

/** A backplane whose publishes reject (status still up) while `failing`, or the next `failNext`. */
class FlakyBackplane implements Backplane {
  failing = false;
  failNext = 0;
  #inner: Backplane;
  constructor(inner: Backplane) {
    this.#inner = inner;
  }
  get status() {
    return this.#inner.status;
  }
  publish(channel: string, bytes: Uint8Array): Promise<void> {
    if (this.failing || this.failNext > 0) {
      if (this.failNext > 0) this.failNext--;
      return Promise.reject(new Error("flaky"));
    }
    return this.#inner.publish(channel, bytes);
  }
  subscribe(channel: string, handler: BackplaneHandler): () => void {
    return this.#inner.subscribe(channel, handler);
  }
  onStatus(listener: (status: "up" | "down") => void): () => void {
    return this.#inner.onStatus(listener);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
