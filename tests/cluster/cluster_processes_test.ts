// A cluster across processes and runtimes: a Deno, a Bun and a Node child
// process, each a ClusterNode on one real redis-server, with this test's
// process as a fourth node. They speak the same wire format; and a child
// killed with SIGKILL disappears from this node's view within the bound.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { redisBackplane } from "../../engines/redis.ts";
import { SharedMessage } from "../../src/driver/shared_message.ts";

const encodeMessage = (message: string | Uint8Array): Uint8Array =>
  SharedMessage.of(message).plainFrame();
import { RedisServer } from "../_redis.ts";
import { TestHost } from "../_cluster_host.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = `${ROOT}node_modules/.bin`;
const CHILD = `${ROOT}tests/_cluster_child.ts`;
const HEARTBEAT = 250;
const DEAD_AFTER = 1000;

const RUNTIMES: Record<string, string[]> = {
  deno: [`${BIN}/deno`, "run", "-A", CHILD],
  bun: [`${BIN}/bun`, CHILD],
  node: [`${BIN}/node`, CHILD],
};

interface Child {
  name: string;
  process: ChildProcess;
  id: Promise<string>;
  lines: string[];
}

function startChild(name: string, url: string): Child {
  const [command, ...args] = RUNTIMES[name];
  const child = spawn(
    command,
    [...args, url, name, String(HEARTBEAT), String(DEAD_AFTER)],
    { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines: string[] = [];
  let buffer = "";
  let ready: (id: string) => void;
  const id = new Promise<string>((resolve) => ready = resolve);
  child.stdout!.on("data", (chunk: Uint8Array) => {
    buffer += new TextDecoder().decode(chunk);
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.startsWith("ready ")) ready(line.slice(6));
      else lines.push(line);
    }
  });
  return { name, process: child, id, lines };
}

async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("a cluster of a Deno, a Bun and a Node process", () => {
  let redis: RedisServer;
  const children: Child[] = [];
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    for (const child of children) {
      if (
        child.process.exitCode === null && child.process.signalCode === null
      ) {
        child.process.kill("SIGKILL");
        await new Promise((resolve) => child.process.once("exit", resolve));
      }
    }
    await redis.stop();
  });

  test("they agree on presence, deliver each other's broadcasts, and a SIGKILLed one is gone within deadAfter + heartbeatInterval", async () => {
    const host = new TestHost();
    host.open("c-test");
    const backplane = redisBackplane({ url: redis.url, log: () => {} });
    const node = host.attach(backplane, {
      nodeName: "test",
      heartbeatInterval: HEARTBEAT,
      deadAfter: DEAD_AFTER,
    });
    try {
      for (const name of Object.keys(RUNTIMES)) {
        children.push(startChild(name, redis.url));
      }
      const ids = await Promise.all(children.map((child) => child.id));
      await waitFor("all four nodes", () => node.nodes().length === 4);
      assert.deepEqual(node.nodes().slice(1).sort(), [...ids].sort());
      await waitFor(
        "three members in lobby",
        () => node.roomSize("lobby") === 3,
      );
      assert.deepEqual(
        node.roomMembers("lobby").map((m) => m.user).sort(),
        ["bun", "deno", "node"],
      );

      node.broadcast(encodeMessage("from test"));
      for (const child of children) {
        child.process.stdin!.write(`broadcast from ${child.name}\n`);
      }
      await waitFor(
        "every broadcast everywhere",
        () =>
          host.textsOf("c-test").length === 3 &&
          children.every((child) => child.lines.length === 3),
      );
      assert.deepEqual(host.textsOf("c-test").sort(), [
        "from bun",
        "from deno",
        "from node",
      ]);
      for (const child of children) {
        const others = Object.keys(RUNTIMES).filter((n) => n !== child.name);
        assert.deepEqual(
          child.lines.sort(),
          ["got from test", ...others.map((n) => `got from ${n}`)].sort(),
        );
      }

      const victim = children[1];
      const victimId = await victim.id;
      await new Promise((resolve) => setTimeout(resolve, 2 * HEARTBEAT));
      const killedAt = Date.now();
      victim.process.kill("SIGKILL");
      await waitFor(
        "the killed node gone",
        () => !node.nodes().includes(victimId),
        10_000,
      );
      const gone = Date.now() - killedAt;
      console.log(
        `SIGKILLed node gone after ${gone} ms (bound ${
          DEAD_AFTER + HEARTBEAT
        } ms)`,
      );
      // The bound, plus timer latency on a loaded machine.
      assert.ok(gone <= DEAD_AFTER + HEARTBEAT + 500, `gone after ${gone} ms`);
      assert.equal(node.roomSize("lobby"), 2);
      const count = await node.queryConnections();
      assert.deepEqual(count.missing, []);
      assert.equal(count.value, 3);

      for (const child of children) {
        if (child !== victim) child.process.stdin!.write("quit\n");
      }
      await Promise.all(
        children.filter((c) => c !== victim).map((c) =>
          new Promise((resolve) => c.process.once("exit", resolve))
        ),
      );
      await waitFor(
        "the others gone (goodbye)",
        () => node.nodes().length === 1,
        2000,
      );
    } finally {
      await node.close();
      await backplane.close();
    }
  });
});
