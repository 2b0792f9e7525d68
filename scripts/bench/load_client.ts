/**
 * The load client of every benchmark: `bench_client.c` (one epoll thread,
 * the same for every server) with `bench_pmd.c` (permessage-deflate, on
 * zlib) and `bench_chat.c` (the JSON messages), compiled with `cc -O2 ...
 * -lz` into `.bench/`, run pinned to core 1 in a process group of its own,
 * killed after its budget. It prints one JSON object, its report, as its
 * last line.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { ROOT, SCRATCH } from "./paths.ts";
import {
  type Reported,
  type ReportingRun,
  runReporting,
  tail,
} from "./processes.ts";

const SOURCE_DIR = join(ROOT, "scripts", "bench");
const CLIENT_SOURCES = ["bench_client.c", "bench_pmd.c", "bench_chat.c"].map((
  name,
) => join(SOURCE_DIR, name));
const CLIENT_HEADERS = ["bench_pmd.h", "bench_chat.h"].map((name) =>
  join(SOURCE_DIR, name)
);
const CLIENT = join(SCRATCH, "bench_client");

/**
 * Why a failed compile failed, in one line a person can act on: zlib's
 * headers or library missing (the client needs them for
 * permessage-deflate), no C compiler, or the compiler's own words.
 *
 * @example
 * ```ts
 * import { compileFailure } from "./load_client.ts";
 * compileFailure("bench_pmd.h:27:10: fatal error: zlib.h: No such file or directory", null);
 * // "Cannot compile the load client: zlib's headers are missing (zlib.h) ..."
 * ```
 */
export function compileFailure(
  stderr: string,
  spawnError: string | null,
): string {
  if (spawnError !== null) {
    return `Cannot compile the load client: no C compiler (cc: ${spawnError}); install gcc (Debian: apt-get install gcc)`;
  }
  if (
    /zlib\.h/.test(stderr) || /cannot find -lz|-lz: No such file/.test(stderr)
  ) {
    return "Cannot compile the load client: zlib's headers are missing (zlib.h) or its library (-lz); the client needs them for permessage-deflate. Install zlib1g-dev (npm run setup does)";
  }
  return `Cannot compile the load client with cc: ${tail(stderr, 20)}`;
}

/**
 * The load client's JSON report (its last line of output).
 *
 * @example
 * ```ts
 * import type { ClientReport } from "./load_client.ts";
 * const report: ClientReport = { msgs_per_s: 120_000, error: null };
 * ```
 */
export type ClientReport = Reported;

/**
 * What a run of the load client gave: its report, or why there is none.
 *
 * @example
 * ```ts
 * import type { ClientRun } from "./load_client.ts";
 * const ok = (run: ClientRun): boolean => run.error === null;
 * ```
 */
export type ClientRun = ReportingRun;

/**
 * Runs the load client (pinned to core 1 when `pin`), killed after `budgetMs`.
 *
 * @example
 * ```ts
 * import { runClient } from "./load_client.ts";
 * const run = await runClient(
 *   ["--port", "8080", "--mode", "idle", "--conns", "10"],
 *   30_000,
 *   false,
 * );
 * console.log(run.report?.alive);
 * ```
 */
export function runClient(
  args: string[],
  budgetMs: number,
  pin: boolean,
): Promise<ClientRun> {
  return runReporting([CLIENT, ...args], { budgetMs, pin, what: "Client" });
}

/**
 * Compiles the load client with `cc -O2 ... -lz` into `output` (default
 * `.bench/bench_client`) unless it is newer than its sources and headers
 * and than every file of `alsoNewerThan`; returns why it failed (see
 * {@link compileFailure}), or `null`.
 *
 * @example
 * ```ts
 * import { compileClient } from "./load_client.ts";
 * const error = compileClient();
 * if (error !== null) throw new Error(error);
 * ```
 */
export function compileClient(
  alsoNewerThan: string[] = [],
  output: string = CLIENT,
): string | null {
  mkdirSync(dirname(output), { recursive: true });
  const built = existsSync(output) ? statSync(output).mtimeMs : -1;
  const fresh = [...CLIENT_SOURCES, ...CLIENT_HEADERS, ...alsoNewerThan].every(
    (file) => built >= statSync(file).mtimeMs,
  );
  if (fresh) return null;
  const cc = spawnSync(
    "cc",
    ["-O2", "-Wall", "-o", output, ...CLIENT_SOURCES, "-lz"],
    { encoding: "utf8" },
  );
  if (cc.status === 0) return null;
  return compileFailure(cc.stderr ?? "", cc.error?.message ?? null);
}
