/**
 * The echo handler of `npm run bench:cluster`'s worker runs: `anyws start
 * --workers N --handler scripts/bench/peers/echo_handler.ts` sends every
 * message back, as examples/bench_server.ts' `/echo` does.
 *
 * @module
 */

import type { Server } from "../../../mod.ts";

/**
 * Echoes every message on every path.
 *
 * @example
 * ```ts
 * import { Server } from "../../../mod.ts";
 * import { register } from "./echo_handler.ts";
 * register(new Server({ port: 0 }));
 * ```
 */
export function register(server: Server): void {
  server.on("message", (data, conn) => conn.send(data));
  server.on("error", () => {});
}
