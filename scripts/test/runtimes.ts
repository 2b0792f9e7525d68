/**
 * How each runtime runs the test files: the commands and their flags, and
 * how each reads its counts back.
 *
 * - Deno: one `deno test` over every file, with raw coverage data and a
 *   JUnit report in `coverage/`.
 * - Bun: one `bun test` over every file.
 * - Node: one `node --test` process per file, so a file that leaves a
 *   handle open (node --test waits for every handle) is killed on its own
 *   and named while the other files still run; a TAP copy of each file's
 *   results in `coverage/node/`.
 *
 * @module
 */

import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import process from "node:process";
import type { RunResult } from "../_run.ts";
import {
  countBunSummary,
  countDenoSummary,
  countJunitLeaves,
  countNodeTap,
  type Counts,
} from "./counts.ts";
import { OUT, ROOT } from "./paths.ts";
import { BUN, DENO, NODE } from "./toolchain.ts";

/** Per-test timeout for bun and node (bun's own default is 5 s). */
const TEST_TIMEOUT_MS = 60_000;
/** Node test files run at once (default 1: the output stays streamed). */
const TEST_CONCURRENCY = Number(process.env.ANYWS_TEST_CONCURRENCY) || 1;

/**
 * One process to run for a runtime: the whole suite, or one file.
 *
 * @example
 * ```ts
 * import type { Batch } from "./runtimes.ts";
 * const batch: Batch = {
 *   file: "tests/protocol/frame_test.ts",
 *   command: "node",
 *   args: ["--test", "tests/protocol/frame_test.ts"],
 *   count: () => ({ passed: 1, failed: 0 }),
 * };
 * ```
 */
export interface Batch {
  /** The test file, when the batch runs one file. */
  file?: string;
  command: string;
  args: string[];
  count(result: RunResult): Counts | undefined;
}

/**
 * How a runtime runs the suite: batches, and how many at once.
 *
 * @example
 * ```ts
 * import { bunRun, type RuntimeRun } from "./runtimes.ts";
 * const spec: RuntimeRun = bunRun(["tests/protocol/frame_test.ts"]);
 * spec.batches.length; // 1
 * ```
 */
export interface RuntimeRun {
  batches: Batch[];
  /** Batches run at once; above 1, each batch's output is buffered. */
  concurrency: number;
}

/**
 * Deno's run: `deno test` over `files` (and the coverage `loader`, see
 * `coverage.ts`), writing raw coverage data and a JUnit report; the
 * previous ones are deleted first.
 *
 * @example
 * ```ts
 * import { denoRun } from "./runtimes.ts";
 * const spec = denoRun(["tests/protocol/frame_test.ts"], undefined);
 * spec.batches[0].args[0]; // "test"
 * ```
 */
export function denoRun(
  files: string[],
  loader: string | undefined,
): RuntimeRun {
  const coverageDir = join(OUT, "deno");
  const junit = join(OUT, "deno.junit.xml");
  rmSync(coverageDir, { recursive: true, force: true });
  rmSync(junit, { force: true });
  return {
    concurrency: 1,
    batches: [{
      command: DENO,
      args: [
        "test",
        "-A",
        // Type errors are the job of the tsc and publish checks (which cover
        // every file, with Node's and Deno's types); like bun and node, deno
        // here only runs the code, so one broken file cannot hide all results.
        "--no-check",
        `--coverage=${relative(ROOT, coverageDir)}`,
        "--coverage-raw-data-only",
        `--junit-path=${relative(ROOT, junit)}`,
        ...files,
        ...(loader === undefined ? [] : [loader]),
      ],
      count,
    }],
  };
  function count(result: RunResult): Counts | undefined {
    if (existsSync(junit)) {
      const counts = countJunitLeaves(readFileSync(junit, "utf8"));
      if (counts !== undefined) return counts;
    }
    return countDenoSummary(result.output);
  }
}

/**
 * Bun's run: `bun test` over `files`, each test bounded by the per-test
 * timeout.
 *
 * @example
 * ```ts
 * import { bunRun } from "./runtimes.ts";
 * bunRun(["tests/protocol/frame_test.ts"]).batches[0].args; // ["test", "--timeout=60000", "./tests/frame_test.ts"]
 * ```
 */
export function bunRun(files: string[]): RuntimeRun {
  return {
    concurrency: 1,
    batches: [{
      command: BUN,
      // Paths must start with "./" or bun treats them as name filters.
      args: [
        "test",
        `--timeout=${TEST_TIMEOUT_MS}`,
        ...files.map((file) =>
          isAbsolute(file) || file.startsWith("./") ? file : `./${file}`
        ),
      ],
      count: (result: RunResult): Counts | undefined =>
        countBunSummary(result.output),
    }],
  };
}

/**
 * Node's run: one `node --test` process per file (`ANYWS_TEST_CONCURRENCY`
 * at once, default 1), spec output on stdout and TAP into
 * `coverage/node/`, which is emptied first.
 *
 * @example
 * ```ts
 * import { nodeRun } from "./runtimes.ts";
 * const spec = nodeRun(["tests/a_test.ts", "tests/b_test.ts"]);
 * spec.batches.map((batch) => batch.file); // ["tests/a_test.ts", "tests/b_test.ts"]
 * ```
 */
export function nodeRun(files: string[]): RuntimeRun {
  // One process per file, so a file that never exits (node --test waits for
  // every handle a test left open) is killed on its own and named, and the
  // other files still run.
  const dir = join(OUT, "node");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return {
    concurrency: TEST_CONCURRENCY,
    batches: files.map((file) => {
      const tap = join(dir, `${file.replace(/[^\w.-]+/g, "_")}.tap`);
      return {
        file,
        command: NODE,
        args: [
          "--test",
          `--test-timeout=${TEST_TIMEOUT_MS}`,
          "--test-reporter=spec",
          "--test-reporter-destination=stdout",
          "--test-reporter=tap",
          `--test-reporter-destination=${relative(ROOT, tap)}`,
          file,
        ],
        count: (result: RunResult): Counts | undefined =>
          countNodeTap(
            existsSync(tap) ? readFileSync(tap, "utf8") : result.output,
          ),
      };
    }),
  };
}
