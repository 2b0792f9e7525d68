/**
 * The engine a `Server` created without one runs on. The server layer does
 * not import the engines: the package's entry point (`mod.ts`) registers
 * the runtime's engine here, so `new Server(options)` works there, while
 * the layers below stay free of any runtime.
 *
 * @module
 */

import type { Engine } from "../driver/engine.ts";
import { UsageError } from "../protocol/errors.ts";

let factory: (() => Engine) | undefined;

/**
 * Sets what `new Server(options)` (no engine given) runs on.
 *
 * @example
 * ```ts
 * import { setDefaultEngine } from "./default_engine.ts";
 * import { memoryEngine } from "../../engines/memory.ts";
 * setDefaultEngine(() => memoryEngine());
 * ```
 */
export function setDefaultEngine(create: () => Engine): void {
  factory = create;
}

/**
 * A new default engine; throws a `UsageError` when none was registered
 * (the server was imported from inside the package, not from its entry
 * point, and given no engine).
 *
 * @example
 * ```ts
 * import { defaultEngine } from "./default_engine.ts";
 * const engine = defaultEngine();
 * ```
 */
export function defaultEngine(): Engine {
  if (factory === undefined) {
    throw new UsageError(
      "No engine: pass one (new Server(engine, options)) or import Server from @anyws/anyws",
    );
  }
  return factory();
}
