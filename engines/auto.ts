/**
 * The auto engine: the current runtime's engine, loaded with a dynamic
 * `import()` on first use so that the other runtimes' engines never load.
 *
 * @module
 */

import type {
  AcceptTransport,
  ConnectOptions,
  Engine,
  Listener,
  ListenOptions,
} from "../src/driver/engine.ts";
import { runtimeDeflate } from "./deflate.ts";
import { adoptNodeSocket } from "./node_socket.ts";

/**
 * The runtimes anyws has an engine for.
 *
 * @example
 * ```ts
 * import type { RuntimeName } from "@anyws/anyws/engines/auto";
 * const runtime: RuntimeName = "deno";
 * ```
 */
export type RuntimeName = "deno" | "bun" | "node";

/**
 * Options for {@link autoEngine} and {@link loadEngine}, understood by every
 * runtime's engine.
 *
 * @example
 * ```ts
 * import { autoEngine, type AutoEngineOptions } from "@anyws/anyws/engines/auto";
 * const options: AutoEngineOptions = { highWaterMark: 256 * 1024 };
 * const engine = autoEngine(options);
 * ```
 */
export interface AutoEngineOptions {
  /** Bytes buffered per connection before `write()` returns `false` (default 64 KiB). */
  highWaterMark?: number;
}

/**
 * Tells which runtime runs this code: `"deno"` when the `Deno` global
 * exists, `"bun"` when the `Bun` global does, otherwise `"node"`.
 *
 * @example
 * ```ts
 * import { detectRuntime } from "@anyws/anyws/engines/auto";
 * console.log(detectRuntime()); // "deno", "bun" or "node"
 * ```
 */
export function detectRuntime(): RuntimeName {
  const global = globalThis as { Deno?: unknown; Bun?: unknown };
  // Deno first: it can expose Node's globals too.
  if (typeof global.Deno === "object" && global.Deno !== null) return "deno";
  if (typeof global.Bun === "object" && global.Bun !== null) return "bun";
  return "node";
}

/**
 * Imports and creates the engine of `runtime` (default: the current one).
 *
 * @example
 * ```ts
 * import { loadEngine } from "@anyws/anyws/engines/auto";
 * const engine = await loadEngine();
 * console.log(engine.name); // "deno", "bun" or "node"
 * ```
 */
export async function loadEngine(
  runtime: RuntimeName = detectRuntime(),
  options: AutoEngineOptions = {},
): Promise<Engine> {
  switch (runtime) {
    case "deno":
      return (await import("./deno.ts")).denoEngine(options);
    case "bun":
      return (await import("./bun.ts")).bunEngine(options);
    case "node":
      return (await import("./node.ts")).nodeEngine(options);
    default:
      throw new Error(`Unknown runtime: ${String(runtime)}`);
  }
}

/**
 * Returns an engine for the current runtime at once; its module is imported
 * on the first `listen()` or `connect()`. `name` is the runtime's engine
 * name.
 *
 * @example
 * ```ts
 * import { autoEngine } from "@anyws/anyws/engines/auto";
 * const engine = autoEngine();
 * const listener = await engine.listen({ hostname: "127.0.0.1", port: 0 }, (transport) => ({
 *   onData: (bytes) => transport.write(bytes.slice()),
 *   onDrain: () => {},
 *   onEnd: () => transport.end(),
 *   onClose: () => {},
 * }));
 * console.log(engine.name, listener.port);
 * await listener.close();
 * ```
 */
export function autoEngine(options: AutoEngineOptions = {}): Engine {
  const runtime = detectRuntime();
  let engine: Promise<Engine> | undefined;
  return {
    name: runtime,
    deflate: runtimeDeflate,
    async listen(
      listenOptions: ListenOptions,
      accept: AcceptTransport,
    ): Promise<Listener> {
      engine ??= loadEngine(runtime, options);
      return (await engine).listen(listenOptions, accept);
    },
    async connect(
      connectOptions: ConnectOptions,
      accept: AcceptTransport,
    ): Promise<void> {
      engine ??= loadEngine(runtime, options);
      // Every runtime's engine can connect.
      return (await engine).connect!(connectOptions, accept);
    },
    // Every runtime's node:http hands its 'upgrade' listeners a node:net
    // (or node:net-like) socket: one adopter for all.
    adopt: adoptNodeSocket,
  };
}
