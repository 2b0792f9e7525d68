/**
 * The cluster benchmark's peer: Socket.IO 4 with `@socket.io/redis-adapter`
 * (node-redis clients), the contract of examples/bench_server.ts' `/bcast`
 * in Socket.IO terms: a `b` event from any socket is emitted as `b` to
 * every socket of every server on the same Redis, the sender included
 * (`io.emit`).
 *
 * WebSocket transport only (no polling, no upgrade), no compression,
 * 127.0.0.1 only. Run: `REDIS_URL=redis://… node
 * scripts/bench/peers/socketio_server.mjs PORT`; prints a ready line once
 * listening and subscribed.
 *
 * @module
 */

import { createServer } from "node:http";
import process from "node:process";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { Server } from "socket.io";

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const pub = createClient({ url });
const sub = pub.duplicate();
pub.on("error", () => {});
sub.on("error", () => {});
await Promise.all([pub.connect(), sub.connect()]);

const http = createServer();
const io = new Server(http, {
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: false,
  adapter: createAdapter(pub, sub),
});
io.on("connection", (socket) => {
  socket.on("b", (payload) => io.emit("b", payload));
});
http.listen(port, "127.0.0.1", () => {
  console.log(`socketio_server listening on ws://127.0.0.1:${port}`);
});
