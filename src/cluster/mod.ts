/**
 * The backplane contract, for those who connect anyws servers through a
 * broker other than Redis, or test a multi-node application in one
 * program: a `Backplane` publishes and subscribes bytes on channels; an
 * in-memory hub gives any number of servers one. Redis's backplane is
 * `redisBackplane` from `@anyws/anyws/engines/redis`.
 *
 * @example
 * ```ts
 * import { Server } from "@anyws/anyws";
 * import { MemoryHub } from "@anyws/anyws/cluster";
 * const hub = new MemoryHub();
 * const a = new Server({ port: 0, backplane: hub.backplane() });
 * const b = new Server({ port: 0, backplane: hub.backplane() });
 * await Promise.all([a.listen(), b.listen()]);
 * a.broadcast("reaches the clients of both servers");
 * await Promise.all([a.stop(), b.stop()]);
 * ```
 *
 * @module
 */

export type {
  Backplane,
  BackplaneHandler,
  BackplaneStatus,
  SessionStorage,
} from "./backplane.ts";
export type { ClusterNodeOptions } from "./cluster_node.ts";
export {
  MemoryBackplane,
  MemoryHub,
  type MemoryHubOptions,
} from "./memory_backplane.ts";
