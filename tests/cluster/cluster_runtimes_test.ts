// A cross-runtime cluster of real Servers: a Deno, a Bun and a Node process
// (tests/_cluster_server_child.ts) on one private redis-server, a WebSocket
// client on each. Broadcasts, rooms, user emits, a connection id on another
// node and presence sizes agree everywhere; a SIGKILLed node disappears
// within deadAfter + heartbeatInterval; Redis killed and restarted while
// running: local delivery goes on, cross-node messages sent meanwhile are
// delivered in order after the reconnect, presence is right again. Also
// examples/bench_server.ts --redis: /bcast crosses nodes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { delay, openClient, waitFor, type WsClient } from "../_clients.ts";
import { RedisServer } from "../_redis.ts";
import { killAll, ROOT, Spawned } from "../_cli_process.ts";

const BIN = `${ROOT}node_modules/.bin`;
const HEARTBEAT = 250;
const DEAD_AFTER = 1000;
const TEST = { timeout: 180_000 };

const RUNTIMES: Record<string, (script: string) => [string, string[]]> = {
  deno: (script) => [`${BIN}/deno`, ["run", "-A", script]],
  bun: (script) => [`${BIN}/bun`, [script]],
  node: (script) => [`${BIN}/node`, [script]],
};

/** A client with every message kept, taken out by what it matches. */
class Peer {
  readonly messages: string[] = [];
  readonly client: WsClient;

  private constructor(client: WsClient) {
    this.client = client;
    client.ws.addEventListener("message", (event: MessageEvent) => {
      this.messages.push(String(event.data));
    });
  }

  static async open(port: number): Promise<Peer> {
    const client = await openClient(`ws://127.0.0.1:${port}/`);
    return new Peer(client);
  }

  /** Takes the first message `match` accepts, waiting at most `ms`. */
  async take(
    match: (message: string) => boolean,
    ms = 10_000,
  ): Promise<string> {
    let found = -1;
    await waitFor(
      () => (found = this.messages.findIndex(match)) >= 0,
      ms,
      `a message (have: ${JSON.stringify(this.messages.slice(-5))})`,
    );
    return this.messages.splice(found, 1)[0];
  }

  /** Sends `command`; returns the reply starting with `prefix `. */
  async ask(command: string, prefix: string): Promise<string> {
    this.client.ws.send(command);
    return (await this.take((m) => m.startsWith(`${prefix} `)))
      .slice(prefix.length + 1);
  }

  /** Asks until the reply is `expected` (presence travels asynchronously). */
  async until(
    command: string,
    prefix: string,
    expected: string,
    ms = 10_000,
  ): Promise<void> {
    const deadline = Date.now() + ms;
    let last = "";
    while ((last = await this.ask(command, prefix)) !== expected) {
      if (Date.now() > deadline) {
        throw new Error(`${command}: ${last}, expected ${expected}`);
      }
      await delay(20);
    }
  }
}

interface Node {
  runtime: string;
  process: Spawned;
  port: number;
  id: string;
}

async function startNode(runtime: string, url: string): Promise<Node> {
  const [command, args] = RUNTIMES[runtime](
    `${ROOT}tests/_cluster_server_child.ts`,
  );
  const child = new Spawned(
    command,
    [...args, url, runtime, String(HEARTBEAT), String(DEAD_AFTER)],
    { stdin: "pipe" },
  );
  const [, port, id] = await child.line(/^ready (\d+) (\S+)$/, 60_000);
  return { runtime, process: child, port: Number(port), id };
}

