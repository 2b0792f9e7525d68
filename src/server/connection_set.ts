/**
 * The read-only view of a server's open connections.
 *
 * @module
 */

import type { Connection } from "../driver/connection.ts";

/**
 * A server's open connections: count, lookup by id, iteration.
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 * const server = new Server({ port: 0 });
 * console.log(server.connections.size); // 0
 * for (const conn of server.connections) conn.send("hello");
 * server.connections.get("some-id")?.send("just you");
 * ```
 */
export class ConnectionSet<Data = Record<string, unknown>>
  implements Iterable<Connection<Data>> {
  #byId: ReadonlyMap<string, Connection<Data>>;

  /** A live view over `byId`. */
  constructor(byId: ReadonlyMap<string, Connection<Data>>) {
    this.#byId = byId;
  }

  /** How many connections are open. */
  get size(): number {
    return this.#byId.size;
  }

  /** The open connection with this id, if any. */
  get(id: string): Connection<Data> | undefined {
    return this.#byId.get(id);
  }

  /** Whether a connection with this id is open. */
  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** The open connections, in the order they opened. */
  [Symbol.iterator](): IterableIterator<Connection<Data>> {
    return this.#byId.values();
  }
}
