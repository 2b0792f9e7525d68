/**
 * The engine a `Server` or a client created without one runs on. The
 * layers under `mod.ts` do not import the engines: the package's entry
 * point registers the runtime's engine here, so `new Server(options)` and
 * `connect(url)` work there, while the layers below stay free of any
 * runtime.
 *
 * @module
 */

import type { Engine } from "./engine.ts";
import { UsageError } from "../protocol/errors.ts";

let factory: (() => Engine) | undefined;

/**
 * Sets what `new Server(options)` and `connect(url)` (no engine given) run on.
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
 * (the server or client was imported from inside the package, not from
 * its entry point, and given no engine).
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
      "No engine: pass one (new Server(engine, options), connect(url, { engine })) or import from @anyws/anyws, which picks the runtime's",
    );
  }
  return factory();
}
