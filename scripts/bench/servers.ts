/**
 * The servers `npm run bench` compares: on each runtime, anyws
 * (`examples/bench_server.ts`) and the runtime's native peers (`ws` alone
 * and `ws` with `bufferutil` on Node, `Deno.serve` +
 * `Deno.upgradeWebSocket`, `Bun.serve`, in `peers/`), all obeying the same
 * contract (`/echo`, `/bcast`, the port as the last argument, a ready line
 * once listening), and how each is told to compress in the compression
 * cases.
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
 * The two kinds of server: anyws, and a native peer.
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
 * How a peer compresses in the compression cases (the arguments added to
 * its command and what they do), or why it cannot.
 *
 * @example
 * ```ts
 * import type { PeerDeflate } from "./servers.ts";
 * const bun: PeerDeflate = {
 *   args: ["--deflate"],
 *   what: "perMessageDeflate: true; send and publish with compress: true",
 * };
 * const deno: PeerDeflate = { unsupported: "Deno.serve has no permessage-deflate" };
 * ```
 */
export type PeerDeflate = { args: string[]; what: string } | {
  unsupported: string;
};

/**
 * A native peer: its name in the report, how it is started (the port is
 * appended), and how it compresses.
 *
 * @example
 * ```ts
 * import type { PeerDef } from "./servers.ts";
 * const ws: PeerDef = {
 *   id: "ws",
 *   command: ["node", "scripts/bench/peers/ws_server.mjs"],
 *   deflate: { args: ["--deflate"], what: "perMessageDeflate: { threshold: 0 }" },
 * };
 * ```
 */
export interface PeerDef {
  /** Its name in samples and reports: "ws", "ws+bufferutil", "Bun.serve" ... */
  id: string;
  command: string[];
  deflate: PeerDeflate;
}

/**
 * A runtime's servers: anyws (the port is appended) and its native peers,
 * the first one being the peer of older results that name none.
 *
 * @example
 * ```ts
 * import type { RuntimeDef } from "./servers.ts";
 * const deno: RuntimeDef = {
 *   label: "Deno",
 *   anyws: ["deno", "run", "-A", "examples/bench_server.ts"],
 *   peers: [{
 *     id: "Deno.serve",
 *     command: ["deno", "run", "-A", "scripts/bench/peers/deno_server.ts"],
 *     deflate: { unsupported: "Deno.serve has no permessage-deflate" },
 *   }],
 * };
 * ```
 */
export interface RuntimeDef {
  label: string;
  anyws: string[];
  peers: PeerDef[];
}

const NODE = tool("node");
const DENO = tool("deno");
const BUN = tool("bun");

/**
 * The command that runs `script` on `runtime` with the pinned toolchain
 * (`deno run -A` on Deno); arguments may follow.
 *
 * @example
 * ```ts
 * import { scriptCommand } from "./servers.ts";
 * scriptCommand("deno", "examples/bench_server.ts");
 * // [".../node_modules/.bin/deno", "run", "-A", "examples/bench_server.ts"]
 * ```
 */
export function scriptCommand(runtime: Runtime, script: string): string[] {
  switch (runtime) {
    case "node":
      return [NODE, script];
    case "deno":
      return [DENO, "run", "-A", script];
    case "bun":
      return [BUN, script];
  }
}

const WS_DEFLATE: PeerDeflate = {
  args: ["--deflate"],
  what:
    "perMessageDeflate: { threshold: 0 } (ws's other defaults: context takeover unless the client asks otherwise, 15-bit windows)",
};

/**
 * Each runtime's servers. Node has two peers: `ws` alone (told not to load
 * `bufferutil`) and `ws` with its native `bufferutil` add-on, which most
 * production installs have.
 *
 * @example
 * ```ts
 * import { RUNTIME_DEFS } from "./servers.ts";
 * RUNTIME_DEFS.node.peers.map((peer) => peer.id); // ["ws", "ws+bufferutil"]
 * ```
 */
