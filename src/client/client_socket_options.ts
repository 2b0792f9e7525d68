/**
 * The options of anyws's own client socket (`ClientSocket`): where and how
 * to connect, and the same limits, timeouts and heartbeat as a server
 * connection. Checked once, when the socket is created.
 *
 * @module
 */

import type { ConnectTlsOptions, Engine } from "../driver/engine.ts";
import {
  checkRanges,
  CONNECTION_OPTION_RANGES,
  resolveDeflateOption,
} from "../driver/connection_options.ts";
import type { DriverOptions } from "../driver/driver_host.ts";
import type {
  DeflateOptions,
  ResolvedDeflateOptions,
} from "../protocol/deflate/options.ts";
import { UsageError } from "../protocol/errors.ts";
import type { Clock } from "../shared/clock.ts";

/**
 * Options of a client connection. Every one is optional.
 *
 * @example
 * ```ts
 * import type { ClientSocketOptions } from "@anyws/anyws";
 * const options: ClientSocketOptions = {
 *   protocols: ["chat.v1"],
 *   headers: { Authorization: "Bearer abc" },
 *   tls: { ca: "-----BEGIN CERTIFICATE-----…" },
 *   maxMessageSize: 1024 * 1024,
 * };
 * ```
 */
export interface ClientSocketOptions {
  /** Subprotocols to offer, most preferred first. */
  protocols?: string | readonly string[];
  /**
   * Extra request header fields, such as `Authorization` or `Cookie` (the
   * handshake's own fields are refused with a `UsageError`).
   */
  headers?: Readonly<Record<string, string>> | Headers;
  /** The `Origin` to send, for servers that check it. Default: none. */
  origin?: string;
  /** How a `wss://` connection checks the server (SNI name, extra CAs). */
  tls?: ConnectTlsOptions;
  /**
   * Offer permessage-deflate (RFC 7692): `true` (the default, when the
   * engine can compress) with the default settings (no context takeover
   * either way: little memory per connection), `false`, or settings.
   */
  deflate?: boolean | DeflateOptions;
  /**
   * Milliseconds from the start of the attempt (TCP connect, TLS, the
   * upgrade request) to the 101 response. Default 10,000.
   */
  handshakeTimeout?: number;
  /** Milliseconds to wait for the server's close after ours, then the socket is dropped. Default 5,000. */
  closeTimeout?: number;
  /** Largest message accepted, summed over its fragments (close 1009 beyond). Default 16 MiB. */
  maxMessageSize?: number;
  /** Largest single frame accepted (close 1009 beyond). Default: `maxMessageSize`. */
  maxFrameSize?: number;
  /** Largest response head accepted. Default 16 KiB. */
  maxHeadBytes?: number;
  /** Most header lines accepted in the response head. Default 100. */
  maxHeaderCount?: number;
  /** Ping a server that has been silent this long, in ms; 0 disables. Default 30,000. */
  pingInterval?: number;
  /** Close (code 1011) a connection on which the server sent nothing, not even a pong, for this long; 0 disables. Default 60,000. */
  idleTimeout?: number;
  /** Most bytes queued and not yet taken by the server; past it the connection fails (1008). Default 16 MiB. */
  maxBufferedAmount?: number;
  /** Threshold of `bufferedAmount` for read-side flow control, in bytes. Default 1 MiB. */
  drainThreshold?: number;
  /** The engine to connect with. Default: the runtime's. */
  engine?: Engine;
  /** The clock of the timers (tests pass a fake one). Default: the engine's, else the system's. */
  clock?: Clock;
}

/**
 * The defaults of {@link ClientSocketOptions}: a server connection's
 * limits and timeouts.
 *
 * @example
 * ```ts
 * import { DEFAULT_CLIENT_SOCKET_OPTIONS } from "@anyws/anyws";
 * console.log(DEFAULT_CLIENT_SOCKET_OPTIONS.handshakeTimeout); // 10000
 * ```
 */
