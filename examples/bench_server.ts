/**
 * The benchmark contract server: listens on 127.0.0.1, port from the first
 * argument or `PORT`.
 *
 * - `/echo` sends every message back with the same opcode;
 * - `/bcast` sends every message to all open `/bcast` connections, the
 *   sender included, with one `broadcast` call.
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

import { type Connection, Server } from "../mod.ts";
import { benchServerFlags, describeDeflate } from "./_bench_flags.ts";
import { args, env } from "./_env.ts";

const flags = benchServerFlags(args(), (name) => env(name, "") || undefined);
const server = new Server<{ bcast?: boolean }>({
  hostname: "127.0.0.1",
  port: flags.port,
  maxMessageSize: 128 * 1024 * 1024,
  maxBufferedAmount: 512 * 1024 * 1024,
  rateLimit: false,
  deflate: flags.deflate,
});
const isBroadcast = (conn: Connection<{ bcast?: boolean }>): boolean =>
  conn.data.bcast === true;

server.on("open", (request, conn) => {
  if (request.path === "/bcast") conn.data.bcast = true;
});
server.on("message", (data, conn) => {
  if (conn.data.bcast) server.broadcast(data, isBroadcast);
  else conn.send(data);
});
server.on("error", () => {});

await server.listen();
console.log(
  `bench_server listening on ${server.url} (${describeDeflate(flags.deflate)})`,
);
