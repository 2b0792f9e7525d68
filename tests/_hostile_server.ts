/**
 * The server of the hostile suite's memory check, run in a process of its
 * own (by `ServerProcess` in `_hostile_helpers.ts`) so that its RSS is the
 * server's alone: neither the attacking clients nor the test runner (nor,
 * under `deno test`, the type checker) share it.
 *
 * It echoes messages, routes a `chat` event, and answers commands, one JSON
 * object per line on stdin, with one JSON line on stdout:
 *
 * - `{"id": 1, "cmd": "rss"}`: `{"id": 1, "rss": bytes, "size": open
 *   connections, "unexpected": [...], "unhandled": [...]}` after a full GC
 *   (`unexpected`: error events that were not a peer's violation;
 *   `unhandled`: unhandled rejections and uncaught exceptions).
 * - `{"id": 2, "cmd": "starve", "tag": "t1"}`: broadcasts 64 KiB messages to
 *   every connection but the canary's until the one opened with `?tag=t1`
 *   closes; answers its close code and how many messages were broadcast.
 * - `{"id": 3, "cmd": "stop"}`: stops the server and exits.
 *
 * The first line it prints is `{"port": n}`.
 *
 * @module
 */

import process from "node:process";
import { createInterface } from "node:readline";
import { ProtocolError } from "../src/protocol/errors.ts";
import { Server } from "@anyws/anyws";
import { delay, ProcessWatch, settledRss } from "./_hostile_helpers.ts";

const watch = new ProcessWatch();
watch.install();
const unexpected: string[] = [];
/** The tag `starve` waits for, then the close code of its connection. */
let starving: { tag: string; code?: number } | undefined;

const server = new Server({ hostname: "127.0.0.1", port: 0 });
server.on("message", (data, conn) => conn.send(data));
server.on("chat", (data) => data);
server.on("error", (error) => {
  if (!(error instanceof ProtocolError)) unexpected.push(String(error));
});
server.on("close", (info, conn) => {
  // Only the connection `starve` waits for: a record of every tagged close
  // would itself grow by hundreds of entries a round.
  if (
    starving !== undefined && conn.request.query.get("tag") === starving.tag
  ) {
    starving.code = info.code;
  }
});
await server.listen();

const print = (value: unknown): void => {
  process.stdout.write(JSON.stringify(value) + "\n");
};
print({ port: server.port });

const commands = createInterface({ input: process.stdin });
commands.on("line", async (line) => {
  const { id, cmd, tag } = JSON.parse(line) as {
    id: number;
    cmd: string;
    tag?: string;
  };
  switch (cmd) {
    case "rss": {
      const rss = await settledRss();
      print({
        id,
        rss,
        heapUsed: process.memoryUsage().heapUsed,
        size: server.connections.size,
        unexpected,
        unhandled: watch.errors,
      });
      return;
    }
    case "starve": {
      const chunk = new Uint8Array(64 * 1024);
      const started = Date.now();
      const target: { tag: string; code?: number } = { tag: tag! };
      starving = target;
      let broadcasts = 0;
      while (target.code === undefined && Date.now() - started < 20_000) {
        server.broadcast(chunk, (conn) => !conn.request.query.has("canary"));
        broadcasts++;
        await delay(0);
      }
      starving = undefined;
      print({ id, code: target.code ?? null, broadcasts });
      return;
    }
    case "stop":
      await server.stop({ timeout: 1000 });
      commands.close();
      watch.uninstall();
      process.stdout.write(
        JSON.stringify({ id }) + "\n",
        () => process.exit(0),
      );
  }
});
