/**
 * Type-checks every `@example` in the JSDoc of the library, the engines and
 * the command (`deno check --doc-only`), and lints the documentation of
 * every entry point (`deno doc --lint`): an example that no longer
 * compiles, or a public type left undocumented or unexported, fails `npm
 * test`.
 *
 * ```sh
 * node scripts/check_doc_examples.ts
 * ```
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { run } from "./_run.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const DENO = join(ROOT, "node_modules", ".bin", "deno");

/**
 * The package's entry points, read from `deno.json`'s `exports`.
 *
 * @example
 * ```ts
 * import { entryPoints } from "./check_doc_examples.ts";
 * console.log(entryPoints()[0]); // "mod.ts"
 * ```
 */
export function entryPoints(): string[] {
  const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as {
    exports: Record<string, string>;
  };
  return Object.values(deno.exports).map((path) => path.replace(/^\.\//, ""));
}

/**
 * Every TypeScript file whose JSDoc examples are checked: `mod.ts`,
 * `src/`, `engines/` and `cli/`.
 *
 * @example
 * ```ts
 * import { documentedFiles } from "./check_doc_examples.ts";
 * console.log(documentedFiles().includes("mod.ts")); // true
 * ```
 */
export function documentedFiles(): string[] {
  const files = ["mod.ts"];
  for (const dir of ["src", "engines", "cli"]) {
    for (
      const entry of readdirSync(join(ROOT, dir), {
        recursive: true,
        withFileTypes: true,
      })
    ) {
      if (entry.isFile() && entry.name.endsWith(".ts")) {
        files.push(relative(ROOT, join(entry.parentPath, entry.name)));
      }
    }
  }
  return files.sort();
}

async function main(): Promise<number> {
  const env = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
  const lint = await run(DENO, ["doc", "--lint", ...entryPoints()], {
    cwd: ROOT,
    env,
    stream: false,
  });
  if (lint.code !== 0) {
    console.log(lint.output.trim());
    console.log("doc examples: deno doc --lint failed on the entry points");
    return 1;
  }
  const files = documentedFiles();
  const check = await run(DENO, ["check", "--doc-only", ...files], {
    cwd: ROOT,
    env,
    stream: false,
  });
  if (check.code !== 0) {
    const errors = check.output.split("\n").filter((line) =>
      /TS\d+|^\s+at file/.test(line)
    );
    console.log(errors.join("\n"));
    console.log("doc examples: an @example does not type-check");
    return 1;
  }
  console.log(
    `doc examples: ${files.length} files' examples type-check; ${entryPoints().length} entry points' docs lint clean`,
  );
  return 0;
}

if (import.meta.main) process.exitCode = await main();
