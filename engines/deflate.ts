/**
 * The DEFLATE implementation the runtime engines give permessage-deflate:
 * pako's contexts (synchronous, with a window kept between messages) and
 * `node:zlib`'s one-shot functions for whole messages without context,
 * faster on every runtime (docs/bench/deflate.md).
 *
 * @module
 */

import type { DeflateImplementation } from "../src/driver/engine.ts";
import { pakoCodec } from "./deflate_pako.ts";
import { zlibMessageCodec } from "./deflate_zlib.ts";

/**
 * pako contexts plus `node:zlib` whole messages (Deno, Bun and Node all
 * provide `node:zlib`).
 *
 * @example
 * ```ts
 * import { runtimeDeflate } from "./deflate.ts";
 * console.log(runtimeDeflate.codec.name, runtimeDeflate.messages?.name);
 * ```
 */
export const runtimeDeflate: DeflateImplementation = Object.freeze({
  codec: pakoCodec,
  messages: zlibMessageCodec,
});

/**
 * pako alone, for engines that should not load `node:zlib` (the memory
 * engine, which tests run anywhere).
 *
 * @example
 * ```ts
 * import { pakoDeflate } from "./deflate.ts";
 * console.log(pakoDeflate.codec.name); // "pako"
 * ```
 */
export const pakoDeflate: DeflateImplementation = Object.freeze({
  codec: pakoCodec,
});
