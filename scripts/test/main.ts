/**
 * Runs the checks and the whole test suite on Deno, Bun and Node, then
 * prints one summary line per runtime, the line coverage of `src/`, and a
 * last line `N passed, N failed` (totals over the runtimes).
 *
 * ```sh
 * node scripts/test/main.ts                  # checks + all runtimes (npm test)
 * node scripts/test/main.ts --checks-only    # npm run check
 * node scripts/test/main.ts --runtime=bun    # one runtime, no checks
 * node scripts/test/main.ts --runtime=node tests/protocol/frame_test.ts
 * ```
 *
 * Exits 1 if a check fails, a runtime reports a failure, exits non-zero,
 * times out or runs zero tests, or (when Deno runs) coverage cannot be
 * measured. Coverage under 95% is reported, not fatal.
 *
 * Node runs each test file in its own `node --test` process: a file that
 * leaves a handle open never exits under node, and this way it is killed
 * and named on its own while the other files still run.
 *
 * Environment: `ANYWS_TEST_TIMEOUT_MS` bounds each runtime's run (default
 * 15 minutes); `ANYWS_TEST_FILE_TIMEOUT_MS` bounds one node test file
 * (default 5 minutes); `ANYWS_TEST_CONCURRENCY` runs that many node test
 * files at once (default 1; above 1 their output is printed per file).
 *
 * The parts: `options.ts` (the command line), `checks.ts`, `test_files.ts`,
 * `runtimes.ts` (each runtime's commands) and `runner.ts` (running them,
 * timeouts), `counts.ts` (reading each runtime's results), `coverage.ts`,
 * `summary.ts`; `toolchain.ts`, `paths.ts` and `output.ts` beneath them.
 *
 * @module
 */

import { mkdirSync } from "node:fs";
import process from "node:process";
import { runChecks } from "./checks.ts";
import { measureCoverage, writeSourceLoader } from "./coverage.ts";
import { parseOptions } from "./options.ts";
import { header } from "./output.ts";
import { OUT } from "./paths.ts";
import { runRuntime, type RuntimeOutcome } from "./runner.ts";
import { bunRun, denoRun, nodeRun } from "./runtimes.ts";
import { type Outcome, printSummary } from "./summary.ts";
import { findTestFiles } from "./test_files.ts";
import { BUN, childEnv, DENO, NODE, version } from "./toolchain.ts";

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const env = childEnv();
  mkdirSync(OUT, { recursive: true });
  const started = performance.now();

  header("runtimes");
  console.log(`deno: ${await version(DENO, ["--version"])}`);
  console.log(`bun:  ${await version(BUN, ["--version"])}`);
  console.log(`node: ${await version(NODE, ["--version"])}`);

  const checks = options.checks ? await runChecks(env) : [];

  const files = options.files.length > 0 ? options.files : findTestFiles();
  if (options.runtimes.length > 0) {
    header("test files");
    console.log(
      files.length === 0 ? "(none found under tests/)" : files.join("\n"),
    );
  }
  const runtimes: RuntimeOutcome[] = [];
  let coverage: Outcome | undefined;
  for (const runtime of options.runtimes) {
    if (runtime === "deno") {
      const loader = writeSourceLoader();
      const outcome = await runRuntime(runtime, denoRun(files, loader), env);
      runtimes.push(outcome);
      coverage = await measureCoverage(outcome.output, env);
    } else if (runtime === "bun") {
      runtimes.push(await runRuntime(runtime, bunRun(files), env));
    } else {
      runtimes.push(await runRuntime(runtime, nodeRun(files), env));
    }
  }

  const outcomes = [...checks, ...runtimes, ...(coverage ? [coverage] : [])];
  return printSummary(outcomes, runtimes, started);
}

process.exitCode = await main();
