/**
 * The servers `npm run bench` compares: on each runtime, anyws
 * (`examples/bench_server.ts`) and the runtime's native peer (`ws` on Node,
 * `Deno.serve` + `Deno.upgradeWebSocket`, `Bun.serve`, in `peers/`), all
 * obeying the same contract (`/echo`, `/bcast`, the port as the last
 * argument, a ready line once listening).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { version } from "./machine.ts";
import { ROOT, tool } from "./paths.ts";

/**
 * The runtimes measured, in the order of the report.
 *
 * @example
 * ```ts
 * import { RUNTIMES } from "./servers.ts";
 * RUNTIMES.join(","); // "node,deno,bun"
 * ```
 */
export const RUNTIMES = ["node", "deno", "bun"] as const;

/**
 * One of {@link RUNTIMES}.
 *
 * @example
 * ```ts
 * import type { Runtime } from "./servers.ts";
 * const runtime: Runtime = "bun";
 * ```
 */
export type Runtime = typeof RUNTIMES[number];

/**
 * The two servers of a runtime: anyws and the native peer.
 *
 * @example
 * ```ts
 * import { IMPLS } from "./servers.ts";
 * for (const impl of IMPLS) console.log(impl); // "anyws", "native"
 * ```
 */
export const IMPLS = ["anyws", "native"] as const;

/**
 * One of {@link IMPLS}.
 *
 * @example
 * ```ts
 * import type { Impl } from "./servers.ts";
 * const impl: Impl = "native";
 * ```
 */
export type Impl = typeof IMPLS[number];

/**
 * How a runtime's two servers are started (the port is appended).
 *
 * @example
 * ```ts
 * import type { RuntimeDef } from "./servers.ts";
 * const node: RuntimeDef = {
 *   label: "Node",
 *   nativeLabel: "ws",
 *   anyws: ["node", "examples/bench_server.ts"],
 *   native: ["node", "scripts/bench/peers/ws_server.mjs"],
 * };
 * ```
 */
export interface RuntimeDef {
  label: string;
  nativeLabel: string;
  anyws: string[];
  native: string[];
}

const NODE = tool("node");
const DENO = tool("deno");
const BUN = tool("bun");

/**
 * Each runtime's servers and names.
 *
 * @example
 * ```ts
 * import { RUNTIME_DEFS } from "./servers.ts";
 * RUNTIME_DEFS.deno.nativeLabel; // "Deno.serve"
 * ```
 */
export const RUNTIME_DEFS: Record<Runtime, RuntimeDef> = {
  node: {
    label: "Node",
    nativeLabel: "ws",
    anyws: [NODE, "examples/bench_server.ts"],
    native: [NODE, "scripts/bench/peers/ws_server.mjs"],
  },
  deno: {
    label: "Deno",
    nativeLabel: "Deno.serve",
    anyws: [DENO, "run", "-A", "examples/bench_server.ts"],
    native: [DENO, "run", "-A", "scripts/bench/peers/deno_server.ts"],
  },
  bun: {
    label: "Bun",
    nativeLabel: "Bun.serve",
    anyws: [BUN, "examples/bench_server.ts"],
    native: [BUN, "scripts/bench/peers/bun_server.ts"],
  },
};

function wsVersion(): string {
  try {
    const text = readFileSync(
      join(ROOT, "node_modules", "ws", "package.json"),
      "utf8",
    );
    return (JSON.parse(text) as { version?: string }).version ?? "unknown";
  } catch {
    return "missing";
  }
}

/**
 * The versions of the runtimes and of `ws`, for the report.
 *
 * @example
 * ```ts
 * import { serverVersions } from "./servers.ts";
 * const { node, deno, bun, ws } = serverVersions();
 * ```
 */
export function serverVersions(): Record<
  "node" | "deno" | "bun" | "ws",
  string
> {
  return {
    node: version(NODE, ["--version"]),
    deno: version(DENO, ["--version"]),
    bun: version(BUN, ["--version"]),
    ws: wsVersion(),
  };
}
