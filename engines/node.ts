/**
 * The Node engine: `node:net` (or `node:tls` when `tls` is set) sockets as
 * {@link Transport}s. Node's own stream buffer provides the backpressure:
 * `socket.write()` returning `false` is passed through; each write's
 * callback counts what reached the kernel, and the last one of a
 * backpressured run becomes {@link TransportHandler.onDrain}.
 *
 * @module
 */

import {
  connect as netConnect,
  createServer,
  isIP,
  type Server,
  type Socket,
} from "node:net";
import {
  connect as tlsConnect,
  createSecureContext,
  createServer as createTlsServer,
  getCACertificates,
  rootCertificates,
  type SecureContext,
} from "node:tls";
import type {
  AcceptTransport,
  ConnectOptions,
  Engine,
  Listener,
  ListenOptions,
  Transport,
  TransportHandler,
} from "../src/driver/engine.ts";
import { ConnectError } from "../src/driver/connect_error.ts";
import {
  caList,
  checkConnectOptions,
  tcpConnectError,
  timeoutError,
  tlsConnectError,
  unbracketed,
} from "./_connect.ts";
import { DEFAULT_HIGH_WATER_MARK } from "./_write_queue.ts";
import { runtimeDeflate } from "./deflate.ts";

/**
 * Options for {@link nodeEngine}.
 *
 * @example
 * ```ts
 * import { nodeEngine, type NodeEngineOptions } from "@anyws/anyws/engines/node";
 * const options: NodeEngineOptions = { highWaterMark: 256 * 1024 };
 * const engine = nodeEngine(options);
 * ```
 */
export interface NodeEngineOptions {
  /** Bytes Node may buffer per socket before `write()` returns `false` (default 64 KiB). */
  highWaterMark?: number;
}

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

