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

// NodeTransport's state, kept in one number: each field costs every idle
// connection 8 bytes.
/** end() or abort() called: later writes are ignored. */
const DONE = 1;
/** Aborted or closed: report nothing more but the close. */
const SILENT = 2;
/** abort() called: what destroy() ran into is not reported. */
const ABORTED = 4;
/** 'close' reported. */
const CLOSED = 8;
/** A write returned false (or a drain was asked for): onDrain once all is sent. */
const NEED_DRAIN = 16;
/**
 * Node's own socket (not a compatibility socket of Deno or Bun): each read
 * is a buffer of its own (readsAreFresh), and corked writes leave in one
 * writev().
 */
const NODE_OWN = 32;

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
  #socket: Socket;
  #handler: TransportHandler;
  #flags = 0;
  #error: Error | undefined;
  // Bytes given to socket.write() whose write callback has not reported
  // success. Node's own writableLength forgets what a destroyed socket
  // never sent, so the count is kept here, write by write: callbacks come
  // in the order of the writes, so the oldest unconfirmed write's size is
  // kept in a number (-1: none) and only the writes behind it in a queue,
  // made the first time two writes are outstanding at once.
  #unsent = 0;
  #oldest = -1;
  #behind: number[] | undefined;
  #written = (error?: Error | null): void => {
    const size = this.#oldest;
    const behind = this.#behind;
    this.#oldest = behind !== undefined && behind.length > 0
      ? behind.shift()!
      : -1;
    if (error) return;
    this.#unsent -= size;
    if (this.#unsent === 0 && this.#flags & NEED_DRAIN) {
      this.#flags &= ~NEED_DRAIN;
      if (!(this.#flags & DONE)) this.#handler.onDrain();
    }
  };

  /**
   * Makes `socket` a transport and hands it to `accept`. `nodeOwn`: the
   * socket is Node's own, whose every read is a new buffer (views of it
   * may be kept; see {@link Transport.readsAreFresh}) and whose corked
   * writes leave together.
   */
  constructor(socket: Socket, accept: AcceptTransport, nodeOwn = false) {
    this.#socket = socket;
    if (nodeOwn) this.#flags = NODE_OWN;
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

  // Read from the socket when asked rather than kept here too (the driver
  // reads them once, when it takes the transport).
  /** The peer's IP address, as the socket reports it. */
  get remoteAddress(): string {
    return this.#socket.remoteAddress ?? "";
  }

  /** The peer's port, as the socket reports it. */
  get remotePort(): number {
    return this.#socket.remotePort ?? 0;
  }

  get readsAreFresh(): boolean {
    return (this.#flags & NODE_OWN) !== 0;
  }

  /** The socket's 'data' event. */
  onData(bytes: Uint8Array): void {
    // A plain Uint8Array view: Buffer's slice() would not copy.
    if (!(this.#flags & SILENT)) this.#handler.onData(plain(bytes));
  }

  /** The socket's 'end' event. */
  onEnd(): void {
    if (!(this.#flags & SILENT)) this.#handler.onEnd();
  }

  /** The socket's 'error' event. */
  onError(error: Error): void {
    this.#error ??= error;
  }

  /** The socket's 'close' event. */
  onClose(): void {
    const flags = this.#flags;
    if (flags & CLOSED) return;
    this.#flags = flags | CLOSED | SILENT | DONE;
    // After abort(), whatever destroy() ran into is no news to the caller.
    this.#handler.onClose(flags & ABORTED ? undefined : this.#error);
  }

  get unsentBytes(): number {
    return this.#unsent;
  }

  write(bytes: Uint8Array): boolean {
    if (this.#flags & DONE) return true;
    if (this.#send(bytes)) return true;
    this.#flags |= NEED_DRAIN;
    return false;
  }

  writeChunks(chunks: readonly Uint8Array[]): boolean {
    if (this.#flags & DONE) return true;
    // Node's own socket, corked, hands the writes to the kernel together
    // when uncorked: one writev() of all the chunks, none copied. Other
    // sockets get them one by one (corked, Bun's compatibility socket let
    // an adopted connection's drain come while its peer read nothing).
    const socket = this.#socket;
    const cork = (this.#flags & NODE_OWN) !== 0;
    if (cork) socket.cork();
    let ok = true;
    for (let i = 0; i < chunks.length; i++) ok = this.#send(chunks[i]);
    if (cork) socket.uncork();
    if (ok) return true;
    this.#flags |= NEED_DRAIN;
    return false;
  }

  /** One socket.write(), counted; its result. */
  #send(bytes: Uint8Array): boolean {
    const size = bytes.length;
    this.#unsent += size;
    if (this.#oldest < 0) this.#oldest = size;
    else (this.#behind ??= []).push(size);
    return this.#socket.write(bytes, this.#written);
  }

  requestDrain(): boolean {
    if (this.#unsent === 0) return true;
    this.#flags |= NEED_DRAIN;
    return false;
  }

  pause(): void {
    if (!(this.#flags & CLOSED)) this.#socket.pause();
  }

  resume(): void {
    if (!(this.#flags & CLOSED)) this.#socket.resume();
  }

  end(): void {
    if (this.#flags & DONE) return;
    this.#flags |= DONE;
    // Half-close: Node flushes its buffer, then sends FIN; the socket closes
    // once the peer's FIN has arrived too.
    this.#socket.end();
  }

  abort(): void {
    if (this.#flags & SILENT) return;
    this.#flags |= DONE | SILENT | ABORTED;
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
