/**
 * The runtimes the tests run on (Deno, Bun and Node 24, pinned in
 * `node_modules/.bin`), their versions, and the environment every child
 * process gets.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { run } from "../_run.ts";
import { BIN } from "./paths.ts";

/**
 * The runtimes, in the order they run.
 *
 * @example
 * ```ts
 * import { RUNTIMES } from "./toolchain.ts";
 * RUNTIMES.join(","); // "deno,bun,node"
 * ```
 */
export const RUNTIMES = ["deno", "bun", "node"] as const;

/**
 * One of {@link RUNTIMES}.
 *
 * @example
 * ```ts
 * import type { Runtime } from "./toolchain.ts";
 * const runtime: Runtime = "node";
 * ```
 */
export type Runtime = typeof RUNTIMES[number];

function tool(name: string): string {
  const local = join(BIN, name);
  if (existsSync(local)) return local;
  return name === "node" ? process.execPath : name;
}

/**
 * The pinned `deno`.
 *
 * @example
 * ```ts
 * import { DENO } from "./toolchain.ts";
 * const lint = [DENO, "lint"];
 * ```
 */
export const DENO: string = tool("deno");

/**
 * The pinned `bun`.
 *
 * @example
 * ```ts
 * import { BUN } from "./toolchain.ts";
 * const test = [BUN, "test"];
 * ```
 */
export const BUN: string = tool("bun");

/**
 * The pinned `node` (Node 24), or the one running this script.
 *
 * @example
 * ```ts
 * import { NODE } from "./toolchain.ts";
 * const test = [NODE, "--test"];
 * ```
 */
export const NODE: string = tool("node");

/**
 * The environment of every child: the pinned runtimes first on `PATH` (so
 * tests that spawn `node` get Node 24), no colours, no Deno prompts.
 *
 * @example
 * ```ts
 * import { childEnv } from "./toolchain.ts";
 * const env = childEnv();
 * env.NO_COLOR; // "1"
 * ```
 */
export function childEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    // The pinned runtimes first, so tests that spawn `node` get Node 24.
    PATH: `${BIN}:${process.env.PATH ?? ""}`,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
  };
  delete env.FORCE_COLOR;
  return env;
}

/**
 * The first line `command args` prints (a version), or why there is none.
 *
 * @example
 * ```ts
 * import { DENO, version } from "./toolchain.ts";
 * console.log(`deno: ${await version(DENO, ["--version"])}`);
 * ```
 */
export async function version(
  command: string,
  args: string[],
): Promise<string> {
  const result = await run(command, args, { stream: false, timeoutMs: 30_000 });
  return result.code === 0
    ? result.output.split("\n")[0].trim()
    : `unavailable (${command})`;
}
