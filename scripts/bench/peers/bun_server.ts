/**
 * The benchmark's native peer on Bun: `Bun.serve` with its built-in
 * WebSocket server, with the same contract as examples/bench_server.ts.
 *
 * - `/echo` sends every message back with the same opcode;
 * - `/bcast` sends every message to all open `/bcast` connections, the
 *   sender included: `server.publish` to the topic every `/bcast`
 *   connection subscribed to (it reaches every subscriber, the sender
 *   included).
 *
 * Messages up to 128 MiB, a backpressure limit large enough that nothing
 * is dropped, no idle timeout, 127.0.0.1 only. Run:
 * `bun scripts/bench/peers/bun_server.ts [--deflate] PORT`; prints a ready
 * line.
 *
 * Without `--deflate`, no compression (`perMessageDeflate: false`). With
 * it, `perMessageDeflate: true` (Bun's shared compressor and decompressor),
 * and every `send` and `publish` asks for compression (their `compress`
 * argument `true`): Bun compresses only the messages sent that way, there
 * is no size threshold.
 *
 * @module
 */

import process from "node:process";
import { type PeerFlags, peerFlags } from "./peer_flags.ts";

/** The few members of a Bun `ServerWebSocket` used here. */
interface BunSocket {
  data: { bcast: boolean };
  send(message: string | Uint8Array, compress?: boolean): number;
  subscribe(topic: string): void;
}

/** The few members of the `Server` returned by `Bun.serve` used here. */
interface BunServer {
  readonly port: number;
  upgrade(request: Request, options: { data: { bcast: boolean } }): boolean;
  publish(
    topic: string,
    message: string | Uint8Array,
    compress?: boolean,
  ): number;
}

/** The members of the `Bun` global used here. */
interface BunSubset {
  argv: string[];
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: BunServer): Response | undefined;
    websocket: {
      perMessageDeflate: boolean;
      maxPayloadLength: number;
      backpressureLimit: number;
      closeOnBackpressureLimit: boolean;
      idleTimeout: number;
      open(ws: BunSocket): void;
      message(ws: BunSocket, message: string | Uint8Array): void;
    };
  }): BunServer;
}

const bun = (globalThis as unknown as { Bun: BunSubset }).Bun;
let flags: PeerFlags;
try {
  flags = peerFlags(bun.argv.slice(2), {
    name: "bun_server",
    deflate: true,
    bufferutil: "bufferutil is a ws add-on",
  });
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const compress = flags.deflate;

const server: BunServer = bun.serve({
  hostname: "127.0.0.1",
  port: flags.port,
  fetch(request, server) {
    const bcast = new URL(request.url).pathname === "/bcast";
    if (server.upgrade(request, { data: { bcast } })) return undefined;
    return new Response("Expected a WebSocket upgrade", { status: 426 });
  },
  websocket: {
    perMessageDeflate: compress,
    maxPayloadLength: 128 * 1024 * 1024,
    backpressureLimit: 1024 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    idleTimeout: 0,
    open(ws) {
      if (ws.data.bcast) ws.subscribe("bcast");
    },
    message(ws, message) {
      if (ws.data.bcast) server.publish("bcast", message, compress);
      else ws.send(message, compress);
    },
  },
});

console.log(
  `bun_server listening on ws://127.0.0.1:${server.port} (${
    compress
      ? "perMessageDeflate: true, send and publish with compress: true"
      : "no compression"
  })`,
);
