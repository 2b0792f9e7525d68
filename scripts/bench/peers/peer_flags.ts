/**
 * The command line of the native peers (`ws_server.mjs`, `bun_server.ts`,
 * `deno_server.ts`): the port last, and the switches a peer may support:
 *
 * - `--deflate`: permessage-deflate on, compressing every message (what
 *   each peer does with it is in its own file);
 * - `--bufferutil` (ws only): ws must use the `bufferutil` native add-on;
 *   without it, ws is told not to (`WS_NO_BUFFER_UTIL`).
 *
 * A switch the peer does not support is an error that says so (Deno.serve
 * has no permessage-deflate). Pure: the same on Deno, Bun and Node.
 *
 * @module
 */

/**
 * What a peer was asked for.
 *
 * @example
 * ```ts
 * import type { PeerFlags } from "./peer_flags.ts";
 * const flags: PeerFlags = { port: 8080, deflate: true, bufferutil: false };
 * ```
 */
export interface PeerFlags {
  port: number;
  deflate: boolean;
  bufferutil: boolean;
}

/**
 * What a peer can do, and why not when it cannot.
 *
 * @example
 * ```ts
 * import type { PeerSupport } from "./peer_flags.ts";
 * const deno: PeerSupport = {
 *   name: "deno_server",
 *   deflate: "Deno.serve has no permessage-deflate",
 *   bufferutil: "bufferutil is a ws add-on",
 * };
 * ```
 */
export interface PeerSupport {
  name: string;
  /** `true`, or why `--deflate` cannot be honoured. */
  deflate: true | string;
  /** `true`, or why `--bufferutil` cannot be honoured. */
  bufferutil: true | string;
}

/**
 * Reads a peer's arguments (those after the script): the switches, then
 * the port (default 8080). Throws an `Error` for an unknown or unsupported
 * switch, or a bad port.
 *
 * @example
 * ```ts
 * import { peerFlags } from "./peer_flags.ts";
 * const flags = peerFlags(["--deflate", "9001"], {
 *   name: "bun_server",
 *   deflate: true,
 *   bufferutil: "bufferutil is a ws add-on",
 * });
 * console.log(flags); // { port: 9001, deflate: true, bufferutil: false }
 * ```
 */
export function peerFlags(
  argv: readonly string[],
  support: PeerSupport,
): PeerFlags {
  const usage = `usage: ${support.name} ${
    support.deflate === true ? "[--deflate] " : ""
  }${support.bufferutil === true ? "[--bufferutil] " : ""}[PORT]`;
  const flags: PeerFlags = { port: 8080, deflate: false, bufferutil: false };
  let portText: string | null = null;
  for (const arg of argv) {
    if (arg === "--deflate" || arg === "--bufferutil") {
      const name = arg === "--deflate" ? "deflate" : "bufferutil";
      const can = support[name];
      if (can !== true) throw new Error(`${support.name}: ${arg}: ${can}`);
      flags[name] = true;
    } else if (arg.startsWith("-")) {
      throw new Error(`${support.name}: unknown option ${arg}\n${usage}`);
    } else if (portText === null) {
      portText = arg;
    } else {
      throw new Error(`${support.name}: unexpected argument ${arg}\n${usage}`);
    }
  }
  if (portText !== null) {
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`${support.name}: invalid port ${portText}\n${usage}`);
    }
    flags.port = port;
  }
  return flags;
}
