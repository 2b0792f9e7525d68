/**
 * Where the test runner finds things and puts them: the repository, the
 * pinned toolchain in `node_modules/.bin`, and `coverage/` (coverage data,
 * JUnit and TAP reports, the coverage loader).
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository's root.
 *
 * @example
 * ```ts
 * import { join } from "node:path";
 * import { ROOT } from "./paths.ts";
 * const tests = join(ROOT, "tests");
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
 * The runner's output folder (`coverage/`).
 *
 * @example
 * ```ts
 * import { join } from "node:path";
 * import { OUT } from "./paths.ts";
 * const lcov = join(OUT, "deno.lcov");
 * ```
 */
export const OUT: string = join(ROOT, "coverage");
