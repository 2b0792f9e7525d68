/**
 * The options every connection has, server or client side (limits,
 * timeouts, heartbeat, compression), their accepted ranges, and the checks
 * both `new Server()` and the client run on them, so that a bad value is a
 * `UsageError` at once, never a failure on the first connection.
 *
 * @module
 */

import { UsageError } from "../protocol/errors.ts";
import {
  type DeflateOptions,
  type ResolvedDeflateOptions,
  resolveDeflateOptions,
} from "../protocol/deflate/options.ts";

/**
 * The numeric options a connection follows on either side.
 *
 * @example
 * ```ts
 * import type { ConnectionNumericOption } from "./connection_options.ts";
 * const name: ConnectionNumericOption = "maxMessageSize";
 * ```
 */
export type ConnectionNumericOption =
  | "maxMessageSize"
  | "maxFrameSize"
  | "maxHeadBytes"
  | "maxHeaderCount"
  | "handshakeTimeout"
  | "closeTimeout"
  | "pingInterval"
  | "idleTimeout"
  | "maxBufferedAmount"
  | "drainThreshold";

/**
 * The accepted range, inclusive, of each numeric option a connection
 * follows on either side.
 *
 * @example
 * ```ts
 * import { CONNECTION_OPTION_RANGES } from "./connection_options.ts";
 * console.log(CONNECTION_OPTION_RANGES.maxHeadBytes); // [64, 1048576]
 * ```
 */
export const CONNECTION_OPTION_RANGES: Readonly<
  Record<ConnectionNumericOption, readonly [number, number]>
> = Object.freeze({
  maxMessageSize: [1, 2 ** 53 - 1],
  maxFrameSize: [1, 2 ** 53 - 1],
  maxHeadBytes: [64, 1024 * 1024],
  maxHeaderCount: [1, 10_000],
  handshakeTimeout: [0, 2 ** 31 - 1],
  closeTimeout: [0, 2 ** 31 - 1],
  pingInterval: [0, 2 ** 31 - 1],
  idleTimeout: [0, 2 ** 31 - 1],
  maxBufferedAmount: [0, 2 ** 53 - 1],
  drainThreshold: [0, 2 ** 53 - 1],
});

/**
 * Throws a `UsageError` naming the first option of `ranges` whose value in
 * `options` is not an integer within its range.
 *
 * @example
 * ```ts
 * import { checkRanges, CONNECTION_OPTION_RANGES } from "./connection_options.ts";
 * checkRanges({ maxHeadBytes: 8192 }, { maxHeadBytes: CONNECTION_OPTION_RANGES.maxHeadBytes });
 * // checkRanges({ maxHeadBytes: 1 }, …) throws "Invalid option maxHeadBytes: 1 (an integer from 64 to 1048576)"
 * ```
 */
export function checkRanges(
  options: Readonly<Record<string, unknown>>,
  ranges: Readonly<Record<string, readonly [number, number]>>,
): void {
  for (const key of Object.keys(ranges)) {
    const value = options[key];
    const [min, max] = ranges[key];
    if (
      typeof value !== "number" || !Number.isInteger(value) || value < min ||
      value > max
    ) {
      throw new UsageError(
        `Invalid option ${key}: ${
          typeof value === "string" ? JSON.stringify(value) : String(value)
        } (an integer from ${min} to ${max})`,
      );
    }
  }
}

/**
 * The `deflate` option of a server or a client: off (`false` or
 * `undefined`), on with the defaults (`true`), or on with these options.
 * Throws a `UsageError` for anything else.
 *
 * @example
 * ```ts
 * import { resolveDeflateOption } from "./connection_options.ts";
 * console.log(resolveDeflateOption(false)); // false
 * const resolved = resolveDeflateOption({ mode: "dedicated" });
 * console.log(resolved && resolved.windowBits); // 11
 * ```
 */
export function resolveDeflateOption(
  deflate: boolean | DeflateOptions | undefined,
): ResolvedDeflateOptions | false {
  if (deflate === undefined || deflate === false) return false;
  if (deflate === true) return resolveDeflateOptions({});
  if (typeof deflate !== "object" || deflate === null) {
    throw new UsageError(
      `Invalid option deflate: ${
        String(deflate)
      } (true, false or deflate options)`,
    );
  }
  return resolveDeflateOptions(deflate);
}
