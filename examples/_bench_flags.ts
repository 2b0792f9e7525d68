/**
 * The command line of `examples/bench_server.ts`: the port, and whether and
 * how it compresses (permessage-deflate, RFC 7692).
 *
 * ```sh
 * node examples/bench_server.ts 8080                       # no compression
 * node examples/bench_server.ts --deflate 8080             # shared mode
 * node examples/bench_server.ts --deflate=dedicated 8080   # dedicated mode
 * node examples/bench_server.ts --deflate --deflate-threshold=0 8080
 * DEFLATE=shared DEFLATE_THRESHOLD=0 node examples/bench_server.ts 8080
 * ```
 *
 * Flags win over the environment (`DEFLATE=shared|dedicated`,
 * `DEFLATE_THRESHOLD=N`, `PORT`). Pure: the same on Deno, Bun and Node.
 *
 * @module
 */

import type { DeflateMode, DeflateOptions } from "../mod.ts";

/**
 * What `examples/bench_server.ts` was asked for.
 *
 * @example
 * ```ts
 * import type { BenchServerFlags } from "./_bench_flags.ts";
 * const flags: BenchServerFlags = { port: 8080, deflate: { mode: "shared" } };
 * ```
 */
export interface BenchServerFlags {
  port: number;
  /** The server's `deflate` option: `false`, or the options to use. */
  deflate: false | DeflateOptions;
  /** The Redis URL of a cluster (`--redis URL` or `REDIS_URL`), or `""`. */
  redis: string;
}

const USAGE =
  "usage: bench_server.ts [--deflate[=shared|dedicated]] [--deflate-threshold=BYTES] [--redis URL] [PORT]";

function mode(text: string, from: string): DeflateMode {
  if (text === "shared" || text === "dedicated") return text;
  throw new Error(
    `Invalid ${from}: ${text} (expected shared or dedicated)\n${USAGE}`,
  );
}

function threshold(text: string, from: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(
      `Invalid ${from}: ${text} (expected a whole number of bytes, 0 or more)\n${USAGE}`,
    );
  }
  return value;
}

/**
 * Reads the port and the compression settings from `argv` (the arguments
 * after the script) and `env` (an environment variable, or `undefined`).
 * Throws an `Error` naming the bad argument.
 *
 * @example
 * ```ts
 * import { benchServerFlags } from "./_bench_flags.ts";
 * const flags = benchServerFlags(["--deflate", "--deflate-threshold=0", "9001"], () => undefined);
 * console.log(flags.port, flags.deflate); // 9001 { mode: "shared", threshold: 0 }
 * ```
 */
export function benchServerFlags(
  argv: readonly string[],
  env: (name: string) => string | undefined,
): BenchServerFlags {
  const envMode = env("DEFLATE");
  let deflateMode: DeflateMode | null = envMode === undefined || envMode === ""
    ? null
    : mode(envMode, "DEFLATE");
  const envThreshold = env("DEFLATE_THRESHOLD");
  let bytes: number | null = envThreshold === undefined || envThreshold === ""
    ? null
    : threshold(envThreshold, "DEFLATE_THRESHOLD");
  let portText: string | null = null;
  let redis = env("REDIS_URL") ?? "";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--redis") {
      redis = argv[++i] ?? "";
      if (redis === "") throw new Error(`--redis needs a URL\n${USAGE}`);
    } else if (arg === "--deflate") {
      deflateMode = "shared";
    } else if (arg.startsWith("--deflate=")) {
      deflateMode = mode(arg.slice("--deflate=".length), "--deflate");
    } else if (arg.startsWith("--deflate-threshold=")) {
      bytes = threshold(
        arg.slice("--deflate-threshold=".length),
        "--deflate-threshold",
      );
    } else if (arg.startsWith("-")) {
      throw new Error(`Unknown option: ${arg}\n${USAGE}`);
    } else if (portText === null) {
      portText = arg;
    } else {
      throw new Error(`Unexpected argument: ${arg}\n${USAGE}`);
    }
  }
  portText ??= env("PORT") || "8080";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Invalid port: ${portText}\n${USAGE}`);
  }
  if (deflateMode === null) {
    if (bytes !== null) {
      throw new Error(
        `A deflate threshold without --deflate (or DEFLATE) compresses nothing\n${USAGE}`,
      );
    }
    return { port, deflate: false, redis };
  }
  return {
    port,
    redis,
    deflate: bytes === null
      ? { mode: deflateMode }
      : { mode: deflateMode, threshold: bytes },
  };
}

/**
 * One line saying how the server compresses, for its ready line.
 *
 * @example
 * ```ts
 * import { describeDeflate } from "./_bench_flags.ts";
 * describeDeflate({ mode: "dedicated" }); // "permessage-deflate dedicated, default threshold"
 * ```
 */
export function describeDeflate(deflate: false | DeflateOptions): string {
  if (deflate === false) return "no compression";
  return `permessage-deflate ${deflate.mode ?? "shared"}, ${
    deflate.threshold === undefined
      ? "default threshold"
      : `threshold ${deflate.threshold} B`
  }`;
}
