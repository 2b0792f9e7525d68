/**
 * The benchmark contract server: listens on 127.0.0.1, port from the first
 * argument or `PORT`.
 *
 * - `/echo` sends every message back with the same opcode;
 * - `/bcast` sends every message to all open `/bcast` connections, the
 *   sender included, with one `broadcast` call.
 *
 * Accepts messages up to 128 MiB in any number of fragments; no extensions;
 * prints nothing per message. Runs unchanged with `deno run -A`, `bun` and
 * `node`.
 *
 * @module
 */

import { type Connection, Server } from "../mod.ts";
import { args, env } from "./_env.ts";

const port = Number(args()[0] ?? env("PORT", "8080"));
const server = new Server<{ bcast?: boolean }>({
  hostname: "127.0.0.1",
  port,
  maxMessageSize: 128 * 1024 * 1024,
  maxBufferedAmount: 512 * 1024 * 1024,
  rateLimit: false,
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
console.log(`bench_server listening on ${server.url}`);
