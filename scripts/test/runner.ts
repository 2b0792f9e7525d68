/**
 * Runs one runtime's batches (see `runtimes.ts`): streamed or buffered
 * output, a deadline for the whole runtime (`ANYWS_TEST_TIMEOUT_MS`,
 * default 15 minutes) and one per file under node
 * (`ANYWS_TEST_FILE_TIMEOUT_MS`, default 5 minutes), and the totals. A
 * batch that times out, crashes or exits non-zero without a failing test
 * counts as one more failure, so the totals agree with the exit status; a
 * runtime that runs zero tests fails.
 *
 * @module
 */

import process from "node:process";
import { run } from "../_run.ts";
import type { Counts } from "./counts.ts";
import { header, seconds } from "./output.ts";
import { ROOT } from "./paths.ts";
import type { Batch, RuntimeRun } from "./runtimes.ts";
import type { Outcome } from "./summary.ts";
import type { Runtime } from "./toolchain.ts";

const RUNTIME_TIMEOUT_MS = Number(process.env.ANYWS_TEST_TIMEOUT_MS) ||
  15 * 60_000;
/** Bound for one test file under node (each file is its own process). */
const FILE_TIMEOUT_MS = Number(process.env.ANYWS_TEST_FILE_TIMEOUT_MS) ||
  5 * 60_000;

/**
 * What one runtime's run gave: its outcome line, its counts, and the
 * children's whole output.
 *
 * @example
 * ```ts
 * import type { RuntimeOutcome } from "./runner.ts";
 * const total = (r: RuntimeOutcome): number => r.passed + r.failed;
 * ```
 */
export type RuntimeOutcome = Outcome & Counts & { output: string };

/**
 * Runs `spec`'s batches for `runtime`, prints their output and a result
 * line, and returns the outcome.
 *
 * @example
 * ```ts
 * import { runRuntime } from "./runner.ts";
 * import { bunRun } from "./runtimes.ts";
 * import { childEnv } from "./toolchain.ts";
 * const outcome = await runRuntime("bun", bunRun(["tests/protocol/frame_test.ts"]), childEnv());
 * console.log(outcome.line); // "bun: 12 passed, 0 failed (1.8 s)"
 * ```
 */
export async function runRuntime(
  runtime: Runtime,
  spec: RuntimeRun,
  env: Record<string, string | undefined>,
): Promise<RuntimeOutcome> {
  const first = spec.batches[0];
  const shown = first === undefined ? [] : [
    first.command.replace(ROOT + "/", ""),
    ...first.args.filter((arg) => arg !== first.file),
    first.file === undefined ? "" : "<file>, one process per file",
  ];
  header(`${runtime}: ${shown.join(" ").trim()}`);
  const started = performance.now();
  const deadline = started + RUNTIME_TIMEOUT_MS;
  const counts: Counts = { passed: 0, failed: 0 };
  const notes: string[] = [];
  const outputs: string[] = [];
  let ok = true;
  const stream = spec.concurrency <= 1;

  const runBatch = async (batch: Batch): Promise<void> => {
    const budget = Math.max(1_000, deadline - performance.now());
    const perFile = batch.file === undefined
      ? budget
      : Math.min(FILE_TIMEOUT_MS, budget);
    if (stream && batch.file !== undefined) {
      console.log(`\n--- ${runtime}: ${batch.file}`);
    }
    const result = await run(batch.command, batch.args, {
      cwd: ROOT,
      env,
      timeoutMs: perFile,
      stream,
    });
    if (!stream) {
      console.log(`\n--- ${runtime}: ${batch.file ?? "all files"}`);
      process.stdout.write(result.output);
    }
    outputs.push(result.output);
    const found = batch.count(result) ?? { passed: 0, failed: 0 };
    const where = batch.file === undefined ? "" : `${batch.file} `;
    if (result.timedOut) {
      // Under node --test a file that leaves a server, socket or timer open
      // never exits: the usual cause. Counted as one more failure.
      found.failed++;
      notes.push(
        `${where}timed out after ${
          seconds(perFile)
        } (left a handle open, or hung; its counts are partial)`,
      );
    } else if (result.code !== 0 && found.failed === 0) {
      // A crash, a load error or an uncaught error outside any test: count
      // it as one failure so the totals agree with the exit status.
      found.failed = 1;
      notes.push(
        `${where}exited with ${
          result.code === null
            ? `signal ${result.signal}`
            : `code ${result.code}`
        } without a failing test: see its output`,
      );
    }
    if (result.code !== 0 || result.timedOut) ok = false;
    counts.passed += found.passed;
    counts.failed += found.failed;
  };

  const queue = [...spec.batches];
  const workers = Array.from(
    { length: Math.max(1, spec.concurrency) },
    async () => {
      for (
        let batch = queue.shift();
        batch !== undefined;
        batch = queue.shift()
      ) {
        await runBatch(batch);
      }
    },
  );
  await Promise.all(workers);

  if (counts.passed === 0 && counts.failed === 0) {
    counts.failed = 1;
    notes.push("ran zero tests");
  } else if (counts.passed === 0) {
    notes.push("ran zero passing tests");
  }
  ok = ok && counts.failed === 0 && counts.passed > 0;
  const line = `${runtime}: ${counts.passed} passed, ${counts.failed} failed (${
    seconds(performance.now() - started)
  })${notes.length > 0 ? ` — ${notes.join("; ")}` : ""}`;
  console.log(`\n${ok ? "✔" : "✖"} ${line}`);
  return { name: runtime, ok, line, ...counts, output: outputs.join("") };
}
