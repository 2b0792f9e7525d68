/**
 * The error an engine's outbound connect rejects with: what went wrong,
 * sorted into a few kinds a client can act on (retry a refusal or a
 * timeout; report a certificate problem).
 *
 * @module
 */

/**
 * Why an outbound connection could not be made:
 *
 * - `refused`: nothing listens there (the peer answered with a reset).
 * - `dns`: the host name could not be resolved.
 * - `timeout`: the connect (and TLS handshake) took longer than allowed.
 * - `tls`: the TLS handshake failed: an untrusted or mismatched
 *   certificate, or a peer that does not speak TLS.
 * - `network`: any other failure (unreachable network, reset during the
 *   handshake, …).
 *
 * @example
 * ```ts
 * import type { ConnectFailure } from "@anyws/anyws";
 * const retryable = (kind: ConnectFailure): boolean => kind !== "tls" && kind !== "dns";
 * ```
 */
export type ConnectFailure = "refused" | "dns" | "timeout" | "tls" | "network";

/**
 * An outbound connection failed. `kind` says why; `cause` holds the
 * runtime's own error, when there is one.
 *
 * @example
 * ```ts
 * import { ConnectError } from "@anyws/anyws";
 * const error = new ConnectError("refused", "example.com", 8080);
 * console.log(error.message); // "Connection refused: example.com:8080"
 * ```
 */
export class ConnectError extends Error {
  /** Why the connection failed. */
  readonly kind: ConnectFailure;
  /** The host name or address that was connected to. */
  readonly hostname: string;
  /** The port that was connected to. */
  readonly port: number;

  /**
   * An outbound connection failed.
   *
   * @param kind Why.
   * @param hostname The host connected to.
   * @param port The port connected to.
   * @param detail Extra words for the message (the runtime's reason, or
   * the timeout).
   * @param options Standard error options (`cause`: the runtime's error).
   */
  constructor(
    kind: ConnectFailure,
    hostname: string,
    port: number,
    detail?: string,
    options?: ErrorOptions,
  ) {
    // An IPv6 address in brackets, as in a URL.
    const address = hostname.includes(":") && !hostname.startsWith("[")
      ? `[${hostname}]:${port}`
      : `${hostname}:${port}`;
    const what = MESSAGES[kind];
    super(
      detail === undefined || detail === ""
        ? `${what}: ${address}`
        : `${what}: ${address} (${detail})`,
      options,
    );
    this.name = "ConnectError";
    this.kind = kind;
    this.hostname = hostname;
    this.port = port;
  }
}

const MESSAGES: Readonly<Record<ConnectFailure, string>> = Object.freeze({
  refused: "Connection refused",
  dns: "Host name not resolved",
  timeout: "Connect timed out",
  tls: "TLS handshake failed",
  network: "Connection failed",
});
