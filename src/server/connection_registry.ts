/**
 * The server's bookkeeping of its connections: the open ones by id, the
 * ones not open yet (handshakes, plain HTTP exchanges), and how many come
 * from each address, for the connection limits.
 *
 * @module
 */

import type { ServerConnection } from "./server_connection.ts";
import type { Clock } from "../shared/clock.ts";

/**
 * Every connection a server accepted and has not released.
 *
 * @example
 * ```ts
 * import { ConnectionRegistry } from "./connection_registry.ts";
 * import type { ServerConnection } from "./server_connection.ts";
 * declare const driver: ServerConnection<unknown>; // made by the server for a transport
 * const registry = new ConnectionRegistry<unknown>();
 * registry.accepted(driver);
 * console.log(registry.size); // 1
 * ```
 */
export class ConnectionRegistry<Data> {
  /** Open connections by id (the server's `connections` is a view of it). */
  readonly open: Map<string, ServerConnection<Data>> = new Map();
  // Connections not open (yet). An open connection is only in `open`, so an
  // idle connection costs one map entry.
  #notOpen = new Set<ServerConnection<Data>>();
  #perAddress = new Map<string, number>();
  #allReleased: (() => void) | undefined;

  /** Connections accepted and not yet released. */
  get size(): number {
    return this.#notOpen.size + this.open.size;
  }

  /** How many live connections come from `address`. */
  countFrom(address: string): number {
    return this.#perAddress.get(address) ?? 0;
  }

  /** A transport was accepted. */
  accepted(conn: ServerConnection<Data>): void {
    this.#notOpen.add(conn);
    const address = conn.remoteAddress;
    this.#perAddress.set(address, this.countFrom(address) + 1);
  }

  /** The connection completed its handshake. */
  opened(conn: ServerConnection<Data>): void {
    this.#notOpen.delete(conn);
    this.open.set(conn.id, conn);
  }

  /** The open connection closed (its `close` event is next). */
  closed(conn: ServerConnection<Data>): void {
    this.#forget(conn);
  }

  /** The transport is gone (after `closed` if it was open). */
  released(conn: ServerConnection<Data>): void {
    this.#notOpen.delete(conn);
    this.#forget(conn);
    const address = conn.remoteAddress;
    const count = this.countFrom(address) - 1;
    if (count > 0) this.#perAddress.set(address, count);
    else this.#perAddress.delete(address);
    if (this.size === 0) this.#allReleased?.();
  }

  /**
   * Removes `conn` from the open ones, and nothing else: a resumed session
   * gives its id to a newer connection, which the old one's end must not
   * remove.
   */
  #forget(conn: ServerConnection<Data>): void {
    if (this.open.get(conn.id) === conn) this.open.delete(conn.id);
  }

  /** Every live connection, open or not (a snapshot). */
  every(): ServerConnection<Data>[] {
    return [...this.#notOpen, ...this.open.values()];
  }

  /** Resolves `true` once none is left, or `false` after `timeout` ms. */
  whenAllReleased(timeout: number, clock: Clock): Promise<boolean> {
    if (this.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => {
        this.#allReleased = undefined;
        resolve(false);
      }, timeout);
      this.#allReleased = () => {
        clock.clearTimeout(timer);
        this.#allReleased = undefined;
        resolve(true);
      };
    });
  }
}
