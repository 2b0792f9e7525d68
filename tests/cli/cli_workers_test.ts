// `anyws start --workers N`: the supervisor (on this runtime, workers on the
// same runtime) on one port and a private redis-server. Connections split
// between the workers; a broadcast crosses them; a SIGKILLed worker is
// restarted; SIGTERM closes every client with 1001 and exits 0; a crash
// loop ends with a reason; no backplane, no workers.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { openClient, type WsClient } from "../_clients.ts";
import { RedisServer } from "../_redis.ts";
import { killAll, Spawned } from "../_cli_process.ts";

const TEST = { timeout: 120_000 };
const HANDLER = "tests/_worker_handler.ts";
const READY =
  /^anyws supervisor: 2 workers listening on ws:\/\/127\.0\.0\.1:(\d+)/;

async function pidOf(client: WsClient): Promise<number> {
  const first = String(await client.next(10_000));
  assert.match(first, /^pid \d+$/);
  return Number(first.slice(4));
}

async function openMany(
  url: string,
  count: number,
): Promise<Array<{ client: WsClient; pid: number }>> {
  const opened = [];
  for (let i = 0; i < count; i++) {
    const client = await openClient(url, { timeout: 10_000 });
    opened.push({ client, pid: await pidOf(client) });
  }
  return opened;
}

describe("anyws start --workers", () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await killAll();
    await redis.stop();
  });

  test(
    "--workers 2 without a backplane refuses with one line and exit code 2",
    TEST,
    async () => {
      const cli = Spawned.cli(["start", "--workers", "2", "--port", "0"]);
      assert.deepEqual(await cli.waitExit(), { code: 2, signal: null });
      const lines = cli.stderr.trim().split("\n");
      assert.equal(lines.length, 1, cli.stderr);
      assert.match(
        lines[0],
        /^anyws: --workers 2 needs a backplane: add --redis/,
      );
    },
  );

  test(
    "two workers share the port and the cluster; a SIGKILLed worker comes back; SIGTERM gives every client 1001 and exits 0",
    TEST,
    async () => {
      const cli = Spawned.cli([
        "start",
        "--workers",
        "2",
        "--redis",
        redis.url,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--handler",
        HANDLER,
        "--quiet",
      ]);
      const port = Number((await cli.line(READY, 60_000))[1]);
      const url = `ws://127.0.0.1:${port}/`;
      // The kernel spreads connections by a hash: 24 all on one of two
      // workers would happen once in 2^23 runs.
      const clients = await openMany(url, 24);
      const pids = new Set(clients.map((c) => c.pid));
      assert.equal(pids.size, 2, `pids: ${[...pids]}`);

      // A broadcast from one worker reaches the clients of both.
      const [first] = clients;
      // Retried until the workers have met on Redis.
      let delivered = false;
      for (let attempt = 0; attempt < 50 && !delivered; attempt++) {
        first.client.ws.send(`all hello-${attempt}`);
        const other = clients.find((c) => c.pid !== first.pid)!;
        const got = String(await other.client.next(2000).catch(() => ""));
        delivered = got === `all hello-${attempt}`;
      }
      assert.ok(delivered, "a broadcast crossed the workers");
      for (const c of clients) c.client.queue.length = 0;

      // SIGKILL one worker: its clients drop, it is restarted, and new
      // connections reach the new process.
      const victim = first.pid;
      process.kill(victim, "SIGKILL");
      await cli.line(
        /^anyws supervisor: worker w\d \(pid \d+\) was killed by SIGKILL; restarting it in \d+ ms$/,
        10_000,
        0,
        "stderr",
      );
      await cli.line(/^\[w\d\] anyws listening on /, 60_000, 2);
      const survivors = clients.filter((c) => c.pid !== victim);
      for (const c of clients.filter((c) => c.pid === victim)) {
        const closed = await c.client.closed;
        assert.notEqual(closed.code, 1000);
      }
      let fresh: number | undefined;
      for (let i = 0; i < 40 && fresh === undefined; i++) {
        const [extra] = await openMany(url, 1);
        survivors.push(extra);
        if (!pids.has(extra.pid)) fresh = extra.pid;
      }
      assert.ok(fresh !== undefined, "a client reached the restarted worker");

      // SIGTERM: every client is closed with 1001, the supervisor exits 0.
      const closes = survivors.map((c) => c.client.closed);
      cli.kill("SIGTERM");
      for (const closed of await Promise.all(closes)) {
        assert.equal(closed.code, 1001);
      }
      assert.deepEqual(await cli.waitExit(30_000), { code: 0, signal: null });
      assert.match(
        cli.stdout,
        /^anyws supervisor: SIGTERM: stopping 2 worker\(s\)$/m,
      );
    },
  );

  test(
    "workers that crash in a loop: the supervisor gives up with a reason and exit code 1",
    TEST,
    async () => {
      const cli = Spawned.cli(
        [
          "start",
          "--workers",
          "2",
          "--redis",
          redis.url,
          "--host",
          "127.0.0.1",
          "--port",
          "0",
          "--handler",
          HANDLER,
        ],
        { env: { ANYWS_TEST_CRASH: "1" } },
      );
      assert.deepEqual(await cli.waitExit(90_000), { code: 1, signal: null });
      assert.match(
        cli.stderr,
        /^anyws supervisor: workers crashed 5 times within 60 s \(last: worker w\d exited with code 1\); giving up$/m,
      );
      assert.match(cli.stderr, /restarting it in 250 ms/);
    },
  );
});
