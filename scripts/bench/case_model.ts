/**
 * What a case of `npm run bench` is: its id, the figures it reports, the
 * target its headline figure is held to, and how it drives the load client
 * and reads the client's report. The cases themselves are in `cases.ts`.
 *
 * @module
 */

import type { ClientReport } from "./load_client.ts";
import type { Settings } from "./options.ts";
import type { Runtime } from "./servers.ts";

/**
 * The cases, in the order of the report.
 *
 * @example
 * ```ts
 * import { CASE_IDS } from "./case_model.ts";
 * CASE_IDS.includes("echo16"); // true
 * ```
 */
export const CASE_IDS = [
  "echo1",
  "echo16",
  "echo16k",
  "bcast",
  "idle",
  "maxconn",
  "echo_deflate",
  "echo_deflate_dedicated",
  "bcast_deflate",
  "idle_deflate",
] as const;

/**
 * One of {@link CASE_IDS}.
 *
 * @example
 * ```ts
 * import type { CaseId } from "./case_model.ts";
 * const id: CaseId = "bcast";
 * ```
 */
export type CaseId = typeof CASE_IDS[number];

/**
 * One figure of a case: a key of a sample's `metrics`.
 *
 * @example
 * ```ts
 * import type { MetricDef } from "./case_model.ts";
 * const p99: MetricDef = { key: "p99_us", label: "p99 latency", unit: "µs", better: "lower" };
 * ```
 */
export interface MetricDef {
  key: string;
  label: string;
  unit: string;
  better: "higher" | "lower";
}

/**
 * Whether a figure is a CPU share (reported beside the others, not among
 * them).
 *
 * @example
 * ```ts
 * import { isCpu } from "./case_model.ts";
 * isCpu({ key: "server_cpu_pct", label: "server CPU", unit: "%", better: "lower" }); // true
 * ```
 */
export function isCpu(metric: MetricDef): boolean {
  return metric.key.endsWith("_cpu_pct");
}

/**
 * A target from the issues: a ratio to the native peer, an absolute
 * figure, or a difference to anyws's figure in another case of the same
 * run (`delta`: compressed idle connections against uncompressed ones). A
 * runtime whose value is `null` has no target (no peer to compare with).
 *
 * @example
 * ```ts
 * import type { Target } from "./case_model.ts";
 * const target: Target = {
 *   metric: "msgs_per_s",
 *   kind: "ratio",
 *   op: ">=",
 *   values: { node: 3, deno: 3, bun: 0.6 },
 * };
 * const overIdle: Target = {
 *   metric: "rss_per_conn_kib",
 *   kind: "delta",
 *   baseline: "idle",
 *   op: "<=",
 *   values: { node: 0.5, deno: 0.5, bun: 0.5 },
 * };
 * ```
 */
export interface Target {
  metric: string;
  kind: "ratio" | "absolute" | "delta";
  op: ">=" | "<=";
  values: Record<Runtime, number | null>;
  /** Absolute targets: another metric that must be 0 (errors). */
  zero?: string;
  /** Delta targets: the case whose anyws figure is subtracted. */
  baseline?: CaseId;
}

/**
 * What a case makes of one client report.
 *
 * @example
 * ```ts
 * import type { Extracted } from "./case_model.ts";
 * const extracted: Extracted = { metrics: { held: 19_900 }, error: null };
 * ```
 */
export interface Extracted {
  metrics: Record<string, number>;
  error: string | null;
}

/**
 * One case: its figures, its target, the client's arguments and budget,
 * and how a client report becomes figures.
 *
 * @example
 * ```ts
 * import type { CaseDef } from "./case_model.ts";
 * import { CASES } from "./cases.ts";
 * const echo: CaseDef = CASES.echo16;
 * echo.headline; // "msgs_per_s"
 * ```
 */
export interface CaseDef {
  id: CaseId;
  title: string;
  /**
   * Compression cases: anyws's extra arguments and what they mean (each
   * peer adds its own `deflate.args`, see servers.ts); absent otherwise.
   */
  deflate?: { anyws: string[]; what: string };
  /** The metric in the headline table (the one with the target). */
  headline: string;
  metrics: MetricDef[];
  target: Target;
  clientArgs(settings: Settings): string[];
  /** Bound on the client's run, in ms. */
  budgetMs(settings: Settings): number;
  extract(report: ClientReport, settings: Settings): Extracted;
}
