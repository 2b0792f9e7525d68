/**
 * The median: what every benchmark reports over its passes.
 *
 * @module
 */

/**
 * The median of `values`, `null` when there are none.
 *
 * @example
 * ```ts
 * import { median } from "./median.ts";
 * median([3, 1, 2]); // 2
 * median([1, 2, 3, 4]); // 2.5
 * ```
 */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
