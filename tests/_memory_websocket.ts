/**
 * A WebSocket client on the memory engine, shaped like the browser's
 * `WebSocket` (the event client's `SocketLike`): the opening handshake and
 * framing are anyws's own `Protocol` in the client role. With the engine's
 * fake clock the event client, the server and every timer between them run
 * deterministically, without TCP.
 *
 * Besides `close()`, a test can make the network fail two ways:
 * `drop()` resets the pipe (both ends see it, the server at once), and
 * `vanish()` cuts this end off while the server's end stays open (the
 * server has not noticed; only a takeover or its keepalive will end it).
 *
 * @module
 */

import type { MemoryEngine, MemorySocket } from "../engines/memory.ts";
import type {
  SocketCloseEvent,
  SocketFactory,
  SocketLike,
  SocketMessageEvent,
} from "../src/client/socket_like.ts";
import { computeAcceptKey } from "../src/protocol/accept_key.ts";
import { validateAcceptResponse } from "../src/protocol/client_handshake.ts";
import { FrameBuffers } from "../src/protocol/frame_buffers.ts";
import { Protocol } from "../src/protocol/protocol.ts";
import { ResponseHeadReader } from "../src/protocol/response_head_reader.ts";

type Listener = (event: never) => void;

const encoder = new TextEncoder();
/** One set of client write buffers for every socket of the tests. */
const buffers = new FrameBuffers("client");

/** A client connection over a memory pipe. */
export class MemoryWebSocket implements SocketLike {
  readyState = 0;
  protocol = "";
  extensions = "";
  binaryType = "blob";
  readonly url: string;
  readonly #socket: MemorySocket;
  readonly #listeners = new Map<string, Listener[]>();
  #head: ResponseHeadReader | undefined = new ResponseHeadReader();
  #key = "";
  #ws: Protocol | undefined;
  #cut = false;

  /** Connects to the memory listener on `port` with `url`'s path and query. */
  constructor(engine: MemoryEngine, port: number, url: string) {
    this.url = url;
    this.#socket = engine.connect(port);
    this.#socket.onData = (bytes) => this.#data(bytes);
    this.#socket.onEnd = () => this.#ws?.receiveEof();
    this.#socket.onClose = () => this.#closed();
    const { pathname, search } = new URL(url);
    const key = btoa(
      String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
    );
    this.#key = key;
    this.#socket.write(
      encoder.encode(
        [
          `GET ${pathname}${search} HTTP/1.1`,
          "Host: 127.0.0.1",
          "Upgrade: websocket",
          "Connection: Upgrade",
          `Sec-WebSocket-Key: ${key}`,
          "Sec-WebSocket-Version: 13",
          "",
          "",
        ].join("\r\n"),
      ),
    );
  }

  /** A socket factory for the event client: every socket goes to `port`. */
  static factory(
    engine: MemoryEngine,
    port: number,
    sockets: MemoryWebSocket[] = [],
  ): SocketFactory {
    return (url) => {
      const socket = new MemoryWebSocket(engine, port, url);
      sockets.push(socket);
      return socket;
    };
  }

  get bufferedAmount(): number {
    return 0;
  }

  addEventListener(type: "open", listener: (event: unknown) => void): void;
  addEventListener(
    type: "message",
    listener: (event: SocketMessageEvent) => void,
  ): void;
  addEventListener(
    type: "close",
    listener: (event: SocketCloseEvent) => void,
  ): void;
  addEventListener(type: "error", listener: (event: unknown) => void): void;
  addEventListener(type: string, listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  send(data: string | Uint8Array<ArrayBuffer>): void {
    const ws = this.#ws;
    if (ws === undefined || this.readyState !== 1) {
      throw new Error(`send() while readyState is ${this.readyState}`);
    }
    if (typeof data === "string") ws.sendText(data);
    else ws.sendBinary(data);
    this.#flush();
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    const ws = this.#ws;
    if (ws === undefined) {
      this.#socket.abort();
      return;
    }
    this.readyState = 2;
    ws.sendClose(code, reason);
    this.#flush();
  }

  /** The network fails: both ends see a reset. */
  drop(): void {
    this.#socket.abort();
  }

  /**
   * This end is cut off (the client sees 1006 at once), while the server's
   * end stays open and hears nothing: a network that went away silently.
   */
  vanish(): void {
    if (this.#cut) return;
    this.#cut = true;
    this.#socket.onData = undefined;
    this.#socket.onEnd = undefined;
    this.#socket.onClose = undefined;
    this.#finish({ code: 1006, reason: "", wasClean: false });
  }

  /** Sends raw bytes (a test that writes frames by hand). */
  writeRaw(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }

  #data(bytes: Uint8Array): void {
    if (this.#head !== undefined) {
      const result = this.#head.push(bytes);
      if (result.state === "incomplete") return;
      this.#head = undefined;
      if (result.state === "error") {
        this.#emit("error", { message: result.message });
        this.#socket.abort();
        return;
      }
      this.#upgraded(result.response, result.rest);
      return;
    }
    this.#receive(bytes);
  }

  #upgraded(
    response: { status: number; headers: Headers },
    rest: Uint8Array,
  ): void {
    {
      const accept = computeAcceptKey(this.#key);
      if (this.#cut) return;
      const checked = validateAcceptResponse(response, { accept });
      if (!checked.ok) {
        this.#emit("error", { message: checked.message });
        this.#socket.abort();
        return;
      }
      this.#ws = new Protocol({ role: "client", buffers });
      this.readyState = 1;
      this.#emit("open", {});
      if (rest.length > 0) this.#receive(rest);
    }
  }

  #receive(bytes: Uint8Array): void {
    const ws = this.#ws;
    if (ws === undefined) return;
    ws.receive(bytes);
    for (let event = ws.nextEvent(); event; event = ws.nextEvent()) {
      if (this.#cut) return;
      if (event.type === "text") this.#emit("message", { data: event.data });
      else if (event.type === "binary") {
        this.#emit("message", { data: event.data.slice().buffer });
      }
    }
    this.#flush();
  }

  #flush(): void {
    const ws = this.#ws;
    if (ws === undefined || this.#cut) return;
    for (const chunk of ws.takeOutgoing()) this.#socket.write(chunk);
    if (ws.shouldCloseTransport) this.#socket.end();
  }

  #closed(): void {
    const info = this.#ws?.closeInfo(true);
    this.#finish(
      info === undefined
        ? { code: 1006, reason: "", wasClean: false }
        : { code: info.code, reason: info.reason, wasClean: info.wasClean },
    );
  }

  #finish(event: SocketCloseEvent): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.#ws?.abort();
    this.#emit("close", event);
  }

  #emit(type: string, event: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) {
      (listener as (event: unknown) => void)(event);
    }
  }
}
