/**
 * A TCP proxy on loopback for network failures between a client and a
 * server: every connection to the proxy is piped to the target port, and
 * the test can then break the pipes two ways.
 *
 * - `drop()`: both sides are closed (the server sees the connection end,
 *   as when the network drops and the kernel notices).
 * - `vanish()`: the client's side is closed, the server's side stays open
 *   and silent (a network that went away without a FIN: the server has
 *   not noticed, and only a keepalive or a takeover will end it).
 *
 * node:net runs on Node, Deno and Bun alike.
 *
 * @module
 */

import {
  createConnection,
  createServer,
  type Server,
  type Socket,
} from "node:net";

interface Pipe {
  client: Socket;
  upstream: Socket;
}

/** A proxy from a free loopback port to `127.0.0.1:target`. */
export class TcpProxy {
  readonly #server: Server;
  readonly #pipes = new Set<Pipe>();
  /** Upstream sockets left open by `vanish()`, closed with the proxy. */
  readonly #orphans = new Set<Socket>();
  port = 0;

  private constructor(target: number) {
    this.#server = createServer((client) => {
      const upstream = createConnection({ host: "127.0.0.1", port: target });
      const pipe = { client, upstream };
      this.#pipes.add(pipe);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        if (!this.#pipes.delete(pipe)) return;
        client.destroy();
        upstream.destroy();
      };
      client.on("close", end);
      upstream.on("close", end);
      client.on("error", end);
      upstream.on("error", end);
    });
  }

  /** Listens on a free port; connections go to `target`. */
  static start(target: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    return new Promise((resolve, reject) => {
      proxy.#server.once("error", reject);
      proxy.#server.listen(0, "127.0.0.1", () => {
        const address = proxy.#server.address();
        proxy.port = typeof address === "object" && address ? address.port : 0;
        resolve(proxy);
      });
    });
  }

  /** Connections piped now. */
  get size(): number {
    return this.#pipes.size;
  }

  /** Closes both sides of every connection. */
  drop(): void {
    for (const pipe of [...this.#pipes]) {
      this.#pipes.delete(pipe);
      pipe.client.destroy();
      pipe.upstream.destroy();
    }
  }

  /**
   * Closes the client's side of every connection; the server's side stays
   * open, and what the server sends there is read and thrown away.
   */
  vanish(): void {
    for (const pipe of [...this.#pipes]) {
      this.#pipes.delete(pipe);
      const { client, upstream } = pipe;
      upstream.unpipe(client);
      client.unpipe(upstream);
      client.destroy();
      upstream.removeAllListeners("data");
      upstream.on("data", () => {});
      upstream.on("error", () => {});
      upstream.on("close", () => this.#orphans.delete(upstream));
      this.#orphans.add(upstream);
    }
  }

  /** Stops listening and closes every socket. */
  close(): Promise<void> {
    this.drop();
    for (const socket of this.#orphans) socket.destroy();
    this.#orphans.clear();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
