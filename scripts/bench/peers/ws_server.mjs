/**
 * The benchmark's native peer on Node: `ws` with the same contract as
 * examples/bench_server.ts.
 *
 * - `/echo` sends every message back with the same opcode;
 * - `/bcast` sends every message to all open `/bcast` connections, the
 *   sender included: a loop of `ws.send`, which is how `ws` broadcasts.
 *
 * Messages up to 128 MiB, 127.0.0.1 only. Run:
 * `node scripts/bench/peers/ws_server.mjs [--deflate] [--bufferutil] PORT`;
 * prints a ready line saying what it uses.
 *
 * - Without `--bufferutil`, ws is told not to load its native add-on
 *   (`WS_NO_BUFFER_UTIL`, read by ws/lib/buffer-util.js), so this is ws
 *   alone even where `bufferutil` is installed. With it, ws must be using
 *   the add-on's native `mask`/`unmask` (not its JavaScript fallback), or
 *   the server refuses to start.
 * - Without `--deflate`, no compression (`perMessageDeflate: false`). With
 *   it, `perMessageDeflate: { threshold: 0 }`: every message is compressed.
 *   ws applies its threshold (default 1024 bytes) only when it sends
 *   without context takeover (server_no_context_takeover agreed), so with
 *   a browser's offer it compresses a 400 B message anyway; `threshold: 0`
 *   makes that hold for every offer. Everything else is ws's default:
 *   context takeover both ways unless the client's offer asks otherwise,
 *   15-bit windows, zlib's default level and memLevel 8,
 *   `concurrencyLimit` 10.
 *
 * @module
 */

import process from "node:process";
import { peerFlags } from "./peer_flags.ts";
import { wsMasking } from "./ws_masking.ts";

let flags;
try {
  flags = peerFlags(process.argv.slice(2), {
    name: "ws_server",
    deflate: true,
    bufferutil: true,
  });
} catch (error) {
  console.error(error.message);
  process.exit(2);
}

// ws reads this once, when it first loads (hence the dynamic import below).
if (!flags.bufferutil) process.env.WS_NO_BUFFER_UTIL = "1";
else delete process.env.WS_NO_BUFFER_UTIL;
const { WebSocketServer } = await import("ws");

const masking = wsMasking();
if (flags.bufferutil !== masking.native) {
  console.error(
    `ws_server: ${
      flags.bufferutil ? "--bufferutil asked for" : "without --bufferutil,"
    } but ws uses ${masking.text}`,
  );
  process.exit(1);
}

const bcast = new Set();
const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: flags.port,
  perMessageDeflate: flags.deflate ? { threshold: 0 } : false,
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
  console.log(
    `ws_server listening on ws://127.0.0.1:${address.port} (${masking.text}; ${
      flags.deflate ? "perMessageDeflate { threshold: 0 }" : "no compression"
    })`,
  );
});
