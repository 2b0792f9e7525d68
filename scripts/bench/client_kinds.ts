/**
 * The clients `npm run bench:client` compares: on each runtime, anyws's
 * `ClientSocket` and that runtime's usual clients (the peers): `ws` alone
 * and `ws` with its native `bufferutil` add-on on Node, and the runtime's
 * own global `WebSocket` (undici's on Node 24, Deno's, Bun's).
 *
 * @module
 */

import type { Runtime } from "./servers.ts";

/**
 * The clients under test, by id.
 *
 * @example
 * ```ts
 * import { CLIENT_IDS } from "./client_kinds.ts";
 * CLIENT_IDS.join(","); // "anyws,ws,ws+bufferutil,WebSocket"
 * ```
 */
export const CLIENT_IDS = [
  "anyws",
  "ws",
  "ws+bufferutil",
  "WebSocket",
] as const;

/**
 * One of {@link CLIENT_IDS}.
 *
 * @example
 * ```ts
 * import type { ClientId } from "./client_kinds.ts";
 * const id: ClientId = "ws+bufferutil";
 * ```
 */
export type ClientId = typeof CLIENT_IDS[number];

/**
 * A client under test: its id, its name in the report, the runtimes it
 * runs on, and what it is, in words, for the report's method.
 *
 * @example
 * ```ts
 * import type { ClientDef } from "./client_kinds.ts";
 * const ws: ClientDef = {
 *   id: "ws",
 *   label: "ws",
 *   runtimes: ["node"],
 *   what: "the ws package's WebSocket, WS_NO_BUFFER_UTIL set",
 * };
 * ```
 */
export interface ClientDef {
  id: ClientId;
  label: string;
  runtimes: readonly Runtime[];
  what: string;
}

/**
 * Every client under test.
 *
 * @example
 * ```ts
 * import { CLIENT_DEFS } from "./client_kinds.ts";
 * CLIENT_DEFS["ws+bufferutil"].runtimes; // ["node"]
 * ```
 */
export const CLIENT_DEFS: Readonly<Record<ClientId, ClientDef>> = {
  anyws: {
    id: "anyws",
    label: "anyws",
    runtimes: ["node", "deno", "bun"],
    what:
      "anyws's `ClientSocket` (mod.ts) with its defaults, on the runtime's engine",
  },
  ws: {
    id: "ws",
    label: "ws",
    runtimes: ["node"],
    what:
      'the `ws` package\'s client, `WS_NO_BUFFER_UTIL` set so that it masks in JavaScript; `on("message")`, text decoded with `toString()`',
  },
  "ws+bufferutil": {
    id: "ws+bufferutil",
    label: "ws+bufferutil",
    runtimes: ["node"],
    what:
      "the `ws` client masking with the native `bufferutil` add-on (checked before the run)",
  },
  WebSocket: {
    id: "WebSocket",
    label: "built-in WebSocket",
    runtimes: ["node", "deno", "bun"],
    what:
      "the runtime's global `WebSocket` (undici's on Node, Deno's, Bun's), with its defaults",
  },
};

/**
 * The clients anyws is compared with (every client but anyws).
 *
 * @example
 * ```ts
 * import { PEER_IDS } from "./client_kinds.ts";
 * PEER_IDS.join(","); // "ws,ws+bufferutil,WebSocket"
 * ```
 */
export const PEER_IDS: readonly ClientId[] = CLIENT_IDS.filter((id) =>
  id !== "anyws"
);

/**
 * The peers anyws is compared with on `runtime`, in the report's order:
 * those of `chosen` (default: every peer) that run there.
 *
 * @example
 * ```ts
 * import { peersOn } from "./client_kinds.ts";
 * peersOn("deno"); // ["WebSocket"]
 * peersOn("node", ["WebSocket", "ws"]); // ["ws", "WebSocket"]
 * ```
 */
export function peersOn(
  runtime: Runtime,
  chosen: readonly ClientId[] = PEER_IDS,
): ClientId[] {
  return PEER_IDS.filter((id) =>
    chosen.includes(id) && CLIENT_DEFS[id].runtimes.includes(runtime)
  );
}
