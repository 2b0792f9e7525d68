/**
 * The rows of the report: per case and runtime, the medians of anyws and
 * of the native peer over the passes, their ratios, and whether the case's
 * target is met.
 *
 * @module
 */

import type { CaseDef, CaseId } from "./case_model.ts";
import { median } from "./median.ts";
import type { Sample } from "./sample.ts";
import type { Impl, Runtime } from "./servers.ts";

/**
 * The medians of one server on one case.
 *
 * @example
 * ```ts
 * import type { Summary } from "./rows.ts";
 * const summary: Summary = { metrics: { held: 19_900 }, ok: 3, errors: [] };
 * ```
 */
export interface Summary {
  metrics: Record<string, number>;
  ok: number;
  errors: string[];
}

/**
 * The medians of the samples without an error, and the errors of the others.
 *
 * @example
 * ```ts
 * import { summarise } from "./rows.ts";
 * import type { Sample } from "./sample.ts";
 * const ofServer = (samples: Sample[]) => summarise(samples).metrics;
 * ```
 */
export function summarise(samples: Sample[]): Summary {
  const good = samples.filter((s) => s.error === null);
  const keys = new Set(good.flatMap((s) => Object.keys(s.metrics)));
  const metrics: Record<string, number> = {};
  for (const key of keys) {
    const value = median(
      good.map((s) => s.metrics[key]).filter((v) => v !== undefined),
    );
    if (value !== null) metrics[key] = value;
  }
  return {
    metrics,
    ok: good.length,
    errors: samples.flatMap((s) => s.error === null ? [] : [s.error]),
  };
}

/**
 * One row of the results: one case on one runtime.
 *
 * @example
 * ```ts
 * import type { Row } from "./rows.ts";
 * const met = (row: Row): boolean => row.target.met === true;
 * ```
 */
export interface Row {
  case: CaseId;
  runtime: Runtime;
  anyws: Summary;
  native: Summary;
  /** anyws/native for every metric both have. */
  ratios: Record<string, number>;
  target: {
    metric: string;
    kind: "ratio" | "absolute";
    op: ">=" | "<=";
    value: number;
    /** A metric of anyws that must also be 0 (absolute targets). */
    zero?: string;
    /** The figure compared with the target (ratio or anyws value). */
    actual: number | null;
    met: boolean | null;
  };
}

/**
 * The row of one case on one runtime, from every sample of the run.
 *
 * @example
 * ```ts
 * import { CASES } from "./cases.ts";
 * import { buildRow } from "./rows.ts";
 * import type { Sample } from "./sample.ts";
 * const echoOnNode = (samples: Sample[]) => buildRow(CASES.echo16, "node", samples);
 * ```
 */
export function buildRow(
  caseDef: CaseDef,
  runtime: Runtime,
  samples: Sample[],
): Row {
  const of = (impl: Impl): Sample[] =>
    samples.filter((s) =>
      s.case === caseDef.id && s.runtime === runtime && s.impl === impl
    );
  const anyws = summarise(of("anyws"));
  const native = summarise(of("native"));
  const ratios: Record<string, number> = {};
  for (const [key, value] of Object.entries(anyws.metrics)) {
    const base = native.metrics[key];
    if (base !== undefined && base > 0) ratios[key] = value / base;
  }
  const t = caseDef.target;
  const actual = t.kind === "ratio"
    ? ratios[t.metric] ?? null
    : anyws.metrics[t.metric] ?? null;
  let met: boolean | null = null;
  if (actual !== null) {
    met = t.op === ">="
      ? actual >= t.values[runtime]
      : actual <= t.values[runtime];
    if (t.zero !== undefined && (anyws.metrics[t.zero] ?? 1) !== 0) {
      met = false;
    }
  }
  return {
    case: caseDef.id,
    runtime,
    anyws,
    native,
    ratios,
    target: {
      metric: t.metric,
      kind: t.kind,
      op: t.op,
      value: t.values[runtime],
      zero: t.zero,
      actual,
      met,
    },
  };
}