export const DEFAULT_CLIENT_SOCKET_OPTIONS: Readonly<
  Required<
    Pick<
      ClientSocketOptions,
      | "maxMessageSize"
      | "maxFrameSize"
      | "maxHeadBytes"
      | "maxHeaderCount"
      | "handshakeTimeout"
      | "closeTimeout"
      | "pingInterval"
      | "idleTimeout"
      | "maxBufferedAmount"
      | "drainThreshold"
    >
  >
> = Object.freeze({
  maxMessageSize: 16 * 1024 * 1024,
  maxFrameSize: 16 * 1024 * 1024,
  maxHeadBytes: 16 * 1024,
  maxHeaderCount: 100,
  handshakeTimeout: 10_000,
  closeTimeout: 5_000,
  pingInterval: 30_000,
  idleTimeout: 60_000,
  maxBufferedAmount: 16 * 1024 * 1024,
  drainThreshold: 1024 * 1024,
});

/** @ignore The options with the defaults filled in, as the socket uses them. */
export interface ResolvedClientSocketOptions {
  readonly driver: DriverOptions;
  readonly pingInterval: number;
  readonly idleTimeout: number;
  readonly protocols: readonly string[];
  readonly headers: Readonly<Record<string, string>> | Headers | undefined;
  readonly origin: string | undefined;
  readonly tls: ConnectTlsOptions | undefined;
  /** `undefined` when not offered (or explicitly off). */
  readonly deflate: ResolvedDeflateOptions | false;
  /** Whether `deflate` was asked for explicitly (an engine without DEFLATE is then an error). */
  readonly deflateRequired: boolean;
}

/** @ignore Fills in the defaults; throws a `UsageError` for a bad value. */
export function resolveClientSocketOptions(
  options: ClientSocketOptions,
): ResolvedClientSocketOptions {
  if (typeof options !== "object" || options === null) {
    throw new UsageError(`Invalid client options: ${String(options)}`);
  }
  const numbers: Record<string, number> = { ...DEFAULT_CLIENT_SOCKET_OPTIONS };
  for (const key of Object.keys(CONNECTION_OPTION_RANGES)) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) numbers[key] = value as number;
  }
  if (options.maxFrameSize === undefined) {
    numbers.maxFrameSize = numbers.maxMessageSize;
  }
  checkRanges(numbers, CONNECTION_OPTION_RANGES);
  const { protocols = [] } = options;
  const list = typeof protocols === "string" ? [protocols] : [...protocols];
  if (!list.every((protocol) => typeof protocol === "string")) {
    throw new UsageError("Invalid option protocols: strings");
  }
  checkTls(options.tls);
  const explicit = options.deflate !== undefined && options.deflate !== false;
  const { pingInterval, idleTimeout, ...limits } = numbers;
  // A client reads no request bodies.
  const driver = { ...limits, maxRequestBodySize: 0 } as DriverOptions;
  return {
    driver,
    pingInterval,
    idleTimeout,
    protocols: list,
    headers: options.headers,
    origin: options.origin,
    tls: options.tls,
    deflate: resolveDeflateOption(options.deflate ?? true),
    deflateRequired: explicit,
  };
}

/**
 * Throws a `UsageError` for TLS options no engine can use, as the engines'
 * connect would (later, and at every attempt).
 */
function checkTls(tls: ConnectTlsOptions | undefined): void {
  if (tls === undefined) return;
  if (typeof tls !== "object" || tls === null) {
    throw new UsageError(`Invalid option tls: ${String(tls)}`);
  }
  const { servername, ca, rejectUnauthorized } = tls;
  if (
    servername !== undefined &&
    (typeof servername !== "string" || servername === "")
  ) {
    throw new UsageError(`Invalid tls.servername: ${String(servername)}`);
  }
  if (
    ca !== undefined && typeof ca !== "string" &&
    !(Array.isArray(ca) && ca.every((pem) => typeof pem === "string"))
  ) {
    throw new UsageError("Invalid tls.ca: a PEM string or an array of them");
  }
  if (
    rejectUnauthorized !== undefined && typeof rejectUnauthorized !== "boolean"
  ) {
    throw new UsageError(
      `Invalid tls.rejectUnauthorized: ${String(rejectUnauthorized)}`,
    );
  }
}
