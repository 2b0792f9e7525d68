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
import { adoptNodeSocket, NodeTransport } from "./node_socket.ts";
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
        // Node's own socket (fresh reads, corked writes).
        new NodeTransport(socket, accept, true);
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
        // Node's own socket (fresh reads, corked writes).
        new NodeTransport(socket, accept, true);
      };
      const serverOptions = { allowHalfOpen: true, highWaterMark };
      const server: Server = listenOptions.tls === undefined
        ? createServer(serverOptions, onSocket)
        : createTlsServer({ ...serverOptions, ...listenOptions.tls }, onSocket);
      return new Promise<Listener>((resolve, reject) => {
        server.once("error", reject);
        const { path } = listenOptions;
        server.listen(
          path === undefined
            ? {
              host: listenOptions.hostname,
              port: listenOptions.port,
              // SO_REUSEPORT (Node >= 22.12; Linux and a few BSDs).
              ...(listenOptions.reusePort ? { reusePort: true } : {}),
            }
            : { path },
          () => {
            server.off("error", reject);
            // Errors on an already listening server (such as EMFILE on accept)
            // must not crash the process; the server keeps listening.
            server.on("error", () => {});
            const address = server.address();
            const port = typeof address === "object" && address !== null
              ? address.port
              : path === undefined
              ? listenOptions.port
              : 0;
            resolve(
              new NodeListener(server, listenOptions.hostname, port, path),
            );
          },
        );
      });
    },
    adopt: adoptNodeSocket,
  };
}

/** A listening Node server. */
class NodeListener implements Listener {
  readonly hostname: string;
  readonly port: number;
  readonly path: string | undefined;
  #server: Server;
  #closing: Promise<void> | undefined;

  constructor(server: Server, hostname: string, port: number, path?: string) {
    this.#server = server;
    this.hostname = hostname;
    this.port = port;
    this.path = path;
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
