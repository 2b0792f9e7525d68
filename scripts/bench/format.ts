/**
 * How the benchmark writes its figures: three significant digits or so,
 * k and M for large counts, ms for long latencies, the unit where it helps.
 *
 * @module
 */

/**
 * A figure for a table, with its unit (`µs`, `KiB`, `B`, `MB/s`, `%`) where the
 * unit is written; "–" when there is none.
 *
 * @example
 * ```ts
 * import { formatNumber } from "./format.ts";
 * formatNumber(1_234_567); // "1.23 M"
 * formatNumber(23_456, "µs"); // "23.5 ms"
 * formatNumber(2.5, "KiB"); // "2.50 KiB"
 * formatNumber(273.6, "B"); // "274 B"
 * ```
 */
export function formatNumber(value: number | undefined, unit = ""): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  let text: string;
  const abs = Math.abs(value);
  if (unit === "µs" && abs >= 10_000) {
    text = `${(value / 1000).toFixed(abs >= 100_000 ? 0 : 1)} ms`;
    return text;
  }
  if (abs >= 1e6) text = `${(value / 1e6).toFixed(2)} M`;
  else if (abs >= 10_000) text = `${(value / 1e3).toFixed(1)} k`;
  else if (abs >= 100) text = value.toFixed(0);
  else if (Number.isInteger(value)) text = value.toFixed(0);
  else if (abs >= 10) text = value.toFixed(1);
  else text = value.toFixed(2);
  if (unit === "µs") return `${text} µs`;
  if (unit === "KiB") return `${text} KiB`;
  if (unit === "B") return `${text} B`;
  if (unit === "MB/s") return `${text} MB/s`;
  if (unit === "%") return `${text}%`;
  return text;
}

/**
 * An anyws / native ratio, such as `0.598×`; "–" when there is none.
 *
 * @example
 * ```ts
 * import { formatRatio } from "./format.ts";
 * formatRatio(0.598); // "0.598×"
 * formatRatio(12.34); // "12.3×"
 * ```
 */
export function formatRatio(value: number | undefined): string {
  if (value === undefined) return "–";
  // Three digits below 10, so 0.598× is not shown as a target-meeting 0.60×.
  return `${value >= 10 ? value.toFixed(1) : value.toPrecision(3)}×`;
}

/**
 * One Markdown list item per measured thing that failed a pass (the
 * first of each `name`; its distinct errors joined, `|` made `/` so that
 * they cannot break a table); empty when none did.
 *
 * @example
 * ```ts
 * import { failedPassList } from "./format.ts";
 * failedPassList([
 *   { name: "Node, ws", errors: ["timeout", "timeout"] },
 *   { name: "Node, anyws", errors: [] },
 * ]);
 * // "- Node, ws: 2 failed pass(es): timeout"
 * ```
 */
export function failedPassList(
  entries: Iterable<{ name: string; errors: readonly string[] }>,
): string {
  const lines: string[] = [];
  const listed = new Set<string>();
  for (const { name, errors } of entries) {
    if (errors.length === 0 || listed.has(name)) continue;
    listed.add(name);
    lines.push(
      `- ${name}: ${errors.length} failed pass(es): ${
        [...new Set(errors)].join("; ").replace(/\|/g, "/")
      }`,
    );
  }
  return lines.join("\n");
}
