/**
 * The benchmark's native peer on Deno: `Deno.serve` and
 * `Deno.upgradeWebSocket`, with the same contract as
 * examples/bench_server.ts.
 *
 * - `/echo` sends every message back with the same opcode;
 * - `/bcast` sends every message to all open `/bcast` connections, the
 *   sender included: a loop over a `Set` of sockets.
 *
 * No compression, no idle timeout, 127.0.0.1 only. Run:
 * `deno run -A scripts/bench/peers/deno_server.ts PORT`; prints a ready line.
 * `--deflate` is refused: Deno.serve has no permessage-deflate (its
 * WebSocket server never negotiates RFC 7692, deno#7681), so the
 * compression cases report this peer as "n/a".
 *
 * @module
 */

import process from "node:process";
import { type PeerFlags, peerFlags } from "./peer_flags.ts";

/** Why Deno's native server cannot take part in the compression cases. */
const NO_DEFLATE = "Deno.serve has no permessage-deflate (deno#7681)";

/** The members of the `Deno` global used here. */
interface DenoSubset {
  args: string[];
  serve(
    options: {
      hostname: string;
      port: number;
      onListen(address: { port: number }): void;
    },
    handler: (request: Request) => Response,
  ): unknown;
  upgradeWebSocket(
    request: Request,
    options: { idleTimeout: number },
  ): { socket: WebSocket; response: Response };
}

const deno = (globalThis as unknown as { Deno: DenoSubset }).Deno;
let flags: PeerFlags;
try {
  flags = peerFlags(deno.args, {
    name: "deno_server",
    deflate: NO_DEFLATE,
    bufferutil: "bufferutil is a ws add-on",
  });
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const bcast = new Set<WebSocket>();

deno.serve({
  hostname: "127.0.0.1",
  port: flags.port,
  onListen(address) {
    console.log(`deno_server listening on ws://127.0.0.1:${address.port}`);
  },
}, (request) => {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("Expected a WebSocket upgrade", { status: 426 });
  }
  const { socket, response } = deno.upgradeWebSocket(request, {
    idleTimeout: 0,
  });
  socket.binaryType = "arraybuffer";
  if (new URL(request.url).pathname === "/bcast") {
    socket.onopen = () => bcast.add(socket);
    socket.onclose = () => bcast.delete(socket);
    socket.onerror = () => bcast.delete(socket);
    socket.onmessage = (event) => {
      for (const peer of bcast) {
        if (peer.readyState === WebSocket.OPEN) peer.send(event.data);
      }
    };
  } else {
    socket.onmessage = (event) => socket.send(event.data);
    socket.onerror = () => {};
  }
  return response;
});
