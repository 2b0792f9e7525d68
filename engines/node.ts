/**
 * The Node engine: `node:net` (or `node:tls` when `tls` is set) sockets as
 * {@link Transport}s. Node's own stream buffer provides the backpressure:
 * `socket.write()` returning `false` is passed through; each write's
 * callback counts what reached the kernel, and the last one of a
 * backpressured run becomes {@link TransportHandler.onDrain}.
 *
 * @module
 */

import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type {
  AcceptTransport,
  Engine,
  Listener,
  ListenOptions,
} from "../src/driver/engine.ts";
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

/**
 * Creates the Node engine (`node:net`, or `node:tls` for `wss://`). Accepted
 * sockets allow half-open connections (the peer's FIN is reported through
 * {@link TransportHandler.onEnd}; the transport stays writable), and get
 * `TCP_NODELAY`.
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
  return {
    name: "node",
    deflate: runtimeDeflate,
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
        const { path } = listenOptions;
        server.listen(
          path === undefined
            ? { host: listenOptions.hostname, port: listenOptions.port }
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
