/**
 * Which files are tests: every `*_test.ts` under `tests/`, except in
 * folders named `node_modules`, `fixtures` or starting with `.` or `_`.
 *
 * @module
 */

import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./paths.ts";

/**
 * The test files, relative to the repository's root, sorted.
 *
 * @example
 * ```ts
 * import { findTestFiles } from "./test_files.ts";
 * findTestFiles(); // ["tests/scripts/bench_args_test.ts", "tests/scripts/check_lock_test.ts", ...]
 * ```
 */
export function findTestFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!/^[._]|^node_modules$|^fixtures$/.test(entry.name)) walk(path);
      } else if (entry.isFile() && entry.name.endsWith("_test.ts")) {
        found.push(relative(ROOT, path));
      }
    }
  };
  const dir = join(ROOT, "tests");
  if (existsSync(dir)) walk(dir);
  return found.sort();
}
