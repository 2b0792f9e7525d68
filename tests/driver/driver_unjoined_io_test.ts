// The driver and the optional Transport capabilities: writeChunks (large
// payloads written behind their headers without being joined to them) and
// readsAreFresh (a large binary message handed over where it was read).
// The memory engine's transports are wrapped to offer them and record
// what the driver does with them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Server } from "@anyws/anyws";
import type {
  AcceptTransport,
  Engine,
  Transport,
  TransportHandler,
} from "../../src/driver/engine.ts";
import { memoryEngine } from "../../engines/memory.ts";
import {
  concatBytes,
  encodeClientFrame,
  generateBinary,
  OP,
  upgradeRequest,
  waitFor,
  withTimeout,
} from "../_clients.ts";

/** A transport that adds writeChunks and readsAreFresh to the memory engine's. */
class Recording implements Transport {
  readonly #inner: Transport;
  readonly readsAreFresh: boolean;
  /** Each writeChunks() call's chunks; each write()'s bytes as one chunk. */
  readonly calls: Array<{ kind: "write" | "chunks"; chunks: Uint8Array[] }> =
    [];
  /** The buffers of the reads handed to the driver. */
  readonly readBuffers: ArrayBufferLike[] = [];

  constructor(inner: Transport, fresh: boolean) {
    this.#inner = inner;
    this.readsAreFresh = fresh;
  }
  get remoteAddress(): string {
    return this.#inner.remoteAddress;
  }
  get remotePort(): number {
    return this.#inner.remotePort;
  }
  get unsentBytes(): number {
    return this.#inner.unsentBytes;
  }
  write(bytes: Uint8Array): boolean {
    this.calls.push({ kind: "write", chunks: [bytes] });
    return this.#inner.write(bytes);
  }
  writeChunks(chunks: readonly Uint8Array[]): boolean {
    this.calls.push({ kind: "chunks", chunks: [...chunks] });
    return this.#inner.write(concatBytes(...chunks));
  }
  requestDrain(): boolean {
    return this.#inner.requestDrain();
  }
  end(): void {
    this.#inner.end();
  }
  abort(): void {
    this.#inner.abort();
  }
  pause(): void {
    this.#inner.pause();
  }
  resume(): void {
    this.#inner.resume();
  }
}

/** The memory engine, its transports wrapped in {@link Recording}. */
function recordingEngine(fresh: boolean) {
  const inner = memoryEngine();
  const transports: Recording[] = [];
  const engine: Engine = {
    ...inner,
    listen(options, accept: AcceptTransport) {
      return inner.listen(options, (transport): TransportHandler => {
        const recording = new Recording(transport, fresh);
        transports.push(recording);
        const handler = accept(recording);
        return {
          ...handler,
          onData(bytes) {
            // A fresh read: a buffer of its own, as readsAreFresh promises.
            const read = fresh ? bytes.slice() : bytes;
            recording.readBuffers.push(read.buffer);
            handler.onData(read);
          },
          onDrain: () => handler.onDrain(),
          onEnd: () => handler.onEnd(),
          onClose: (error) => handler.onClose(error),
        };
      });
    },
  };
  return { inner, engine, transports };
}

/** A server echoing every message, and one open client on it. */
async function echoServer(fresh: boolean) {
  const { inner, engine, transports } = recordingEngine(fresh);
  const received: Uint8Array[] = [];
  const server = new Server(engine, { hostname: "127.0.0.1", port: 0 });
  server.on("message", (data, conn) => {
    if (data instanceof Uint8Array) received.push(data);
    conn.send(data);
  });
  await server.listen();
  const socket = inner.connect(server.port);
  const chunks: Uint8Array[] = [];
  socket.onData = (bytes) => chunks.push(bytes);
  socket.write(new TextEncoder().encode(upgradeRequest("/")));
  await waitFor(() => chunks.length > 0, 2000, "the 101");
  const stop = () =>
    withTimeout(server.stop({ timeout: 20 }), 3000, "server.stop()");
  return { server, socket, transport: transports[0], received, stop };
}

test("a large payload is written behind its header unjoined, the very bytes the application sent", async () => {
  const { socket, transport, received, stop } = await echoServer(false);
  try {
    const message = generateBinary(16 * 1024);
    socket.write(encodeClientFrame(OP.Binary, message));
    await waitFor(
      () => transport.calls.some((call) => call.kind === "chunks"),
      2000,
      "an unjoined write",
    );
    const call = transport.calls.find((call) => call.kind === "chunks")!;
    assert.equal(call.chunks.length, 2);
    const [header, payload] = call.chunks;
    // RFC 6455 §5.2: FIN + binary, 126 then the 16-bit length, no mask.
    assert.deepEqual([...header], [0x82, 126, 0x40, 0x00]);
    assert.equal(payload, received[0]);
    assert.deepEqual(payload, message);
  } finally {
    await stop();
  }
});

test("small messages are still joined into one write", async () => {
  const { socket, transport, stop } = await echoServer(false);
  try {
    const before = transport.calls.length;
    socket.write(
      concatBytes(
        encodeClientFrame(OP.Binary, generateBinary(300)),
        encodeClientFrame(OP.Text, "hello"),
      ),
    );
    await waitFor(
      () => transport.calls.length > before,
      2000,
      "the echoes",
    );
    const calls = transport.calls.slice(before);
    assert.deepEqual(calls.map((call) => call.kind), ["write"]);
    // Two frames in one write: 4 + 300 and 2 + 5 bytes.
    assert.equal(calls[0].chunks[0].length, 304 + 7);
  } finally {
    await stop();
  }
});

test("with fresh reads a large binary message is a view of the read it arrived in", async () => {
  const { socket, transport, received, stop } = await echoServer(true);
  try {
    const message = generateBinary(16 * 1024);
    socket.write(encodeClientFrame(OP.Binary, message));
    await waitFor(() => received.length === 1, 2000, "the message");
    assert.deepEqual(received[0], message);
    assert.ok(transport.readBuffers.includes(received[0].buffer));
  } finally {
    await stop();
  }
});

test("without fresh reads every binary message is a copy", async () => {
  const { socket, transport, received, stop } = await echoServer(false);
  try {
    const message = generateBinary(16 * 1024);
    socket.write(encodeClientFrame(OP.Binary, message));
    await waitFor(() => received.length === 1, 2000, "the message");
    assert.deepEqual(received[0], message);
    assert.equal(transport.readBuffers.includes(received[0].buffer), false);
    assert.equal(received[0].byteLength, received[0].buffer.byteLength);
  } finally {
    await stop();
  }
});
