/**
 * An echo server in a process of its own, for the flow-control test: its
 * RSS is the server's alone. Options come from the environment
 * (`ANYWS_MAX_BUFFERED_AMOUNT`, bytes). It speaks the line protocol of
 * `ServerProcess` (`_hostile_helpers.ts`):
 *
 * - `{"id": 1, "cmd": "rss"}`: `{"id": 1, "rss": bytes}` after a full GC.
 * - `{"id": 2, "cmd": "peak"}`: the highest RSS sampled (every 20 ms) since
 *   the last `rss` command, `paused` (how many times the server stopped
 *   reading a connection), `closes` (close codes so far) and `errors`.
 * - `{"id": 3, "cmd": "stop"}`: stops the server and exits.
 *
 * The first line it prints is `{"port": n}`.
 *
 * @module
 */

import process from "node:process";
import { createInterface } from "node:readline";
import { Server } from "@anyws/anyws";
import { settledRss } from "./_hostile_helpers.ts";

const maxBufferedAmount = Number(
  process.env.ANYWS_MAX_BUFFERED_AMOUNT ?? 16 * 1024 * 1024,
);
const server = new Server({
  hostname: "127.0.0.1",
  port: 0,
  maxMessageSize: 2 * 1024 * 1024,
  maxBufferedAmount,
  rateLimit: false,
});
const closes: number[] = [];
const errors: string[] = [];
server.on("message", (data, conn) => conn.send(data));
server.on("close", (info) => closes.push(info.code));
server.on("error", (error) => errors.push(String(error)));
await server.listen();

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);

const print = (value: unknown): void => {
  process.stdout.write(JSON.stringify(value) + "\n");
};
print({ port: server.port });

const commands = createInterface({ input: process.stdin });
commands.on("line", async (line) => {
  const { id, cmd } = JSON.parse(line) as { id: number; cmd: string };
  switch (cmd) {
    case "rss": {
      const rss = await settledRss();
      peak = rss;
      print({ id, rss });
      return;
    }
    case "peak":
      peak = Math.max(peak, process.memoryUsage().rss);
      print({ id, peak, closes, errors });
      return;
    case "stop":
      clearInterval(sampler);
      await server.stop({ timeout: 1000 });
      commands.close();
      process.stdout.write(
        JSON.stringify({ id }) + "\n",
        () => process.exit(0),
      );
  }
});
