/**
 * A client's connection: the driver with the client's opening phase (send
 * the upgrade request, check the answer) on a transport the engine
 * connected.
 *
 * @module
 */

import {
  ConnectionDriver,
  type OpenInit,
} from "../driver/connection_driver.ts";
import type { DriverHost } from "../driver/driver_host.ts";
import type { Transport } from "../driver/engine.ts";
import type { ResponseHead } from "../protocol/response_head_reader.ts";
import {
  type ClientOffer,
  ClientOpening,
  type HandshakeFailure,
} from "./client_opening.ts";

/**
 * One outbound WebSocket connection, from the upgrade request to the
 * closed socket. Frames it sends are masked (RFC 6455 §5.3); frames it
 * receives must not be.
 *
 * @example
 * ```ts
 * import { ClientConnection } from "./client_connection.ts";
 * import type { DriverHost } from "../driver/driver_host.ts";
 * import type { Transport } from "../driver/engine.ts";
 * declare const host: DriverHost<unknown>;
 * declare const transport: Transport;
 * const request = new TextEncoder().encode("GET / HTTP/1.1\r\n…\r\n\r\n");
 * const conn = new ClientConnection(host, transport, request, {
 *   key: "dGhlIHNhbXBsZSBub25jZQ==",
 *   protocols: [],
 *   deflate: undefined,
 *   limits: { maxHeadBytes: 16384, maxHeaderCount: 100 },
 * });
 * console.log(conn.readyState); // 0 (connecting)
 * ```
 */
export class ClientConnection<Data = Record<string, unknown>>
  extends ConnectionDriver<Data> {
  /** Why the connection failed before it opened, if it did. */
  handshakeFailure: HandshakeFailure | undefined;
  /** The server's 101 response, once the connection is open. */
  response: ResponseHead | undefined;

  /** The whole attempt's timeout, as the user set it (for the message). */
  readonly #attemptTimeout: number;

  /**
   * Sends `request` (the upgrade request, see `buildUpgradeRequest`) and
   * reads the answer against `offer`. The host's role must be `"client"`;
   * its `handshakeTimeout` is what is left of `attemptTimeout` (default:
   * the same) once the transport is connected.
   */
  constructor(
    host: DriverHost<Data>,
    transport: Transport,
    request: Uint8Array,
    offer: ClientOffer,
    attemptTimeout: number = host.options.handshakeTimeout,
  ) {
    super(host, transport);
    this.#attemptTimeout = attemptTimeout;
    this.beginOpening(
      new ClientOpening({
        opened: (init: OpenInit, response: ResponseHead) => {
          this.response = response;
          return this.opened(init);
        },
        failed: (failure) => {
          this.handshakeFailure ??= failure;
          this.abandon();
        },
      }, offer),
    );
    this.writeOpening(request);
  }

  protected override handshakeTimedOut(): void {
    this.handshakeFailure ??= {
      message:
        `Handshake timeout: no answer to the upgrade request within ${this.#attemptTimeout} ms`,
    };
  }
}
