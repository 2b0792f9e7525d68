/**
 * The benchmark's native peer on Node: `ws` with the same contract as
 * examples/bench_server.ts.
 *
 * - `/echo` sends every message back with the same opcode;
 * - `/bcast` sends every message to all open `/bcast` connections, the
 *   sender included: a loop of `ws.send`, which is how `ws` broadcasts.
 *
 * No compression, messages up to 128 MiB, 127.0.0.1 only. Run:
 * `node scripts/bench/peers/ws_server.mjs PORT`; prints a ready line.
 *
 * @module
 */

import process from "node:process";
import { WebSocketServer } from "ws";

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const bcast = new Set();

const wss = new WebSocketServer({
  host: "127.0.0.1",
  port,
  perMessageDeflate: false,
  maxPayload: 128 * 1024 * 1024,
  clientTracking: false,
});

wss.on("connection", (ws, request) => {
  ws.on("error", () => {});
  if (request.url === "/bcast") {
    bcast.add(ws);
    ws.on("close", () => bcast.delete(ws));
    ws.on("message", (data, isBinary) => {
      for (const peer of bcast) {
        if (peer.readyState === 1) peer.send(data, { binary: isBinary });
      }
    });
  } else {
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  }
});
wss.on("error", (error) => {
  console.error(`ws_server: ${error.message}`);
  process.exit(1);
});
wss.on("listening", () => {
  const address = wss.address();
  console.log(`ws_server listening on ws://127.0.0.1:${address.port}`);
});
