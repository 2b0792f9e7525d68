/**
 * The markdown tables of the benchmark report: the headline figure of each
 * case against its target, every figure of every case, what each server
 * agreed to and sent in the compression cases, and the errors.
 *
 * @module
 */

import { isCpu, type MetricDef } from "./case_model.ts";
import { CASES } from "./cases.ts";
import { failedPassList, formatNumber, formatRatio } from "./format.ts";
import type { Row, Summary } from "./rows.ts";
import { peerOf, RUNTIME_DEFS } from "./servers.ts";

function cell(summary: Summary, metric: MetricDef): string {
  if (summary.na !== undefined) return "n/a";
  const value = summary.metrics[metric.key];
  if (value === undefined) {
    return summary.errors.length > 0 ? "error" : "–";
  }
  return formatNumber(value, metric.unit);
}

function ratioCell(row: Row, key: string): string {
  return row.native.na !== undefined ? "n/a" : formatRatio(row.ratios[key]);
}

function cpuPair(row: Row, key: string): string {
  const a = row.anyws.metrics[key];
  const n = row.native.metrics[key];
  if (a === undefined && n === undefined) return "–";
  const f = (v: number | undefined): string =>
    v === undefined ? "–" : v.toFixed(0);
  return `${f(a)} / ${f(n)}`;
}

function targetCells(row: Row, metric: MetricDef): [string, string] {
  const t = row.target;
  const op = t.op === ">=" ? "≥" : "≤";
  if (t.value === null) {
    return ["–", row.native.na !== undefined ? "n/a (no peer)" : "–"];
  }
  let text: string;
  let met = t.met === null ? "?" : t.met ? "yes" : "**no**";
  if (t.kind === "ratio") {
    text = `${op} ${t.value}×`;
  } else if (t.kind === "absolute") {
    text = `${op} ${formatNumber(t.value, metric.unit)}${
      t.zero ? `, 0 ${t.zero}` : ""
    }`;
  } else {
    text = `${op} ${t.baseline} + ${formatNumber(t.value, metric.unit)}`;
    if (t.actual !== null) {
      const sign = t.actual >= 0 ? "+" : "−";
      met += ` (${sign}${formatNumber(Math.abs(t.actual), metric.unit)})`;
    } else if (t.baselineValue === null) {
      met = `? (run ${t.baseline} too)`;
    }
  }
  return [text, met];
}

/**
 * The table of targets: per row, the headline figure of anyws and of the
 * row's native peer, their ratio, the target, whether it is met, and the
 * CPU use.
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
    const [targetText, met] = targetCells(row, metric);
    lines.push(
      `| ${def.title} | ${
        RUNTIME_DEFS[row.runtime].label
      } | ${metric.label} | ${cell(row.anyws, metric)} | ${
        cell(row.native, metric)
      } (${row.peer}) | ${
        ratioCell(row, metric.key)
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
      if (isCpu(metric)) continue;
      lines.push(
        `| ${def.title} | ${
          RUNTIME_DEFS[row.runtime].label
        } | ${metric.label} | ${cell(row.anyws, metric)} | ${
          cell(row.native, metric)
        } (${row.peer}) | ${ratioCell(row, metric.key)} |`,
      );
    }
  }
  return lines.join("\n");
}

/**
 * The compression cases' servers: how each was told to compress, the
 * permessage-deflate answer it gave, the share of messages it sent
 * compressed (RSV1) and the bytes on the wire per message; empty when no
 * compression case ran.
 *
 * @example
 * ```ts
 * import type { Row } from "./rows.ts";
 * import { compressionTable } from "./tables.ts";
 * const wire = (rows: Row[]): string => compressionTable(rows);
 * ```
 */
export function compressionTable(rows: Row[]): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  const figure = (summary: Summary, key: string, unit: string): string =>
    summary.na !== undefined ? "n/a" : formatNumber(summary.metrics[key], unit);
  for (const row of rows) {
    const def = CASES[row.case];
    if (def.deflate === undefined) continue;
    const peer = peerOf(row.runtime, row.peer);
    const servers: [string, string, Summary][] = [];
    const anywsKey = `${row.case}/${row.runtime}`;
    if (!seen.has(anywsKey)) {
      seen.add(anywsKey);
      servers.push(["anyws", `\`${def.deflate.what}\``, row.anyws]);
    }
    servers.push([
      peer.id,
      "unsupported" in peer.deflate
        ? peer.deflate.unsupported
        : `\`${peer.deflate.what}\``,
      row.native,
    ]);
    for (const [name, how, summary] of servers) {
      const answer = summary.na !== undefined
        ? "n/a"
        : summary.extension === undefined
        ? "–"
        : summary.extension === null
        ? "none (declined)"
        : `\`${summary.extension}\``;
      lines.push(
        `| ${def.title} | ${
          RUNTIME_DEFS[row.runtime].label
        } | ${name} | ${how} | ${answer} | ${
          figure(summary, "compressed_pct", "%")
        } | ${figure(summary, "wire_in_per_msg", "B")} | ${
          figure(summary, "wire_out_per_msg", "B")
        } |`,
      );
    }
  }
  if (lines.length === 0) return "";
  return [
    "| case | runtime | server | compression asked for | agreed (101's Sec-WebSocket-Extensions) | messages sent compressed | B/msg server → client | B/msg client → server |",
    "|---|---|---|---|---|---:|---:|---:|",
    ...lines,
  ].join("\n");
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
  return failedPassList(
    rows.flatMap((row) =>
      [["anyws", row.anyws] as const, [row.peer, row.native] as const].map((
        [name, summary],
      ) => ({
        name: `${CASES[row.case].title}, ${
          RUNTIME_DEFS[row.runtime].label
        }, ${name}`,
        errors: summary.errors,
      }))
    ),
  );
}
