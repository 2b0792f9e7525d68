/**
 * Fails when a TypeScript file of the library or its tooling (`mod.ts`,
 * `src/`, `engines/`, `cli/`, `scripts/`, `examples/`) is over
 * {@link MAX_LINES} lines without a stated reason: a line starting with
 * `// Long file:` among its first lines, saying why its concept does not
 * split. Test files are not held to it: each is one subject's cases, and
 * its length is their count. Installed packages (`node_modules`, such as
 * `scripts/node22`'s) are not ours and are not read.
 *
 * ```sh
 * node scripts/check_file_sizes.ts
 * ```
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import { ROOT } from "./test/paths.ts";

/** The size above which a file must say why it is one file. */
export const MAX_LINES = 400;

const SCANNED = ["mod.ts", "src", "engines", "cli", "scripts", "examples"];
const REASON = /^\/\/ Long file: \S/;
const REASON_WITHIN = 5;

/**
 * The files over {@link MAX_LINES} lines that state no reason, as paths
 * relative to `root`.
 *
 * @example
 * ```ts
 * import { unexplainedLongFiles } from "./check_file_sizes.ts";
 * import { ROOT } from "./test/paths.ts";
 * console.log(unexplainedLongFiles(ROOT)); // []
 * ```
 */
export function unexplainedLongFiles(root: string): string[] {
  const found: string[] = [];
  const visit = (path: string): void => {
    if (path.endsWith(".ts")) {
      const lines = readFileSync(path, "utf8").split("\n");
      const explained = lines.slice(0, REASON_WITHIN).some((line) =>
        REASON.test(line)
      );
      if (lines.length > MAX_LINES && !explained) {
        found.push(relative(root, path));
      }
      return;
    }
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const wanted = entry.isDirectory()
        ? entry.name !== "node_modules"
        : entry.name.endsWith(".ts");
      if (wanted) {
        visit(join(path, entry.name));
      }
    }
  };
  for (const name of SCANNED) visit(join(root, name));
  return found.sort();
}

if (import.meta.main) {
  const found = unexplainedLongFiles(ROOT);
  if (found.length > 0) {
    console.error(
      `Over ${MAX_LINES} lines without a "// Long file: <why>" line at the top:\n  ${
        found.join("\n  ")
      }`,
    );
    process.exit(1);
  }
  console.log(`every file over ${MAX_LINES} lines says why`);
}
