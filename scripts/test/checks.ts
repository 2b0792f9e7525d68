/**
 * The checks of `npm test` and `npm run check`, run before the tests: lint,
 * format, doc lint, publish dry-run, type-check, the purity of `src/` and
 * the completeness of `package-lock.json`. Each runs bounded in time; a
 * failing one prints its output.
 *
 * @module
 */

import { join } from "node:path";
import { run } from "../_run.ts";
import { header, indent, seconds } from "./output.ts";
import { ROOT } from "./paths.ts";
import type { Outcome } from "./summary.ts";
import { DENO, NODE } from "./toolchain.ts";

const CHECK_TIMEOUT_MS = 5 * 60_000;

/**
 * One check: a command run from the repository's root that exits 0 when
 * all is well.
 *
 * @example
 * ```ts
 * import type { Check } from "./checks.ts";
 * import { DENO } from "./toolchain.ts";
 * const lint: Check = { name: "deno lint", command: DENO, args: ["lint"] };
 * ```
 */
export interface Check {
  name: string;
  command: string;
  args: string[];
}

const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

/**
 * The checks, in the order they run.
 *
 * @example
 * ```ts
 * import { CHECKS } from "./checks.ts";
 * CHECKS.map((check) => check.name); // ["deno lint", "deno fmt --check", ...]
 * ```
 */
export const CHECKS: readonly Check[] = [
  { name: "deno lint", command: DENO, args: ["lint"] },
  { name: "deno fmt --check", command: DENO, args: ["fmt", "--check"] },
  {
    name: "doc: every @example type-checks, every entry point lints",
    command: NODE,
    args: ["scripts/check_doc_examples.ts"],
  },
  {
    name: "deno publish --dry-run",
    command: DENO,
    args: ["publish", "--dry-run", "--allow-dirty"],
  },
  { name: "tsc --noEmit", command: NODE, args: [TSC, "--noEmit", "-p", "."] },
  {
    name: "purity of src/",
    command: NODE,
    args: ["scripts/check_purity.ts"],
  },
  {
    name: "layering of src/",
    command: NODE,
    args: ["scripts/check_layers.ts"],
  },
  {
    name: "files over 400 lines say why",
    command: NODE,
    args: ["scripts/check_file_sizes.ts"],
  },
  {
    name: "API reference (docs/api) current",
    command: NODE,
    args: ["scripts/build_api_docs.ts", "--check"],
  },
  {
    name: "package-lock.json complete",
    command: NODE,
    args: ["scripts/check_lock.ts"],
  },
];

/**
 * Runs every check of {@link CHECKS} one after the other, prints one line
 * each (and the output of a failing one), and returns their outcomes.
 *
 * @example
 * ```ts
 * import { runChecks } from "./checks.ts";
 * import { childEnv } from "./toolchain.ts";
 * const outcomes = await runChecks(childEnv());
 * const failed = outcomes.filter((outcome) => !outcome.ok);
 * ```
 */
export async function runChecks(
  env: Record<string, string | undefined>,
): Promise<Outcome[]> {
  header("checks");
  const outcomes: Outcome[] = [];
  for (const check of CHECKS) {
    const result = await run(check.command, check.args, {
      cwd: ROOT,
      env,
      stream: false,
      timeoutMs: CHECK_TIMEOUT_MS,
    });
    const ok = result.code === 0 && !result.timedOut;
    const status = ok
      ? "ok"
      : result.timedOut
      ? "timed out"
      : `exit ${result.code ?? result.signal}`;
    const line = `${check.name}: ${status} (${seconds(result.durationMs)})`;
    console.log(`${ok ? "✔" : "✖"} ${line}`);
    if (!ok) {
      // A failing check must show why.
      console.log(indent(withoutTypesNoise(result.output).trimEnd()));
      console.log(`✖ ${check.name} failed: see above`);
    }
    outcomes.push({ name: check.name, ok, line });
  }
  return outcomes;
}

/**
 * Drops deno's harmless "Failed resolving types" warnings about
 * node_modules/@types/node (two lines each, dozens per run) so the real
 * errors of a failing check stay readable.
 */
function withoutTypesNoise(text: string): string {
  return text.replace(
    /^Warning Failed resolving types\..*\n\s+at file:\/\/\S*\/node_modules\/@types\/node\/.*\n/gm,
    "",
  );
}
