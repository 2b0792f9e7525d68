/**
 * Where the benchmarks find things and put them: the repository, the
 * scratch folder `.bench/` (the compiled load client, quick runs), the
 * published results `docs/bench/`, and the runtimes pinned in
 * `node_modules/.bin`.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository's root.
 *
 * @example
 * ```ts
 * import { join } from "node:path";
 * import { ROOT } from "./paths.ts";
 * const server = join(ROOT, "examples", "bench_server.ts");
 * ```
 */
export const ROOT: string = fileURLToPath(new URL("../..", import.meta.url))
  .replace(/\/$/, "");

/**
 * The pinned toolchain's binaries (`node_modules/.bin`).
 *
 * @example
 * ```ts
 * import { BIN } from "./paths.ts";
 * const path = `${BIN}:/usr/bin`;
 * ```
 */
export const BIN: string = join(ROOT, "node_modules", ".bin");

/**
 * Scratch output of the benchmarks (the compiled client, quick runs).
 *
 * @example
 * ```ts
 * import { join } from "node:path";
 * import { SCRATCH } from "./paths.ts";
 * const run = join(SCRATCH, "run.json");
 * ```
 */
export const SCRATCH: string = join(ROOT, ".bench");

/**
 * Where a full run publishes its results.
 *
 * @example
 * ```ts
 * import { join } from "node:path";
 * import { DOCS } from "./paths.ts";
 * const markdown = join(DOCS, "results.md");
 * ```
 */
export const DOCS: string = join(ROOT, "docs", "bench");

/**
 * The devDependency's binary in node_modules/.bin, or `name` from PATH.
 *
 * @example
 * ```ts
 * import { tool } from "./paths.ts";
 * const deno = tool("deno"); // ".../node_modules/.bin/deno"
 * ```
 */
export function tool(name: string): string {
  const local = join(BIN, name);
  return existsSync(local) ? local : name;
}
