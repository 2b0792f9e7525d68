/**
 * How the test runner prints: section headers, indented child output,
 * durations in seconds.
 *
 * @module
 */

/**
 * A duration in seconds with one decimal, such as `"4.5 s"`.
 *
 * @example
 * ```ts
 * import { seconds } from "./output.ts";
 * seconds(4_520); // "4.5 s"
 * ```
 */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Prints a section header: `=== title =====…`.
 *
 * @example
 * ```ts
 * import { header } from "./output.ts";
 * header("checks"); // "\n=== checks ===…"
 * ```
 */
export function header(title: string): void {
  console.log(`\n=== ${title} ${"=".repeat(Math.max(3, 70 - title.length))}`);
}

/**
 * Indents every line of `text` by four spaces (a child's output under the
 * runner's own line).
 *
 * @example
 * ```ts
 * import { indent } from "./output.ts";
 * indent("a\nb"); // "    a\n    b"
 * ```
 */
export function indent(text: string): string {
  return text.split("\n").map((line) => `    ${line}`).join("\n");
}
