/**
 * The benchmark contract server: listens on 127.0.0.1, port from the first
 * argument or `PORT`.
 *
 * - `/echo` sends every message back with the same opcode;
 * - `/bcast` sends every message to all open `/bcast` connections, the
 *   sender included, with one broadcast call (to the room `bcast`).
 *
 * With `--redis URL` (or `REDIS_URL`) it joins the cluster on that Redis:
 * a `/bcast` message then reaches the `/bcast` connections of every node,
 * so a load generator can measure cross-node delivery.
 *
 * Accepts messages up to 128 MiB in any number of fragments; prints
 * nothing per message. Without options it negotiates no extension;
 * `--deflate` (or `--deflate=shared`) turns permessage-deflate on in shared
 * mode, `--deflate=dedicated` in dedicated mode, `--deflate-threshold=N`
 * sets the size below which messages go uncompressed (`DEFLATE` and
 * `DEFLATE_THRESHOLD` in the environment do the same; see `_bench_flags.ts`).
 * Runs unchanged with `deno run -A`, `bun` and `node`.
 *
 * @module
 */

import { Server, type ServerOptions } from "../mod.ts";
import { benchServerFlags, describeDeflate } from "./_bench_flags.ts";
import { args, env } from "./_env.ts";

const flags = benchServerFlags(args(), (name) => env(name, "") || undefined);
const options: ServerOptions = {
  hostname: "127.0.0.1",
  port: flags.port,
  maxMessageSize: 128 * 1024 * 1024,
  maxBufferedAmount: 512 * 1024 * 1024,
  rateLimit: false,
  deflate: flags.deflate,
};
if (flags.redis !== "") {
  // Loaded only for a cluster: a single node never loads the Redis client.
  const { redisBackplane } = await import("../engines/redis.ts");
  options.backplane = redisBackplane({ url: flags.redis });
  options.cluster = { nodeName: `bench-${flags.port}` };
}
const server = new Server(options);
const everyBroadcaster = server.room("bcast");

server.on("open", (request, conn) => {
  if (request.path === "/bcast") conn.join("bcast");
});
server.on("message", (data, conn) => {
  if (conn.rooms.size > 0) everyBroadcaster.broadcast(data);
  else conn.send(data);
});
server.on("error", () => {});

await server.listen();
console.log(
  `bench_server listening on ${server.url} (${describeDeflate(flags.deflate)})`,
);
