/**
 * The `logger` option: where the library (and the `anyws` command) writes
 * what an operator should see, at a level, as plain lines or JSON lines.
 * Without one the library prints nothing but the rate-limited fallback
 * line for an unhandled error.
 *
 * @module
 */

import { UsageError } from "../protocol/errors.ts";

/**
 * How much to log: each level includes the ones after it; `"silent"` logs
 * nothing.
 *
 * @example
 * ```ts
 * import type { LogLevel } from "@anyws/anyws";
 * const level: LogLevel = "info";
 * ```
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** The levels a record can have, by rank. */
const RANKS: Readonly<Record<LogLevel, number>> = Object.freeze({
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: Infinity,
});

/**
 * What a logger does with records. Implement it to send the library's
 * records to a logging library of your own.
 *
 * @example
 * ```ts
 * import type { Logger } from "@anyws/anyws";
 * const logger: Logger = {
 *   enabled: (level) => level !== "debug",
 *   log: (level, message, fields) => console.log(level, message, fields),
 * };
 * ```
 */
export interface Logger {
  /** Whether records of `level` are written (so the caller can skip building them). */
  enabled(level: Exclude<LogLevel, "silent">): boolean;
  /** Writes one record: a one-line message and structured fields. */
  log(
    level: Exclude<LogLevel, "silent">,
    message: string,
    fields?: Record<string, unknown>,
  ): void;
}

/**
 * Options of {@link createLogger}, also accepted as the `logger` option.
 *
 * @example
 * ```ts
 * import type { LoggerOptions } from "@anyws/anyws";
 * const options: LoggerOptions = { level: "info", format: "json" };
 * ```
 */
export interface LoggerOptions {
  /** The lowest level written. Default `"info"`. */
  level?: LogLevel;
  /**
   * `"plain"`: the message alone, one line per record; `"json"`: one JSON
   * object per line, `{"time", "level", "msg", ...fields}`. Default
   * `"plain"`.
   */
  format?: "plain" | "json";
  /**
   * Where lines go. Default: `console.log` for debug and info,
   * `console.error` for warn and error.
   */
  write?: (line: string, level: Exclude<LogLevel, "silent">) => void;
  /** The clock of JSON lines' `time`. Default `Date.now`. */
  now?: () => number;
}

/**
 * A logger that writes plain or JSON lines at `level` and above.
 *
 * @example
 * ```ts
 * import { createLogger } from "@anyws/anyws";
 * const logger = createLogger({ level: "info", format: "json" });
 * logger.log("info", "rejected ws upgrade", { status: 403 });
 * // {"time":"…","level":"info","msg":"rejected ws upgrade","status":403}
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const { level = "info", format = "plain", now = Date.now } = options;
  if (!Object.hasOwn(RANKS, level)) {
    throw new UsageError(
      `Invalid log level: ${
        JSON.stringify(level)
      } (debug, info, warn, error or silent)`,
    );
  }
  if (format !== "plain" && format !== "json") {
    throw new UsageError(
      `Invalid log format: ${JSON.stringify(format)} (plain or json)`,
    );
  }
  const threshold = RANKS[level];
  const write = options.write ?? defaultWrite;
  return {
    enabled: (at) => RANKS[at] >= threshold,
    log(at, message, fields) {
      if (RANKS[at] < threshold) return;
      if (format === "plain") {
        write(message, at);
        return;
      }
      const record: Record<string, unknown> = {
        time: new Date(now()).toISOString(),
        level: at,
        msg: message,
      };
      if (fields !== undefined) {
        for (const [key, value] of Object.entries(fields)) {
          if (!(key in record) && value !== undefined) record[key] = value;
        }
      }
      write(JSON.stringify(record, jsonSafe), at);
    },
  };
}

/**
 * The `logger` option as a logger: a {@link Logger} as it is, options
 * through {@link createLogger}, `undefined` (or `false`) as none.
 *
 * @example
 * ```ts
 * import { resolveLogger } from "./logger.ts";
 * console.log(resolveLogger(undefined)); // undefined
 * const logger = resolveLogger({ level: "warn" });
 * ```
 */
export function resolveLogger(
  option: Logger | LoggerOptions | false | undefined,
): Logger | undefined {
  if (option === undefined || option === false) return undefined;
  if (typeof option !== "object" || option === null) {
    throw new UsageError(
      `Invalid option logger: ${String(option)} (a Logger or logger options)`,
    );
  }
  if (isLogger(option)) return option;
  return createLogger(option);
}

function isLogger(value: object): value is Logger {
  return typeof (value as Logger).log === "function" &&
    typeof (value as Logger).enabled === "function";
}

function defaultWrite(line: string, level: Exclude<LogLevel, "silent">): void {
  if (level === "warn" || level === "error") console.error(line);
  else console.log(line);
}

/** JSON for values JSON.stringify would throw on or lose. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  return value;
}