describe("a cluster of a Deno, a Bun and a Node server on one Redis", () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await killAll();
    await redis.stop();
  });

  test(
    "broadcasts, rooms, users, connection ids and presence agree; a SIGKILLed node leaves within the bound; Redis killed and restarted",
    TEST,
    async () => {
      const nodes = await Promise.all(
        Object.keys(RUNTIMES).map((runtime) => startNode(runtime, redis.url)),
      );
      const [deno, bun, node] = nodes;
      const peers = await Promise.all(nodes.map((n) => Peer.open(n.port)));
      const [ann, bob, cid] = peers; // ann on Deno, bob on Bun, cid on Node
      for (const peer of peers) await peer.until("nodes", "nodes", "3", 20_000);

      const users = ["ann", "bob", "cid"];
      for (const [i, peer] of peers.entries()) {
        assert.equal(await peer.ask(`login ${users[i]}`, "login"), users[i]);
        assert.equal(await peer.ask("join lobby", "joined"), "lobby");
      }
      for (const peer of peers) {
        await peer.until("size lobby", "size", "3");
        await peer.until("members lobby", "members", "ann,bob,cid");
        assert.equal(await peer.ask("count", "count"), "3 missing 0");
      }

      // Every broadcast reaches every client once, whichever node sent it.
      for (const [i, peer] of peers.entries()) {
        peer.client.ws.send(`all from-${users[i]}`);
      }
      for (const peer of peers) {
        const got = [];
        for (let i = 0; i < 3; i++) {
          got.push(await peer.take((m) => m.startsWith("all ")));
        }
        assert.deepEqual(got.sort(), [
          "all from-ann",
          "all from-bob",
          "all from-cid",
        ]);
      }
      bob.client.ws.send("room lobby hi");
      for (const peer of peers) {
        assert.equal(await peer.take((m) => m.startsWith("room ")), "room hi");
      }
      ann.client.ws.send("user cid for-cid");
      assert.equal(
        await cid.take((m) => m.startsWith("user ")),
        "user for-cid",
      );
      const annId = await ann.ask("id", "id");
      cid.client.ws.send(`conn ${annId} psst`);
      assert.equal(await ann.take((m) => m.startsWith("conn ")), "conn psst");
      await delay(200);
      for (const peer of peers) {
        assert.deepEqual(
          peer.messages.filter((m) => /^(all|room|user|conn) /.test(m)),
          [],
        );
      }

      // SIGKILL the Bun node: gone from the others' presence within the bound.
      await delay(2 * HEARTBEAT);
      const killedAt = Date.now();
      bun.process.kill("SIGKILL");
      await Promise.all([
        ann.until("size lobby", "size", "2", 10_000),
        cid.until("size lobby", "size", "2", 10_000),
      ]);
      const gone = Date.now() - killedAt;
      console.log(
        `SIGKILLed Bun node gone after ${gone} ms (bound ${
          DEAD_AFTER + HEARTBEAT
        } ms)`,
      );
      assert.ok(gone <= DEAD_AFTER + HEARTBEAT + 1000, `gone after ${gone} ms`);
      for (const peer of [ann, cid]) {
        await peer.until("nodes", "nodes", "2");
        assert.equal(await peer.ask("members lobby", "members"), "ann,cid");
        assert.equal(await peer.ask("count", "count"), "2 missing 0");
      }

      // Redis dies: local delivery goes on; what crosses nodes meanwhile is
      // queued and delivered in order once Redis is back.
      await redis.kill();
      ann.client.ws.send("all outage-1");
      ann.client.ws.send("all outage-2");
      ann.client.ws.send("room lobby outage-3");
      assert.equal(await ann.take((m) => m.startsWith("all ")), "all outage-1");
      assert.equal(await ann.take((m) => m.startsWith("all ")), "all outage-2");
      assert.equal(
        await ann.take((m) => m.startsWith("room ")),
        "room outage-3",
      );
      await delay(500);
      assert.deepEqual(cid.messages.filter((m) => m.includes("outage")), []);
      await redis.restart();
      const crossed = [];
      for (let i = 0; i < 3; i++) {
        crossed.push(
          await cid.take((m) => m.includes("outage"), 20_000),
        );
      }
      assert.deepEqual(crossed, [
        "all outage-1",
        "all outage-2",
        "room outage-3",
      ]);
      for (const peer of [ann, cid]) {
        await peer.until("size lobby", "size", "2", 10_000);
        await peer.until("nodes", "nodes", "2", 10_000);
      }
      cid.client.ws.send("all after");
      assert.equal(await ann.take((m) => m === "all after"), "all after");

      // SIGTERM: clients get 1001, the process exits 0.
      for (const [i, n] of [deno, node].entries()) {
        const closed = [ann, cid][i].client.closed;
        n.process.kill("SIGTERM");
        assert.equal((await closed).code, 1001);
        assert.deepEqual(await n.process.waitExit(), { code: 0, signal: null });
      }
    },
  );

  test(
    "examples/bench_server.ts --redis: a /bcast message reaches the /bcast connections of every node",
    TEST,
    async () => {
      const servers = [];
      for (const runtime of ["node", "bun", "deno"]) {
        const [command, args] = RUNTIMES[runtime](
          `${ROOT}examples/bench_server.ts`,
        );
        const server = new Spawned(command, [
          ...args,
          "0",
          "--redis",
          redis.url,
        ]);
        const [, port] = await server.line(
          /^bench_server listening on ws:\/\/127\.0\.0\.1:(\d+) \(no compression\)$/,
          60_000,
        );
        servers.push({ server, port: Number(port) });
      }
      const clients = await Promise.all(
        servers.map(({ port }) => openClient(`ws://127.0.0.1:${port}/bcast`)),
      );
      const echo = await openClient(`ws://127.0.0.1:${servers[1].port}/echo`);
      // Until the nodes have met, a message may not cross: send until it did.
      let crossed = false;
      for (let i = 0; i < 100 && !crossed; i++) {
        clients[0].ws.send(`m${i}`);
        assert.equal(await clients[0].next(), `m${i}`); // local, at once
        const far = await Promise.all(
          clients.slice(1).map((c) => c.next(500).catch(() => undefined)),
        );
        crossed = far.every((m) => m === `m${i}`);
        for (const c of clients) c.queue.length = 0;
      }
      assert.ok(crossed, "a /bcast message reached the other two nodes");
      echo.ws.send("only me");
      assert.equal(await echo.next(), "only me");
      await delay(100);
      assert.deepEqual(clients.map((c) => c.queue), [[], [], []]);
      for (const { server } of servers) server.kill("SIGKILL");
    },
  );
});