/** One accepted Node socket, seen as a Transport. */
class NodeTransport implements Transport {
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

/** Most TLS contexts with extra CAs an engine keeps (one per distinct CA list). */
const MAX_CONTEXTS = 16;

/**
 * Opens an outbound `node:net` or `node:tls` socket and hands it over as a
 * {@link NodeTransport} once connected (after the TLS handshake).
 */
function connectSocket(
  options: ConnectOptions,
  accept: AcceptTransport,
  highWaterMark: number,
  contexts: Map<string, SecureContext>,
): Promise<void> {
  checkConnectOptions(options);
  const { port, tls, timeout } = options;
  const hostname = unbracketed(options.hostname);
  const base = { host: hostname, port, allowHalfOpen: true, highWaterMark };
  const socket: Socket = tls === undefined ? netConnect(base) : tlsConnect({
    ...base,
    // tls.connect() sends SNI only when given a servername (RFC 6066 §3
    // forbids an IP address there); it checks the certificate against the
    // servername, else the host.
    servername: tls.servername ?? (isIP(hostname) === 0 ? hostname : undefined),
    rejectUnauthorized: tls.rejectUnauthorized !== false,
    secureContext: tls.ca === undefined
      ? undefined
      : contextWithCAs(caList(tls.ca), contexts),
  });
  const connected = tls === undefined ? "connect" : "secureConnect";
  return new Promise<void>((resolve, reject) => {
    let tcpConnected = false;
    let settled = false;
    const timer = timeout === undefined
      ? undefined
      : setTimeout(() => fail(timeoutError(options)), timeout);
    const onConnect = (): void => {
      tcpConnected = true;
    };
    const onError = (error: Error): void =>
      fail(
        tcpConnected && tls !== undefined
          ? tlsConnectError(error, options)
          : tcpConnectError(error, options),
      );
    const onClose = (): void =>
      fail(
        new ConnectError(
          tls === undefined ? "network" : "tls",
          hostname,
          port,
          "closed before connected",
        ),
      );
    const detach = (): void => {
      settled = true;
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.off(connected, onConnected);
    };
    function fail(error: Error): void {
      if (settled) return;
      detach();
      // Errors of a socket given up on are no news to anyone.
      socket.on("error", () => {});
      socket.destroy();
      reject(error);
    }
    function onConnected(): void {
      if (settled) return;
      detach();
      try {
        new NodeTransport(socket, accept);
      } catch (error) {
        // accept() threw: the connection is of no use to anyone.
        socket.destroy();
        reject(error);
        return;
      }
      resolve();
    }
    socket.on("connect", onConnect);
    socket.on("error", onError);
    socket.on("close", onClose);
    socket.once(connected, onConnected);
  });
}

/**
 * A TLS context trusting Node's default CAs plus `ca`, made once per
 * distinct list (a context with the default CAs takes milliseconds to build).
 */
function contextWithCAs(
  ca: string[],
  contexts: Map<string, SecureContext>,
): SecureContext {
  const key = ca.join("\n");
  let context = contexts.get(key);
  if (context === undefined) {
    // getCACertificates("default") also holds NODE_EXTRA_CA_CERTS and, with
    // --use-system-ca, the system's: what Node trusts when no `ca` is given.
    const defaults = typeof getCACertificates === "function"
      ? getCACertificates("default")
      : rootCertificates;
    context = createSecureContext({ ca: [...defaults, ...ca] });
    if (contexts.size >= MAX_CONTEXTS) contexts.clear();
    contexts.set(key, context);
  }
  return context;
}

/**
 * Creates the Node engine (`node:net`, or `node:tls` for `wss://`). Accepted
 * and outbound sockets allow half-open connections (the peer's FIN is
 * reported through {@link TransportHandler.onEnd}; the transport stays
 * writable), and get `TCP_NODELAY`.
 *
 * @example
 * ```ts
 * import { nodeEngine } from "@anyws/anyws/engines/node";
 * const engine = nodeEngine();
 * const listener = await engine.listen({ hostname: "127.0.0.1", port: 0 }, (transport) => ({
 *   onData: (bytes) => transport.write(bytes.slice()),
 *   onDrain: () => {},
 *   onEnd: () => transport.end(),
 *   onClose: () => {},
 * }));
 * console.log(listener.port);
 * await listener.close();
 * ```
 */
export function nodeEngine(options: NodeEngineOptions = {}): Engine {
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  const contexts = new Map<string, SecureContext>();
  return {
    name: "node",
    deflate: runtimeDeflate,
    connect(
      connectOptions: ConnectOptions,
      accept: AcceptTransport,
    ): Promise<void> {
      try {
        return connectSocket(connectOptions, accept, highWaterMark, contexts);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    listen(
      listenOptions: ListenOptions,
      accept: AcceptTransport,
    ): Promise<Listener> {
      const onSocket = (socket: Socket): void => {
        new NodeTransport(socket, accept);
      };
      const serverOptions = { allowHalfOpen: true, highWaterMark };
      const server: Server = listenOptions.tls === undefined
        ? createServer(serverOptions, onSocket)
        : createTlsServer({ ...serverOptions, ...listenOptions.tls }, onSocket);
      return new Promise<Listener>((resolve, reject) => {
        server.once("error", reject);
        server.listen({
          host: listenOptions.hostname,
          port: listenOptions.port,
          // SO_REUSEPORT (Node >= 22.12; Linux and a few BSDs).
          ...(listenOptions.reusePort ? { reusePort: true } : {}),
        }, () => {
          server.off("error", reject);
          // Errors on an already listening server (such as EMFILE on accept)
          // must not crash the process; the server keeps listening.
          server.on("error", () => {});
          const address = server.address();
          const port = typeof address === "object" && address !== null
            ? address.port
            : listenOptions.port;
          resolve(new NodeListener(server, listenOptions.hostname, port));
        });
      });
    },
  };
}

/** A listening Node server. */
class NodeListener implements Listener {
  readonly hostname: string;
  readonly port: number;
  #server: Server;
  #closing: Promise<void> | undefined;

  constructor(server: Server, hostname: string, port: number) {
    this.#server = server;
    this.hostname = hostname;
    this.port = port;
  }

  close(): Promise<void> {
    // `server.close()` releases the listening socket at once but calls back
    // only when every accepted socket has closed too; accepted transports
    // stay open, so resolve on the next turn instead of waiting for them.
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close();
      setTimeout(resolve, 0);
    });
    return this.#closing;
  }
}

function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
