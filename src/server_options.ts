/**
 * Server options and their documented defaults.
 *
 * @module
 */

import type { TlsOptions } from "./engine.ts";

/**
 * Options of a {@link Server}. Every limit is on by default; the defaults are
 * listed in {@link DEFAULT_SERVER_OPTIONS}.
 *
 * @example
 * ```ts
 * import type { ServerOptions } from "@anyws/anyws";
 * const options: ServerOptions = {
 *   hostname: "127.0.0.1",
 *   port: 8080,
 *   maxMessageSize: 1024 * 1024,
 *   pingInterval: 20_000,
 * };
 * ```
 */
export interface ServerOptions {
  /** Interface to bind. Default `"0.0.0.0"`. */
  hostname?: string;
  /** Port to bind; 0 picks a free one (read it back from `server.port`). Default 8080. */
  port?: number;
  /** Serve `wss://` with this PEM certificate and key. */
  tls?: TlsOptions;
  /** Largest message accepted, summed over its fragments (close 1009 beyond). Default 16 MiB. */
  maxMessageSize?: number;
  /** Largest single frame accepted (close 1009 beyond). Default: `maxMessageSize`. */
  maxFrameSize?: number;
  /** Largest HTTP request head accepted (431 beyond). Default 16 KiB. */
  maxHeadBytes?: number;
  /** Most header lines accepted in the request head (431 beyond). Default 100. */
  maxHeaderCount?: number;
  /** Time allowed for the whole HTTP upgrade request to arrive, in ms (then the socket is dropped). Default 10,000. */
  handshakeTimeout?: number;
  /** Time to wait for the peer's close frame and FIN after a close was sent, in ms (then the socket is dropped). Default 5,000. */
  closeTimeout?: number;
  /** Send a ping to a connection that has been silent this long, in ms; 0 disables heartbeats. Default 30,000. */
  pingInterval?: number;
  /** Close (code 1011) a connection that has sent nothing, not even a pong, for this long, in ms; 0 disables. Default 60,000. */
  idleTimeout?: number;
  /**
   * Most bytes queued for one connection that the peer has not yet taken
   * (`bufferedAmount`). A slow consumer over it is closed with 1008 and its
   * socket dropped. Default 16 MiB.
   */
  maxBufferedAmount?: number;
  /** `bufferedAmount` under which a `drain` event fires after the connection was over it. Default 1 MiB. */
  drainThreshold?: number;
}

/** The options with every default filled in. */
export type ResolvedServerOptions =
  & Required<Omit<ServerOptions, "tls">>
  & Pick<ServerOptions, "tls">;

/**
 * The documented defaults of every {@link ServerOptions} field.
 *
 * @example
 * ```ts
 * import { DEFAULT_SERVER_OPTIONS } from "@anyws/anyws";
 * console.log(DEFAULT_SERVER_OPTIONS.maxMessageSize); // 16777216
 * ```
 */
export const DEFAULT_SERVER_OPTIONS: Readonly<ResolvedServerOptions> = Object
  .freeze({
    hostname: "0.0.0.0",
    port: 8080,
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

/**
 * Fills in the defaults and checks every number.
 *
 * @example
 * ```ts
 * import { resolveServerOptions } from "@anyws/anyws";
 * const options = resolveServerOptions({ port: 0 });
 * console.log(options.hostname); // "0.0.0.0"
 * ```
 */
export function resolveServerOptions(
  options: ServerOptions = {},
): ResolvedServerOptions {
  const maxMessageSize = options.maxMessageSize ??
    DEFAULT_SERVER_OPTIONS.maxMessageSize;
  const resolved: ResolvedServerOptions = {
    ...DEFAULT_SERVER_OPTIONS,
    maxFrameSize: maxMessageSize,
    ...withoutUndefined(options),
  };
  for (
    const key of Object.keys(DEFAULT_SERVER_OPTIONS) as Array<
      keyof typeof DEFAULT_SERVER_OPTIONS
    >
  ) {
    const value = resolved[key];
    if (key === "hostname") {
      if (typeof value !== "string" || value === "") {
        throw new TypeError(`Invalid option hostname: ${String(value)}`);
      }
      continue;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new TypeError(`Invalid option ${key}: ${String(value)}`);
    }
  }
  if (resolved.port > 65535) {
    throw new TypeError(`Invalid option port: ${resolved.port}`);
  }
  return resolved;
}

function withoutUndefined(options: ServerOptions): ServerOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) out[key] = value;
  }
  return out as ServerOptions;
}
