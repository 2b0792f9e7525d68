/**
 * A nesting-depth check for JSON text, run before `JSON.parse` so that a
 * deeply nested message cannot exhaust the stack or the CPU.
 *
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * The deepest nesting of objects and arrays in `text`, stopping as soon as it
 * passes `limit` (then `limit + 1` is returned). Strings are skipped, escapes
 * included. The text need not be valid JSON: this only counts.
 *
 * @example
 * ```ts
 * import { jsonDepth } from "./json_depth.ts";
 * jsonDepth('{"a":[1,{"b":"[["}]}', 10); // 3
 * jsonDepth("[[[[[[]]]]]]", 3); // 4: stopped past the limit
 * ```
 */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return deepest;
}
