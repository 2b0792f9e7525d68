/**
 * What `ws` masks and unmasks with in this process: the native code of its
 * `bufferutil` add-on, or JavaScript. ws decides once, when it first loads:
 * it loads the add-on unless `WS_NO_BUFFER_UTIL` is set (read by
 * ws/lib/buffer-util.js), and the add-on falls back to JavaScript where it
 * has no native build. Node only.
 *
 * @module
 */

import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * What ws masks with: `native` when ws wrapped the `bufferutil` add-on and
 * the add-on is native code; `text` says which (or why not). Call it after
 * ws has loaded (it asks the same module instance ws uses).
 *
 * @example
 * ```ts
 * import { wsMasking } from "./ws_masking.ts";
 * await import("ws");
 * const { native, text } = wsMasking(); // true, "bufferutil 4.1.0, native"
 * ```
 */
export function wsMasking(): { native: boolean; text: string } {
  const require = createRequire(import.meta.url);
  const wsDir = dirname(require.resolve("ws/package.json"));
  // The module instance ws itself uses (same resolved file, same cache).
  const wsBufferUtil = require(join(wsDir, "lib", "buffer-util.js")) as {
    mask: unknown;
  };
  if (!String(wsBufferUtil.mask).includes("bufferUtil.mask")) {
    return { native: false, text: "ws's JavaScript masking" };
  }
  const fromWs = createRequire(join(wsDir, "index.js"));
  const addonDir = dirname(fromWs.resolve("bufferutil/package.json"));
  const addon = fromWs("bufferutil") as { mask: unknown };
  const { version } = fromWs(join(addonDir, "package.json")) as {
    version: string;
  };
  if (!String(addon.mask).includes("[native code]")) {
    return {
      native: false,
      text: `bufferutil ${version}'s JavaScript fallback (no native build)`,
    };
  }
  return { native: true, text: `bufferutil ${version}, native` };
}
