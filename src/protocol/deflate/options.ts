/**
 * The user's permessage-deflate configuration, checked and completed with
 * defaults.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/**
 * How compression state is kept:
 *
 * - `"shared"`: no context takeover in either direction (the server says
 *   so in its answer), so every message is compressed on its own. One
 *   compressor and one decompressor serve the whole server, an idle
 *   connection costs no extra byte, and a broadcast is compressed once for
 *   every receiver.
 * - `"dedicated"`: context takeover, so a message may refer to earlier
 *   ones and small similar messages shrink far more; each connection gets
 *   its own compressor and decompressor (created on first use), whose
 *   memory grows with `windowBits`.
 *
 * @example
 * ```ts
 * import type { DeflateMode } from "./options.ts";
 * const mode: DeflateMode = "shared";
 * ```
 */
export type DeflateMode = "shared" | "dedicated";

/**
 * permessage-deflate settings of a server or client.
 *
 * @example
 * ```ts
 * import type { DeflateOptions } from "./options.ts";
 * const chat: DeflateOptions = { mode: "dedicated", windowBits: 11 };
 * ```
 */
export interface DeflateOptions {
  /** Default `"shared"`. */
  mode?: DeflateMode;
  /**
   * Dedicated mode: base-2 logarithm of each connection's compression
   * window, 9 to 15. Default 11 (2 KiB).
   */
  windowBits?: number;
  /**
   * Dedicated mode: the largest window the server lets the client use for
   * its messages (when the client offers `client_max_window_bits`), 9 to
   * 15. Default: `windowBits`.
   */
  clientWindowBits?: number;
  /** zlib compression level, 1 (fastest) to 9 (smallest). Default 6. */
  level?: number;
  /**
   * zlib memory level of compressors, 1 to 9: memory against speed and
   * size. Default 8 in shared mode, `windowBits - 7` in dedicated mode.
   */
  memLevel?: number;
  /**
   * Messages shorter than this many bytes are sent uncompressed. Default
   * 1024 in shared mode, 64 in dedicated mode.
   */
  threshold?: number;
}

/**
 * {@link DeflateOptions} with every default filled in.
 *
 * @example
 * ```ts
 * import { resolveDeflateOptions, type ResolvedDeflateOptions } from "./options.ts";
 * const options: ResolvedDeflateOptions = resolveDeflateOptions({});
 * console.log(options.mode, options.threshold); // shared 1024
 * ```
 */
export interface ResolvedDeflateOptions {
  /** `"shared"` or `"dedicated"`. */
  mode: DeflateMode;
  /** Window bits of a dedicated compressor, 9 to 15. */
  windowBits: number;
  /** Largest client window the server agrees to in dedicated mode. */
  clientWindowBits: number;
  /** zlib level, 1 to 9. */
  level: number;
  /** zlib memory level, 1 to 9. */
  memLevel: number;
  /** Smallest message, in bytes, that is compressed. */
  threshold: number;
}

function integerIn(
  name: string,
  value: number | undefined,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      `Invalid deflate option ${name}: ${value} (expected ${min} to ${max})`,
    );
  }
  return value;
}

/**
 * Checks `options` and fills in the defaults. Throws a `UsageError` for an
 * unknown mode or a value out of range.
 *
 * @example
 * ```ts
 * import { resolveDeflateOptions } from "./options.ts";
 * const dedicated = resolveDeflateOptions({ mode: "dedicated", windowBits: 12 });
 * console.log(dedicated.clientWindowBits, dedicated.memLevel); // 12 5
 * ```
 */
export function resolveDeflateOptions(
  options: DeflateOptions = {},
): ResolvedDeflateOptions {
  const mode = options.mode ?? "shared";
  if (mode !== "shared" && mode !== "dedicated") {
    throw new UsageError(`Invalid deflate mode: ${String(mode)}`);
  }
  const shared = mode === "shared";
  const windowBits = integerIn("windowBits", options.windowBits, 9, 15, 11);
  return {
    mode,
    windowBits,
    clientWindowBits: integerIn(
      "clientWindowBits",
      options.clientWindowBits,
      9,
      15,
      windowBits,
    ),
    level: integerIn("level", options.level, 1, 9, 6),
    memLevel: integerIn(
      "memLevel",
      options.memLevel,
      1,
      9,
      shared ? 8 : windowBits - 7,
    ),
    threshold: integerIn(
      "threshold",
      options.threshold,
      0,
      Number.MAX_SAFE_INTEGER,
      shared ? 1024 : 64,
    ),
  };
}
