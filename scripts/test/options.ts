/**
 * The command line of the test runner: which checks and runtimes to run,
 * on which test files.
 *
 * @module
 */

import process from "node:process";
import { type Runtime, RUNTIMES } from "./toolchain.ts";

/**
 * What to run.
 *
 * @example
 * ```ts
 * import { type Options, parseOptions } from "./options.ts";
 * const options: Options = parseOptions(["--runtime=node", "tests/protocol/frame_test.ts"]);
 * options.checks; // false
 * ```
 */
export interface Options {
  checks: boolean;
  runtimes: Runtime[];
  files: string[];
}

function usage(): string {
  return [
    "Usage: node scripts/test/main.ts [--checks-only | --no-checks] [--runtime=deno,bun,node] [test files]",
    "  --checks-only      run lint, fmt, doc lint, publish dry-run, tsc, purity and the lock check only",
    "  --no-checks        run the tests only",
    "  --runtime=<list>   run the tests on these runtimes only (implies --no-checks)",
  ].join("\n");
}

/**
 * The options `argv` asks for: by default the checks and every runtime on
 * every test file. Prints the usage and exits 0 on `--help`; exits 2 on an
 * unknown option or runtime.
 *
 * @example
 * ```ts
 * import { parseOptions } from "./options.ts";
 * parseOptions(["--checks-only"]); // { checks: true, runtimes: [], files: [] }
 * ```
 */
export function parseOptions(argv: readonly string[]): Options {
  let checks = true;
  let tests = true;
  let runtimes: Runtime[] = [...RUNTIMES];
  const files: string[] = [];
  for (const arg of argv) {
    if (arg === "--help" || arg === "-h") {
      console.log(usage());
      process.exit(0);
    } else if (arg === "--checks-only") {
      tests = false;
    } else if (arg === "--no-checks") {
      checks = false;
    } else if (arg.startsWith("--runtime=")) {
      checks = false;
      runtimes = [];
      for (const name of arg.slice("--runtime=".length).split(",")) {
        if (!(RUNTIMES as readonly string[]).includes(name)) {
          console.error(`Unknown runtime: ${name}\n${usage()}`);
          process.exit(2);
        }
        runtimes.push(name as Runtime);
      }
    } else if (arg.startsWith("-")) {
      console.error(`Unknown option: ${arg}\n${usage()}`);
      process.exit(2);
    } else {
      files.push(arg);
    }
  }
  return { checks, runtimes: tests ? runtimes : [], files };
}
