/**
 * A server's connection: the driver with the server's opening phase (the
 * HTTP side) and the server's API on top (rooms, a user).
 *
 * @module
 */

import type { Connection } from "../driver/connection.ts";
import { ConnectionDriver } from "../driver/connection_driver.ts";
import type { Transport } from "../driver/engine.ts";
import type { PerMessageDeflate } from "../protocol/deflate/per_message_deflate.ts";
import { ReadyState } from "../protocol/protocol_events.ts";
import { HttpPhase } from "./http_phase.ts";
import type { ServerHost, UpgradeDecision } from "./server_host.ts";

/**
 * One accepted transport of a server, from its first request byte to its
 * close: the {@link Connection} the server's handlers see.
 *
 * @example
 * ```ts
 * import { ServerConnection } from "./server_connection.ts";
 * import type { ServerHost } from "./server_host.ts";
 * import type { Transport } from "../driver/engine.ts";
 * declare const host: ServerHost<unknown>;
 * declare const transport: Transport;
 * const conn = new ServerConnection(host, transport); // done by the Server
 * console.log(conn.readyState); // 0 (connecting)
 * ```
 */
export class ServerConnection<Data = Record<string, unknown>>
  extends ConnectionDriver<Data>
  implements Connection<Data> {
  /** The server's opening phase reads the request from the first byte. */
  constructor(host: ServerHost<Data>, transport: Transport) {
    super(host, transport);
    this.beginOpening(new HttpPhase(host, this));
  }

  #server(): ServerHost<Data> {
    return this.host as ServerHost<Data>;
  }

  get rooms(): ReadonlySet<string> {
    return this.#server().roomsOf(this);
  }

  join(room: string): boolean {
    if (this.readyState !== ReadyState.Open) return false;
    return this.#server().join(this, room);
  }

  leave(room: string): boolean {
    return this.#server().leave(this, room);
  }

  get user(): string | undefined {
    return this.#server().userOf(this);
  }

  setUser(user: string | undefined): void {
    if (this.readyState === ReadyState.Closed && user !== undefined) return;
    this.#server().setUser(this, user);
  }

  // The answer's type is the application's (`Answers`); this class cannot know it.
  ask(
    event: string,
    data?: unknown,
    options?: { timeout?: number },
    // deno-lint-ignore no-explicit-any
  ): Promise<any> {
    return this.#server().ask(this, event, data, options);
  }

  /** Closes on purpose: an event client's session ends with the connection. */
  override close(code?: number, reason?: string): void {
    this.#server().ending(this);
    super.close(code, reason);
  }

  /** Drops the connection on purpose: an event client's session ends with it. */
  override terminate(): void {
    this.#server().ending(this);
    super.terminate();
  }

  /**
   * For the HTTP phase: the upgrade was accepted. The decision's data and
   * user apply, then the connection opens with the 101 `response`. Not for
   * applications.
   */
  upgraded(
    decision: UpgradeDecision & { accept: true },
    response: Uint8Array,
    opening: {
      early: Uint8Array[] | undefined;
      peerEnded: boolean;
      deflate: PerMessageDeflate | undefined;
    },
  ): void {
    if (this.dropped || this.readyState !== ReadyState.Connecting) return;
    if (decision.data !== undefined) this.data = decision.data as Data;
    if (decision.user !== undefined) {
      this.#server().setUser(this, decision.user);
    }
    this.opened({
      protocol: decision.protocol ?? "",
      response,
      early: opening.early,
      peerEnded: opening.peerEnded,
      deflate: opening.deflate,
    });
  }
}