export const RUNTIME_DEFS: Record<Runtime, RuntimeDef> = {
  node: {
    label: "Node",
    anyws: scriptCommand("node", "examples/bench_server.ts"),
    peers: [
      {
        id: "ws",
        command: [NODE, "scripts/bench/peers/ws_server.mjs"],
        deflate: WS_DEFLATE,
      },
      {
        id: "ws+bufferutil",
        command: [NODE, "scripts/bench/peers/ws_server.mjs", "--bufferutil"],
        deflate: WS_DEFLATE,
      },
    ],
  },
  deno: {
    label: "Deno",
    anyws: scriptCommand("deno", "examples/bench_server.ts"),
    peers: [{
      id: "Deno.serve",
      command: scriptCommand("deno", "scripts/bench/peers/deno_server.ts"),
      deflate: {
        unsupported: "Deno.serve has no permessage-deflate (deno#7681)",
      },
    }],
  },
  bun: {
    label: "Bun",
    anyws: scriptCommand("bun", "examples/bench_server.ts"),
    peers: [{
      id: "Bun.serve",
      command: scriptCommand("bun", "scripts/bench/peers/bun_server.ts"),
      deflate: {
        args: ["--deflate"],
        what:
          "perMessageDeflate: true (shared compressor), send and publish with compress: true (Bun compresses only what is sent that way; no threshold)",
      },
    }],
  },
};

/**
 * The peer of a runtime by its id; the first peer for `undefined` (results
 * recorded before a runtime had several).
 *
 * @example
 * ```ts
 * import { peerOf } from "./servers.ts";
 * peerOf("node", undefined).id; // "ws"
 * ```
 */
export function peerOf(runtime: Runtime, id: string | undefined): PeerDef {
  const peers = RUNTIME_DEFS[runtime].peers;
  return peers.find((peer) => peer.id === id) ?? peers[0];
}

/**
 * What a case asks of the servers' compression: `null` (none), or anyws's
 * extra arguments (the peers then get their own `deflate.args`).
 *
 * @example
 * ```ts
 * import type { CompressionNeed } from "./servers.ts";
 * const none: CompressionNeed = null;
 * const shared: CompressionNeed = ["--deflate=shared", "--deflate-threshold=0"];
 * ```
 */
export type CompressionNeed = string[] | null;

/**
 * The command that starts one server for a case (the port is appended),
 * or why the peer cannot run it (a compression case on a peer without
 * permessage-deflate).
 *
 * @example
 * ```ts
 * import { serverCommand } from "./servers.ts";
 * const plain = serverCommand("bun", "native", "Bun.serve", null);
 * const compressed = serverCommand("node", "anyws", undefined, ["--deflate=shared"]);
 * ```
 */
export function serverCommand(
  runtime: Runtime,
  impl: Impl,
  peerId: string | undefined,
  deflate: CompressionNeed,
): { command: string[] } | { unsupported: string } {
  if (impl === "anyws") {
    return { command: [...RUNTIME_DEFS[runtime].anyws, ...(deflate ?? [])] };
  }
  const peer = peerOf(runtime, peerId);
  if (deflate === null) return { command: peer.command };
  if ("unsupported" in peer.deflate) {
    return { unsupported: peer.deflate.unsupported };
  }
  return { command: [...peer.command, ...peer.deflate.args] };
}

function packageVersion(name: string): string {
  try {
    const text = readFileSync(
      join(ROOT, "node_modules", name, "package.json"),
      "utf8",
    );
    return (JSON.parse(text) as { version?: string }).version ?? "unknown";
  } catch {
    return "missing";
  }
}

/**
 * The versions of the runtimes, of `ws` and of `bufferutil`, for the report.
 *
 * @example
 * ```ts
 * import { serverVersions } from "./servers.ts";
 * const { node, deno, bun, ws, bufferutil } = serverVersions();
 * ```
 */
export function serverVersions(): Record<
  "node" | "deno" | "bun" | "ws" | "bufferutil",
  string
> {
  return {
    node: version(NODE, ["--version"]),
    deno: version(DENO, ["--version"]),
    bun: version(BUN, ["--version"]),
    ws: packageVersion("ws"),
    bufferutil: packageVersion("bufferutil"),
  };
}
