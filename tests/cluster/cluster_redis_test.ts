// The Redis backplane against a real redis-server that the tests start,
// SIGKILL and restart themselves (tests/_redis.ts).
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { type RedisBackplane, redisBackplane } from "../../engines/redis.ts";
import { SharedMessage } from "../../src/driver/shared_message.ts";

const encodeMessage = (message: string | Uint8Array): Uint8Array =>
  SharedMessage.of(message).plainFrame();
import { RedisServer } from "../_redis.ts";
import { TestHost } from "../_cluster_host.ts";

/** Unhandled rejections seen while this file runs (there must be none). */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whatever a test opened, closed after it even when it fails. */
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
});

/** A backplane whose log lines are kept, with fast reconnects. */
function backplane(url: string, lines: string[] = []): RedisBackplane {
  return track(redisBackplane({
    url,
    minReconnectDelay: 20,
    maxReconnectDelay: 200,
    connectTimeout: 1000,
    log: (line) => lines.push(line),
  }));
}

function track<T extends { close(): Promise<void> }>(thing: T): T {
  opened.push(thing);
  return thing;
}

const bytes = (...values: number[]) => Uint8Array.from(values);

describe("Redis backplane", () => {
  let redis: RedisServer;
  before(async () => {
    process.on("unhandledRejection", onUnhandled);
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis.stop();
    process.off("unhandledRejection", onUnhandled);
    assert.deepEqual(unhandled, []);
  });

  test("messages published by one instance reach another's subscription, as plain Uint8Arrays, in order across channels", async () => {
    const a = backplane(redis.url);
    const b = backplane(redis.url);
    const got: string[] = [];
    b.subscribe("x", (m) => {
      assert.equal(Object.getPrototypeOf(m), Uint8Array.prototype);
      got.push(`x${m[0]}`);
    });
    b.subscribe("y", (m) => got.push(`y${m[0]}`));
    assert.equal(await a.whenUp(5000), true);
    assert.equal(await b.whenUp(5000), true);
    const expected: string[] = [];
    for (let i = 0; i < 100; i++) {
      const channel = i % 3 === 0 ? "y" : "x";
      a.publish(channel, bytes(i));
      expected.push(`${channel}${i}`);
    }
    await waitFor("100 messages", () => got.length === 100);
    assert.deepEqual(got, expected);
    await a.close();
    await b.close();
  });

  test("a subscription added while up is active before the status is up again", async () => {
    const lines: string[] = [];
    const a = backplane(redis.url);
    const b = backplane(redis.url, lines);
    assert.equal(await b.whenUp(5000), true);
    assert.equal(await a.whenUp(5000), true);
    const got: number[] = [];
    b.subscribe("late", (m) => got.push(m[0]));
    assert.equal(b.status, "down");
    assert.equal(await b.whenUp(5000), true);
    // Not a lost connection: no status line about it.
    assert.deepEqual(lines, ["anyws: connected to Redis at " + redis.url]);
    await a.publish("late", bytes(1));
    await waitFor("the message", () => got.length === 1);
    await a.close();
    await b.close();
  });

  test("an unsubscribed handler gets nothing more; a handler that throws breaks nothing", async () => {
    const errors: Error[] = [];
    const a = backplane(redis.url);
    const b = track(redisBackplane({
      url: redis.url,
      log: () => {},
      onError: (error) => errors.push(error),
    }));
    const got: number[] = [];
    const off = b.subscribe("x", (m) => got.push(m[0]));
    b.subscribe("x", () => {
      throw new Error("handler bug");
    });
    assert.equal(await b.whenUp(5000), true);
    assert.equal(await a.whenUp(5000), true);
    await a.publish("x", bytes(1));
    await waitFor("the first message", () => got.length === 1);
    off();
    await a.publish("x", bytes(2));
    await b.publish("x", bytes(3));
    await sleep(100);
    assert.deepEqual(got, [1]);
    assert.deepEqual(errors.map((e) => e.message), [
      "handler bug",
      "handler bug",
      "handler bug",
    ]);
    await a.close();
    await b.close();
  });

  test("its session storage: SET with an expiry, GETDEL (one taker), and rejections while Redis is away or after close", async () => {
    const a = backplane(redis.url);
    const b = backplane(redis.url);
    assert.equal(await a.whenUp(5000), true);
    assert.equal(await b.whenUp(5000), true);
    await a.sessions.set("test:session:t1", '{"id":"c1"}', 60_000);
    assert.equal(await b.sessions.take("test:session:t1"), '{"id":"c1"}');
    assert.equal(await a.sessions.take("test:session:t1"), undefined);
    await a.sessions.set("test:session:t2", "x", 50);
    await sleep(150);
    assert.equal(await b.sessions.take("test:session:t2"), undefined);
    // Two nodes taking the same key at once: one gets it.
    await a.sessions.set("test:session:t3", "y", 60_000);
    const taken = await Promise.all([
      a.sessions.take("test:session:t3"),
      b.sessions.take("test:session:t3"),
    ]);
    assert.deepEqual(taken.filter((value) => value !== undefined), ["y"]);
    await redis.kill();
    await waitFor("down", () => a.status === "down");
    await assert.rejects(a.sessions.take("k"), /not connected/);
    await assert.rejects(a.sessions.set("k", "v", 1000), /not connected/);
    await redis.restart();
    assert.equal(await a.whenUp(5000), true);
    await a.close();
    await assert.rejects(a.sessions.take("k"), /Backplane closed/);
    await b.close();
  });

  test("killed and restarted: the status goes down then up, publish rejects meanwhile, subscriptions are restored", async () => {
    const lines: string[] = [];
    const a = backplane(redis.url);
    const b = backplane(redis.url, lines);
    const statuses: string[] = [];
    b.onStatus((status) => statuses.push(status));
    const got: number[] = [];
    b.subscribe("x", (m) => got.push(m[0]));
    assert.equal(await b.whenUp(5000), true);
    assert.equal(await a.whenUp(5000), true);
    statuses.length = 0;
    await redis.kill();
    await waitFor(
      "both down",
      () => a.status === "down" && b.status === "down",
    );
    await assert.rejects(a.publish("x", bytes(1)), /not connected/);
    await sleep(300); // several failed reconnection attempts
    await redis.restart();
    assert.equal(await a.whenUp(5000), true);
    assert.equal(await b.whenUp(5000), true);
    await a.publish("x", bytes(2));
    await waitFor("the message after the restart", () => got.length === 1);
    assert.deepEqual(got, [2]);
    assert.deepEqual(statuses, ["down", "up"]);
    assert.ok(
      lines.some((line) =>
        /lost Redis at redis:\/\/127\.0\.0\.1:\d+ \(/.test(line)
      ),
      lines.join("\n"),
    );
    assert.match(lines.at(-1)!, /connected to Redis/);
    await a.close();
    await b.close();
  });

  test("Redis down at start: starts degraded with one log line, publish rejects, then connects when Redis appears", async () => {
    const later = track(await RedisServer.create());
    const lines: string[] = [];
    const b = backplane(later.url, lines);
    try {
      const got: number[] = [];
      b.subscribe("x", (m) => got.push(m[0]));
      assert.equal(await b.whenUp(500), false);
      assert.equal(b.status, "down");
      await assert.rejects(b.publish("x", bytes(1)), /not connected/);
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(
        lines[0],
        /^anyws: Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable \(.*\): starting degraded/,
      );
      await later.restart();
      assert.equal(await b.whenUp(5000), true);
      await b.publish("x", bytes(7));
      await waitFor("its own message", () => got.length === 1);
      assert.match(lines[1], /connected to Redis/);
    } finally {
      await b.close();
      await later.stop();
    }
  });

  test("close() returns promptly while Redis is unreachable, and the password never reaches the log", async () => {
    const lines: string[] = [];
    const b = backplane("redis://user:secret@127.0.0.1:1", lines);
    await sleep(200);
    const started = Date.now();
    await b.close();
    assert.ok(Date.now() - started < 1000);
    assert.equal(b.status, "down");
    await assert.rejects(b.publish("x", bytes(1)), /closed/);
    assert.ok(lines.length > 0);
    assert.ok(!lines.join("\n").includes("secret"), lines.join("\n"));
  });
});

describe("ClusterNode over Redis", () => {
  let redis: RedisServer;
  before(async () => {
    process.on("unhandledRejection", onUnhandled);
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis.stop();
    process.off("unhandledRejection", onUnhandled);
    assert.deepEqual(unhandled, []);
  });

  async function pair(options: { maxPendingMessages?: number } = {}) {
    const make = async (name: string) => {
      const host = new TestHost();
      const plane = backplane(redis.url);
      track(host.attach(plane, {
        nodeName: name,
        heartbeatInterval: 100,
        deadAfter: 2000,
        flushWait: 2000,
        ...options,
      }));
      assert.equal(await plane.whenUp(5000), true);
      return { host, node: host.node, plane };
    };
    const a = await make("a");
    const b = await make("b");
    await waitFor(
      "the nodes to know each other",
      () => a.node.nodes().length === 2 && b.node.nodes().length === 2,
    );
    return {
      a,
      b,
      async close() {
        for (const { node, plane } of [a, b]) {
          await node.close();
          await plane.close();
        }
      },
    };
  }

  test("operations, presence and queries work across two nodes", async () => {
    const { a, b, close } = await pair();
    a.host.open("a1", "ann");
    b.host.open("b1", "bob");
    a.host.join("a1", "lobby");
    b.host.join("b1", "lobby");
    await waitFor(
      "cluster-wide sizes",
      () => a.node.roomSize("lobby") === 2 && b.node.roomSize("lobby") === 2,
    );
    a.node.toRooms(["lobby"], encodeMessage("hi lobby"));
    a.node.toUser("bob", encodeMessage("hi bob"));
    await waitFor("two messages", () => b.host.textsOf("b1").length === 2);
    assert.deepEqual(b.host.textsOf("b1"), ["hi lobby", "hi bob"]);
    const members = await b.node.queryMembers("lobby");
    assert.deepEqual(members.missing, []);
    assert.deepEqual(members.value.map((m) => m.user).sort(), ["ann", "bob"]);
    assert.equal((await a.node.queryConnections()).value, 2);
    await close();
  });

  test("a node started on a backplane that is already up says hello without a failed publish", async () => {
    const plane = backplane(redis.url);
    assert.equal(await plane.whenUp(5000), true);
    const host = new TestHost();
    track(host.attach(plane, { nodeName: "late", heartbeatInterval: 100 }));
    const other = new TestHost();
    const otherPlane = backplane(redis.url);
    track(
      other.attach(otherPlane, { nodeName: "other", heartbeatInterval: 100 }),
    );
    await waitFor(
      "the nodes to meet",
      () => host.node.nodes().length === 2 && other.node.nodes().length === 2,
    );
    assert.deepEqual(host.errors, []);
    assert.deepEqual(other.errors, []);
  });

  test("Redis killed and restarted: operations made meanwhile arrive in order afterwards, presence survives, nothing is lost", async () => {
    const { a, b, close } = await pair();
    a.host.open("a1");
    b.host.open("b1");
    b.host.join("b1", "lobby");
    await waitFor("b's join at a", () => a.node.roomSize("lobby") === 1);
    await redis.kill();
    await waitFor("a down", () => a.node.status === "down");
    a.node.broadcast(encodeMessage("during 1"));
    a.node.broadcast(encodeMessage("during 2"));
    a.node.broadcast(encodeMessage("during 3"));
    assert.equal(a.node.stats.queued, 3);
    await sleep(300);
    await redis.restart();
    await waitFor(
      "the queued messages",
      () => b.host.textsOf("b1").length === 3,
    );
    a.node.broadcast(encodeMessage("after"));
    await waitFor(
      "the next message",
      () => b.host.textsOf("b1").length === 4,
    );
    assert.deepEqual(b.host.textsOf("b1"), [
      "during 1",
      "during 2",
      "during 3",
      "after",
    ]);
    assert.equal(a.node.stats.queued, 0);
    assert.equal(b.node.stats.missed, 0);
    assert.equal(a.node.roomSize("lobby"), 1);
    await close();
  });

  test("Redis killed with the outage buffer too small: the overflow is dropped, counted, reported, and the receiver counts the gap", async () => {
    const { a, b, close } = await pair({ maxPendingMessages: 2 });
    b.host.open("b1");
    await redis.kill();
    await waitFor("a down", () => a.node.status === "down");
    for (let i = 0; i < 5; i++) a.node.broadcast(encodeMessage(`m${i}`));
    assert.equal(a.node.stats.dropped, 3);
    assert.deepEqual(a.host.errors.map((e) => e.code), ["dropped"]);
    await redis.restart();
    await waitFor(
      "the kept messages",
      () => b.host.textsOf("b1").length === 2,
    );
    await waitFor("the gap seen", () => b.node.stats.missed === 3);
    assert.deepEqual(b.host.textsOf("b1"), ["m0", "m1"]);
    await close();
  });
});
