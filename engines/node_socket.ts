/**
 * A `node:net` socket (or `node:tls`, or the `node:http` compatibility
 * socket of Deno and Bun) as a {@link Transport}: the Node engine's
 * accepted sockets, and sockets adopted from an HTTP server's `'upgrade'`
 * event ({@link adoptNodeSocket}). Node's own stream buffer provides the
 * backpressure: `socket.write()` returning `false` is passed through; each
 * write's callback counts what reached the kernel, and the last one of a
 * backpressured run becomes {@link TransportHandler.onDrain}.
 *
 * Only types are imported from `node:net`, so the Deno and Bun engines can
 * adopt their `node:http` sockets without loading Node's server modules.
 *
 * @module
 */

import type { Socket } from "node:net";
import type {
  AcceptTransport,
  Transport,
  TransportHandler,
} from "../src/driver/engine.ts";

/** The property of a socket that holds its transport. */
const TRANSPORT = Symbol("anyws.transport");
type OwnedSocket = Socket & { [TRANSPORT]: NodeTransport };

function onData(this: OwnedSocket, bytes: Uint8Array): void {
  this[TRANSPORT].onData(bytes);
}
function onEnd(this: OwnedSocket): void {
  this[TRANSPORT].onEnd();
}
function onError(this: OwnedSocket, error: Error): void {
  this[TRANSPORT].onError(error);
}
function onClose(this: OwnedSocket): void {
  this[TRANSPORT].onClose();
}

/**
 * One Node socket, seen as a Transport.
 *
 * @example
 * ```ts
 * import { createServer } from "node:net";
 * import { NodeTransport } from "./node_socket.ts";
 * const server = createServer({ allowHalfOpen: true }, (socket) => {
 *   new NodeTransport(socket, (transport) => ({
 *     onData: (bytes) => transport.write(bytes.slice()),
 *     onDrain: () => {},
 *     onEnd: () => transport.end(),
 *     onClose: () => {},
 *   }));
 * });
 * server.close();
 * ```
 */
export class NodeTransport implements Transport {
  readonly remoteAddress: string;
  readonly remotePort: number;
  #socket: Socket;
  #handler: TransportHandler;
  #done = false; // end() or abort() called: later writes are ignored
  #silent = false; // aborted or closed: report nothing more but the close
  #aborted = false;
  #closed = false;
  #error: Error | undefined;
  // Bytes given to socket.write() whose write callback has not reported
  // success. Node's own writableLength forgets what a destroyed socket
  // never sent, so the count is kept here, write by write.
  #unsent = 0;
  #sizes: number[] = [];
  #needDrain = false;
  #written = (error?: Error | null): void => {
    const size = this.#sizes.shift() ?? 0;
    if (error) return;
    this.#unsent -= size;
    if (this.#unsent === 0 && this.#needDrain) {
      this.#needDrain = false;
      if (!this.#done) this.#handler.onDrain();
    }
  };

  constructor(socket: Socket, accept: AcceptTransport) {
    this.#socket = socket;
    this.remoteAddress = socket.remoteAddress ?? "";
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
    this.#handler = accept(this);
    // Shared listeners that find the transport on the socket: no closures
    // per connection.
    (socket as OwnedSocket)[TRANSPORT] = this;
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onError);
    socket.on("close", onClose);
  }

  /** The socket's 'data' event. */
  onData(bytes: Uint8Array): void {
    // A plain Uint8Array view: Buffer's slice() would not copy.
    if (!this.#silent) this.#handler.onData(plain(bytes));
  }

  /** The socket's 'end' event. */
  onEnd(): void {
    if (!this.#silent) this.#handler.onEnd();
  }

  /** The socket's 'error' event. */
  onError(error: Error): void {
    this.#error ??= error;
  }

  /** The socket's 'close' event. */
  onClose(): void {
    if (this.#closed) return;
    this.#closed = this.#silent = this.#done = true;
    // After abort(), whatever destroy() ran into is no news to the caller.
    this.#handler.onClose(this.#aborted ? undefined : this.#error);
  }

  get unsentBytes(): number {
    return this.#unsent;
  }

  write(bytes: Uint8Array): boolean {
    if (this.#done) return true;
    this.#unsent += bytes.length;
    this.#sizes.push(bytes.length);
    if (this.#socket.write(bytes, this.#written)) return true;
    this.#needDrain = true;
    return false;
  }

  requestDrain(): boolean {
    if (this.#unsent === 0) return true;
    this.#needDrain = true;
    return false;
  }

  pause(): void {
    if (!this.#closed) this.#socket.pause();
  }

  resume(): void {
    if (!this.#closed) this.#socket.resume();
  }

  end(): void {
    if (this.#done) return;
    this.#done = true;
    // Half-close: Node flushes its buffer, then sends FIN; the socket closes
    // once the peer's FIN has arrived too.
    this.#socket.end();
  }

  abort(): void {
    if (this.#silent) return;
    this.#done = this.#silent = this.#aborted = true;
    // 'close' follows asynchronously, so close() never runs inside abort().
    this.#socket.destroy();
  }
}

function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Takes over a socket that a `node:http` or `node:https` server handed to
 * its `'upgrade'` listeners: the socket becomes a {@link Transport} like an
 * accepted one, and `head` (the bytes already read: for a server, the
 * request head and whatever followed it) is reported as its first
 * {@link TransportHandler.onData}. Works with Node's sockets and with the
 * `node:http` compatibility sockets of Deno and Bun.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { adoptNodeSocket } from "./node_socket.ts";
 * const server = createServer();
 * server.on("upgrade", (_request, socket, head) => {
 *   adoptNodeSocket(socket, head, (transport) => ({
 *     onData: () => transport.end(),
 *     onDrain: () => {},
 *     onEnd: () => transport.end(),
 *     onClose: () => {},
 *   }));
 * });
 * ```
 */
export function adoptNodeSocket(
  socket: unknown,
  head: Uint8Array,
  accept: AcceptTransport,
): void {
  const candidate = socket as Partial<Socket> | null;
  if (
    typeof candidate !== "object" || candidate === null ||
    typeof candidate.write !== "function" || typeof candidate.on !== "function"
  ) {
    throw new TypeError(
      `Not a node:net socket: ${Object.prototype.toString.call(socket)}`,
    );
  }
  const nodeSocket = socket as Socket;
  // An HTTP server's idle timeout is not a WebSocket's: ours are the
  // handshake, close and heartbeat timers.
  nodeSocket.setTimeout?.(0);
  const transport = new NodeTransport(nodeSocket, accept);
  if (nodeSocket.destroyed) {
    // Closed before we got it: its 'close' has been reported to nobody.
    transport.onClose();
    return;
  }
  if (head.length > 0) transport.onData(head);
  if (nodeSocket.isPaused?.()) nodeSocket.resume();
}
