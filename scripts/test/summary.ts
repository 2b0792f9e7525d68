/**
 * The end of a run: one line per check, runtime and coverage, the names of
 * what failed, and the last line `N passed, N failed` (totals over the
 * runtimes); and the exit status.
 *
 * @module
 */

import type { Counts } from "./counts.ts";
import { header, seconds } from "./output.ts";

/**
 * The outcome of one check, one runtime or the coverage.
 *
 * @example
 * ```ts
 * import type { Outcome } from "./summary.ts";
 * const lint: Outcome = { name: "deno lint", ok: true, line: "deno lint: ok (2.3 s)" };
 * ```
 */
export interface Outcome {
  name: string;
  ok: boolean;
  line: string;
}

/**
 * Prints the summary of a run that began at `started` (a
 * `performance.now()` time): `outcomes` in order, then, when runtimes ran,
 * the totals of their `counts`. Returns the exit status: 1 if any outcome
 * failed, else 0.
 *
 * @example
 * ```ts
 * import { printSummary } from "./summary.ts";
 * const node = { name: "node", ok: true, line: "node: 3 passed, 0 failed (1.0 s)" };
 * const status = printSummary([node], [{ passed: 3, failed: 0 }], performance.now());
 * // prints "✔ node: 3 passed, 0 failed (1.0 s)" and "3 passed, 0 failed"; 0
 * ```
 */
export function printSummary(
  outcomes: Outcome[],
  counts: Counts[],
  started: number,
): number {
  header(`summary (${seconds(performance.now() - started)})`);
  for (const outcome of outcomes) {
    console.log(`${outcome.ok ? "✔" : "✖"} ${outcome.line}`);
  }
  const failing = outcomes.filter((outcome) => !outcome.ok).map((outcome) =>
    outcome.name
  );
  if (failing.length > 0) console.log(`FAILED: ${failing.join(", ")}`);
  if (counts.length > 0) {
    const passed = counts.reduce((sum, r) => sum + r.passed, 0);
    const failed = counts.reduce((sum, r) => sum + r.failed, 0);
    console.log(`${passed} passed, ${failed} failed`);
  }
  return failing.length > 0 ? 1 : 0;
}
