// A scripted raw WebSocket server for client tests, on node:net (which
// Deno, Bun and Node all have): it reads the client's upgrade request, then
// hands a peer to the test's script, which writes whatever bytes the case
// needs (a bad 101, masked frames, a bad close, nothing at all). The peer
// parses the frames the client sends back (unmasking them), so a test can
// check the close code the client answered with, and ends its side when the
// client ends its own, unless told to hold it open. Every wait is bounded.

import { createHash } from "node:crypto";
import { createServer, type Server as TcpServer, type Socket } from "node:net";
import { waitFor } from "./_clients.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const encoder = new TextEncoder();

/** RFC 6455 §4.2.2: the accept value of a `Sec-WebSocket-Key`. */
export function acceptFor(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

/** One frame the client sent, unmasked. */
export interface ClientFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/** One connection as the scripted server sees it. */
export class ScriptedPeer {
  readonly socket: Socket;
  /** The client's request head, up to the blank line. */
  request = "";
  /** The frames the client sent after its request. */
  readonly frames: ClientFrame[] = [];
  /** Bytes received in all, request included. */
  received = 0;
  ended = false;
  closed = false;
  /**
   * Keep our side open after the client's FIN (by default the server ends
   * its side in answer, as a TCP server normally does).
   */
  holdOpen = false;
  #buffer = new Uint8Array(0);
  #headDone = false;
  #onHead: (() => void) | undefined;

  constructor(socket: Socket, onHead: () => void) {
    this.socket = socket;
    this.#onHead = onHead;
    socket.on("data", (bytes: Uint8Array) => this.#data(bytes));
    socket.on("end", () => {
      this.ended = true;
      if (!this.holdOpen) socket.end();
    });
    socket.on("close", () => this.closed = true);
    socket.on("error", () => {});
  }

  /** The request's `Sec-WebSocket-Key`. */
  get key(): string {
    return /^sec-websocket-key: *(.*)$/im.exec(this.request)?.[1].trim() ?? "";
  }

  /** The right `Sec-WebSocket-Accept` for this request. */
  get accept(): string {
    return acceptFor(this.key);
  }

  /** A request header's value, or undefined. */
  header(name: string): string | undefined {
    const line = this.request.split("\r\n").find((l) =>
      l.toLowerCase().startsWith(`${name.toLowerCase()}:`)
    );
    return line?.slice(name.length + 1).trim();
  }

  /** A valid 101 for this request, with `extra` header lines. */
  switching(extra: string[] = []): Uint8Array {
    return encoder.encode(
      [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Accept: ${this.accept}`,
        ...extra,
        "",
        "",
      ].join("\r\n"),
    );
  }

  write(bytes: Uint8Array | string): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** The first close frame the client sent, as code and reason. */
  get closeFrame(): { code: number | undefined; reason: string } | undefined {
    const close = this.frames.find((frame) => frame.opcode === 0x8);
    if (close === undefined) return undefined;
    const { payload } = close;
    return {
      code: payload.length >= 2 ? (payload[0] << 8) | payload[1] : undefined,
      reason: new TextDecoder().decode(payload.subarray(2)),
    };
  }

  /** Waits (bounded) for the client's close frame. */
  async nextClose(
    ms = 3000,
  ): Promise<{ code: number | undefined; reason: string }> {
    await waitFor(
      () => this.closeFrame !== undefined,
      ms,
      "the client's close frame",
    );
    return this.closeFrame!;
  }

  #data(bytes: Uint8Array): void {
    this.received += bytes.length;
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    this.#buffer = joined;
    if (!this.#headDone) {
      const text = new TextDecoder("latin1").decode(this.#buffer);
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.request = text.slice(0, end + 4);
      this.#buffer = this.#buffer.subarray(end + 4);
      this.#headDone = true;
      const onHead = this.#onHead!;
      this.#onHead = undefined;
      onHead();
    }
    this.#parseFrames();
  }

  #parseFrames(): void {
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const masked = (b[1] & 0x80) !== 0;
      let length = b[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = (b[2] << 8) | b[3];
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(2));
        offset = 10;
      }
      const keyAt = offset;
      if (masked) offset += 4;
      if (b.length < offset + length) return;
      const payload = b.slice(offset, offset + length);
      if (masked) {
        for (let i = 0; i < payload.length; i++) {
          payload[i] ^= b[keyAt + (i & 3)];
        }
      }
      this.frames.push({
        fin: (b[0] & 0x80) !== 0,
        rsv: (b[0] >> 4) & 7,
        opcode: b[0] & 0x0f,
        masked,
        payload,
      });
      this.#buffer = b.subarray(offset + length);
    }
  }
}

/** A listening scripted server. */
export interface ScriptedServer {
  readonly port: number;
  readonly url: string;
  /** Every connection so far. */
  readonly peers: ScriptedPeer[];
  /** Waits (bounded) for connection `index` (0-based) and its request head. */
  peer(index?: number): Promise<ScriptedPeer>;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1, port 0; runs `script` for each connection once its
 * request head is in. `script` may be undefined: the server accepts and
 * says nothing.
 */
export async function startScripted(
  script: ((peer: ScriptedPeer) => void | Promise<void>) | undefined,
): Promise<ScriptedServer> {
  const peers: ScriptedPeer[] = [];
  const withHead: ScriptedPeer[] = [];
  const sockets = new Set<Socket>();
  const server: TcpServer = createServer(
    { allowHalfOpen: true },
    (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      const peer: ScriptedPeer = new ScriptedPeer(socket, () => {
        withHead.push(peer);
        void Promise.resolve(script?.(peer)).catch((error) => {
          console.error("scripted server:", error);
          socket.destroy();
        });
      });
      peers.push(peer);
    },
  );
  server.on("error", () => {});
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve())
  );
  const address = server.address();
  const port = typeof address === "object" && address !== null
    ? address.port
    : 0;
  return {
    port,
    url: `ws://127.0.0.1:${port}/`,
    peers,
    async peer(index = 0) {
      await waitFor(
        () => withHead.length > index,
        3000,
        `connection ${index} and its request`,
      );
      return withHead[index];
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
