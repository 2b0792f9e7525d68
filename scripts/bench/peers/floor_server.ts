/**
 * The idle-memory floor: the least WebSocket server each runtime's native
 * listen API allows, to measure what an idle connection costs before any
 * library is involved (`scripts/bench/idle_floor.ts` drives it). A measuring
 * instrument, not a library: it trusts its client.
 *
 * It listens the way the anyws engines do — Node: `node:net` `createServer`
 * with `allowHalfOpen`; Deno: `Deno.listen` and one read loop per connection
 * waiting on a buffer of `FLOOR_READ_BUFFER` bytes (default 1024, the Deno
 * engine's idle read buffer); Bun: `Bun.listen` — and per connection it keeps nothing
 * of its own: no object, not even a flag. A chunk starting with "G" is the
 * upgrade request (assumed whole), answered with `101 Switching Protocols`;
 * any other chunk is whole masked client frames: a ping is answered with a
 * pong, a close with a close (then FIN), anything else is ignored. As a
 * frame's first byte "G" (0x47) would be RSV1 + reserved opcode 7, never
 * valid without extensions.
 *
 * Run: `node scripts/bench/peers/floor_server.ts PORT`,
 * `deno run -A scripts/bench/peers/floor_server.ts PORT` or
 * `bun scripts/bench/peers/floor_server.ts PORT`; prints a ready line.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key. */
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const HOSTNAME = "127.0.0.1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Set by {@link reply} when the chunk held a close frame: end after writing. */
let closing = false;

/** The bytes to send back for one chunk from the client (maybe empty). */
function reply(chunk: Uint8Array): Uint8Array {
  closing = false;
  if (chunk[0] === 0x47) {
    const key = /sec-websocket-key:[ \t]*([^\r\n \t]+)/i.exec(
      decoder.decode(chunk),
    )?.[1] ?? "";
    // RFC 6455 §4.2.2: base64(SHA-1(key + GUID)).
    const accept = createHash("sha1").update(key + GUID).digest("base64");
    return encoder.encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
        `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
  }
  // A server frame (2-byte header, unmasked) is never longer than the masked
  // client frame it answers, so the chunk's length is enough.
  const out = new Uint8Array(chunk.length);
  let written = 0;
  let at = 0;
  while (at + 2 <= chunk.length) {
    const opcode = chunk[at] & 0x0f;
    let length = chunk[at + 1] & 0x7f;
    at += 2;
    if (length === 126) {
      length = chunk[at] << 8 | chunk[at + 1];
      at += 2;
    } else if (length === 127) {
      length = Number(
        new DataView(chunk.buffer, chunk.byteOffset + at, 8).getBigUint64(0),
      );
      at += 8;
    }
    const mask = at; // RFC 6455 §5.3: client frames are masked
    const payload = at + 4;
    at = payload + length;
    if (opcode !== 0x9 && opcode !== 0x8) continue;
    // RFC 6455 §5.5.3: "A Pong frame sent in response to a Ping frame must
    // have identical 'Application data'"; §5.5.1: the close echoes the code.
    const size = opcode === 0x9 ? length : Math.min(length, 2);
    out[written++] = opcode === 0x9 ? 0x8a : 0x88;
    out[written++] = size;
    for (let i = 0; i < size; i++) {
      out[written++] = chunk[payload + i] ^ chunk[mask + (i & 3)];
    }
    if (opcode === 0x8) {
      closing = true;
      break;
    }
  }
  return out.subarray(0, written);
}

// ------------------------------------------------------------- the runtimes

interface DenoConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
  setNoDelay?(noDelay: boolean): void;
}
interface DenoSubset {
  args: string[];
  env: { get(name: string): string | undefined };
  listen(options: { hostname: string; port: number }):
    & AsyncIterable<DenoConn>
    & { addr: { port: number } };
}
interface BunSocket {
  write(bytes: Uint8Array): number;
  end(): void;
  setNoDelay?(noDelay: boolean): void;
}
interface BunSubset {
  argv: string[];
  listen(options: {
    hostname: string;
    port: number;
    allowHalfOpen: boolean;
    socket: {
      open(socket: BunSocket): void;
      data(socket: BunSocket, bytes: Uint8Array): void;
      end(socket: BunSocket): void;
      error(socket: BunSocket, error: Error): void;
    };
  }): { port: number };
}
interface NodeProcess {
  argv: string[];
}

const host = globalThis as unknown as {
  Deno?: DenoSubset;
  Bun?: BunSubset;
  process?: NodeProcess;
};

/**
 * Deno: one read loop per connection, its buffer its only state. The upgrade
 * request is read into a buffer of at least 1 KiB, as the Deno engine does,
 * then the loop waits on a `size`-byte one (the same one when `size` is
 * 1 KiB or more; frames must fit it: the client's pings take 10 bytes).
 */
async function serveDeno(conn: DenoConn, size: number): Promise<void> {
  let buffer = new Uint8Array(Math.max(size, 1024));
  try {
    conn.setNoDelay?.(true);
    for (;;) {
      const count = await conn.read(buffer);
      if (count === null) break;
      let out = reply(buffer.subarray(0, count));
      const end = closing;
      while (out.length > 0) out = out.subarray(await conn.write(out));
      if (end) break;
      if (buffer.length !== size) buffer = new Uint8Array(size);
    }
  } catch { /* reset by the peer */ }
  try {
    conn.close();
  } catch { /* already closed */ }
}

/** The port from the last command-line argument (0: any free port). */
const portArg = (arg: string | undefined): number => Number(arg) || 0;

let port: number;
if (host.Deno !== undefined) {
  const deno = host.Deno;
  const size = Number(deno.env.get("FLOOR_READ_BUFFER") ?? 1024);
  const listener = deno.listen({
    hostname: HOSTNAME,
    port: portArg(deno.args.at(-1)),
  });
  port = listener.addr.port;
  (async () => {
    for await (const conn of listener) void serveDeno(conn, size);
  })();
} else if (host.Bun !== undefined) {
  port = host.Bun.listen({
    hostname: HOSTNAME,
    port: portArg(host.Bun.argv.at(-1)),
    allowHalfOpen: true,
    socket: {
      open(socket) {
        socket.setNoDelay?.(true);
      },
      data(socket, bytes) {
        const out = reply(bytes);
        if (out.length > 0) socket.write(out);
        if (closing) socket.end();
      },
      end(socket) {
        socket.end();
      },
      error() {},
    },
  }).port;
} else {
  const { createServer } = await import("node:net");
  type Socket = import("node:net").Socket;
  // Shared listeners (`this` is the socket): no closure per connection.
  const onData = function (this: Socket, chunk: Uint8Array): void {
    const out = reply(chunk);
    if (out.length > 0) this.write(out);
    if (closing) this.end();
  };
  const onEnd = function (this: Socket): void {
    this.end();
  };
  const ignore = (): void => {};
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on("data", onData).on("end", onEnd).on("error", ignore);
  });
  server.on("error", ignore);
  await new Promise<void>((resolve) =>
    server.listen(
      { host: HOSTNAME, port: portArg(host.process?.argv.at(-1)) },
      resolve,
    )
  );
  const address = server.address();
  port = typeof address === "object" && address !== null ? address.port : 0;
}
console.log(`floor_server listening on ws://${HOSTNAME}:${port}`);
