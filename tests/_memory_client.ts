/**
 * Test helper for the memory engine's client end: buffers what a
 * {@link MemorySocket} receives so a test can wait for a number of bytes.
 * Not part of the engine, which hands bytes over through callbacks only.
 *
 * @module
 */

import type { MemorySocket } from "../engines/memory.ts";

/**
 * Takes over `socket.onData` and buffers the bytes; `read()` waits for them.
 * The end of the stream (the server's FIN, or the connection closing) ends
 * every wait. A handler set on `socket.onEnd` before is still called.
 *
 * @example
 * ```ts
 * import { memoryEngine } from "../engines/memory.ts";
 * import { SocketReader } from "./_memory_client.ts";
 * const engine = memoryEngine();
 * const listener = await engine.listen({ hostname: "127.0.0.1", port: 0 }, (transport) => ({
 *   onData: (bytes) => transport.write(bytes.slice()),
 *   onDrain: () => {},
 *   onEnd: () => transport.end(),
 *   onClose: () => {},
 * }));
 * const socket = engine.connect(listener.port);
 * const reader = new SocketReader(socket);
 * socket.write("ping");
 * console.log(new TextDecoder().decode(await reader.read(4))); // "ping"
 * socket.end();
 * await listener.close();
 * ```
 */
export class SocketReader {
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(socket: MemorySocket) {
    socket.onData = (bytes) => {
      this.#chunks.push(bytes);
      this.#bytes += bytes.length;
      this.#wake?.();
    };
    const onEnd = socket.onEnd;
    socket.onEnd = () => {
      this.#end();
      onEnd?.();
    };
    socket.closed.then(() => this.#end());
  }

  /**
   * Waits until at least `min` bytes (default 1) are buffered, or the
   * stream ended, then returns (and forgets) everything buffered. Returns
   * fewer than `min` bytes, possibly none, only at the end of the stream.
   */
  async read(min: number = 1): Promise<Uint8Array> {
    while (this.#bytes < min && !this.#ended) {
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
    const chunks = this.#chunks;
    const out = chunks.length === 1 ? chunks[0] : new Uint8Array(this.#bytes);
    if (chunks.length > 1) {
      let offset = 0;
      for (const chunk of chunks) {
        out.set(chunk, offset);
        offset += chunk.length;
      }
    }
    this.#chunks = [];
    this.#bytes = 0;
    return out;
  }

  #end(): void {
    this.#ended = true;
    this.#wake?.();
  }
}
