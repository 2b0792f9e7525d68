/**
 * The markdown tables of the benchmark report: the headline figure of each
 * case against its target, every figure of every case, and the errors.
 *
 * @module
 */

import type { MetricDef } from "./case_model.ts";
import { CASES } from "./cases.ts";
import { formatNumber, formatRatio } from "./format.ts";
import type { Row, Summary } from "./rows.ts";
import { IMPLS, RUNTIME_DEFS } from "./servers.ts";

function cell(summary: Summary, metric: MetricDef): string {
  const value = summary.metrics[metric.key];
  if (value === undefined) {
    return summary.errors.length > 0 ? "error" : "–";
  }
  return formatNumber(value, metric.unit);
}

function cpuPair(row: Row, key: string): string {
  const a = row.anyws.metrics[key];
  const n = row.native.metrics[key];
  if (a === undefined && n === undefined) return "–";
  const f = (v: number | undefined): string =>
    v === undefined ? "–" : v.toFixed(0);
  return `${f(a)} / ${f(n)}`;
}

/**
 * The table of targets: per row, the headline figure of anyws and of the
 * native peer, their ratio, the target, whether it is met, and the CPU use.
 *
 * @example
 * ```ts
 * import type { Row } from "./rows.ts";
 * import { headlineTable } from "./tables.ts";
 * const targets = (rows: Row[]): string => headlineTable(rows);
 * ```
 */
export function headlineTable(rows: Row[]): string {
  const lines = [
    "| case | runtime | figure | anyws | native peer | anyws / native | target | met | client CPU % (anyws / native) | server CPU % (anyws / native) | other CPU % (anyws / native) |",
    "|---|---|---|---:|---:|---:|---:|:-:|---:|---:|---:|",
  ];
  for (const row of rows) {
    const def = CASES[row.case];
    const metric = def.metrics.find((m) => m.key === def.headline) ??
      def.metrics[0];
    const t = row.target;
    const rd = RUNTIME_DEFS[row.runtime];
    const targetText = t.kind === "ratio"
      ? `${t.op === ">=" ? "≥" : "≤"} ${t.value}×`
      : `${t.op === ">=" ? "≥" : "≤"} ${formatNumber(t.value, metric.unit)}${
        t.zero ? `, 0 ${t.zero}` : ""
      }`;
    const met = t.met === null ? "?" : t.met ? "yes" : "**no**";
    lines.push(
      `| ${def.title} | ${rd.label} | ${metric.label} | ${
        cell(row.anyws, metric)
      } | ${cell(row.native, metric)} (${rd.nativeLabel}) | ${
        formatRatio(row.ratios[metric.key])
      } | ${targetText} | ${met} | ${cpuPair(row, "client_cpu_pct")} | ${
        cpuPair(row, "server_cpu_pct")
      } | ${cpuPair(row, "other_cpu_pct")} |`,
    );
  }
  return lines.join("\n");
}

/**
 * The table of every figure (but the CPU use) of every row.
 *
 * @example
 * ```ts
 * import type { Row } from "./rows.ts";
 * import { detailTable } from "./tables.ts";
 * const figures = (rows: Row[]): string => detailTable(rows);
 * ```
 */
export function detailTable(rows: Row[]): string {
  const lines = [
    "| case | runtime | figure | anyws | native peer | anyws / native |",
    "|---|---|---|---:|---:|---:|",
  ];
  for (const row of rows) {
    const def = CASES[row.case];
    for (const metric of def.metrics) {
      if (metric.unit === "%") continue;
      lines.push(
        `| ${def.title} | ${
          RUNTIME_DEFS[row.runtime].label
        } | ${metric.label} | ${cell(row.anyws, metric)} | ${
          cell(row.native, metric)
        } | ${formatRatio(row.ratios[metric.key])} |`,
      );
    }
  }
  return lines.join("\n");
}

/**
 * One markdown list item per server that failed a pass, with its errors;
 * empty when none did.
 *
 * @example
 * ```ts
 * import type { Row } from "./rows.ts";
 * import { errorList } from "./tables.ts";
 * const failed = (rows: Row[]): boolean => errorList(rows) !== "";
 * ```
 */
export function errorList(rows: Row[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    for (const impl of IMPLS) {
      const errors = row[impl].errors;
      if (errors.length === 0) continue;
      const name = impl === "anyws"
        ? "anyws"
        : RUNTIME_DEFS[row.runtime].nativeLabel;
      lines.push(
        `- ${CASES[row.case].title}, ${
          RUNTIME_DEFS[row.runtime].label
        }, ${name}: ${errors.length} failed pass(es): ${
          [...new Set(errors)].join("; ").replace(/\|/g, "/")
        }`,
      );
    }
  }
  return lines.join("\n");
}
