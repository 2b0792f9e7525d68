/**
 * The chart of the benchmark report (`chart.svg`): per ratio case, one bar
 * per runtime (anyws / native peer, log scale) with a tick at that
 * runtime's target; then idle RSS per connection and connections held,
 * anyws next to the native peer, with the target line. Hand-written SVG, no
 * dependency.
 *
 * @module
 */

import type { CaseId } from "./case_model.ts";
import { CASES } from "./cases.ts";
import { formatRatio } from "./format.ts";
import type { Row } from "./rows.ts";
import { IMPLS, type Runtime, RUNTIME_DEFS, RUNTIMES } from "./servers.ts";

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  );
}

const COLORS: Record<Runtime, string> = {
  node: "#3c873a",
  deno: "#2b6cb0",
  bun: "#d53f8c",
};

/** Two-line group labels of the chart. */
const CHART_LABELS: Record<CaseId, [string, string]> = {
  echo16: ["echo 100×16×32 B", "msgs/s ↑"],
  echo1: ["echo 100×1×32 B", "p99 latency ↓"],
  echo16k: ["echo 10×16×16 KiB", "MB/s ↑"],
  bcast: ["broadcast to 1,000", "deliveries/s ↑"],
  idle: ["idle RSS / connection", "KiB ↓"],
  maxconn: ["connections held", "↑"],
};

function errorMark(x: number, y: number): string {
  return `<text x="${x}" y="${y}" text-anchor="middle" font-size="10" fill="#b00" transform="rotate(-90 ${x} ${y})">error</text>`;
}

/**
 * Grouped bars: per ratio case, one bar per runtime (anyws/native, log
 * scale) with a tick at that runtime's target; then idle RSS per connection
 * and connections held, anyws next to the native peer, with the target line.
 *
 * @example
 * ```ts
 * import { renderChart } from "./chart.ts";
 * import type { Row } from "./rows.ts";
 * const svg = (rows: Row[]): string => renderChart(rows, { title: "anyws" });
 * ```
 */
export function renderChart(rows: Row[], meta: { title: string }): string {
  const W = 1100;
  const H = 450;
  const top = 95;
  const bottom = 370;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">${
      esc(meta.title)
    }</text>`,
  );
  // Legend.
  let lx = 16;
  const legend = (color: string, label: string, width: number): void => {
    out.push(
      `<rect x="${lx}" y="38" width="12" height="12" fill="${color}"/>`,
      `<text x="${lx + 16}" y="48">${esc(label)}</text>`,
    );
    lx += width;
  };
  for (const runtime of RUNTIMES) {
    legend(COLORS[runtime], `anyws on ${RUNTIME_DEFS[runtime].label}`, 130);
  }
  legend("#bbbbbb", "native peer (ws, Deno.serve, Bun.serve)", 270);
  out.push(
    `<line x1="${lx}" y1="44" x2="${
      lx + 22
    }" y2="44" stroke="#111" stroke-width="2.5"/>`,
    `<text x="${lx + 28}" y="48">target</text>`,
    `<text x="${lx + 80}" y="48" fill="#555">faded bar: target missed</text>`,
  );

  // Panel 1: ratios on a log scale.
  const ratioCases = (["echo16", "echo1", "echo16k", "bcast"] as CaseId[])
    .filter((id) => rows.some((r) => r.case === id));
  const px = 60;
  const pw = 600;
  const values: number[] = [];
  for (const row of rows) {
    if (!ratioCases.includes(row.case)) continue;
    if (row.target.actual !== null) values.push(row.target.actual);
    values.push(row.target.value);
  }
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(0.3, ...values))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(10, ...values) * 1.2)));
  const y = (v: number): number =>
    bottom -
    (Math.log10(Math.max(v, lo)) - Math.log10(lo)) /
      (Math.log10(hi) - Math.log10(lo)) * (bottom - top);
  if (ratioCases.length > 0) {
    out.push(
      `<text x="${px}" y="${
        top - 16
      }" font-weight="600">anyws ÷ native peer, same runtime, same run (log scale)</text>`,
    );
    for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
      for (const m of [1, 3]) {
        const v = m * Math.pow(10, e);
        if (v > hi * 1.0001) continue;
        const yy = y(v);
        out.push(
          `<line x1="${px}" y1="${yy}" x2="${px + pw}" y2="${yy}" stroke="${
            v === 1 ? "#888" : "#e5e5e5"
          }" stroke-width="1"/>`,
          `<text x="${px - 6}" y="${yy + 4}" text-anchor="end" fill="#555">${
            v >= 1 ? v.toFixed(0) : v.toFixed(v >= 0.1 ? 1 : 2)
          }×</text>`,
        );
      }
    }
  }
  const groupW = pw / Math.max(1, ratioCases.length);
  ratioCases.forEach((id, gi) => {
    const def = CASES[id];
    const gx = px + gi * groupW;
    const barW = Math.min(40, (groupW - 30) / RUNTIMES.length);
    const startX = gx + (groupW - barW * RUNTIMES.length) / 2;
    RUNTIMES.forEach((runtime, ri) => {
      const row = rows.find((r) => r.case === id && r.runtime === runtime);
      if (!row) return;
      const bx = startX + ri * barW + 3;
      const bw = barW - 6;
      const actual = row.target.actual;
      const ty = y(row.target.value);
      if (actual === null) {
        out.push(errorMark(bx + bw / 2, y(1) - 6));
      } else {
        const yy = y(actual);
        const y1 = y(1);
        const opacity = row.target.met === false ? 0.35 : 1;
        const labelY = actual >= 1
          ? Math.min(yy, ty) - 6
          : Math.max(yy, ty) + 13;
        out.push(
          `<rect x="${bx}" y="${Math.min(yy, y1)}" width="${bw}" height="${
            Math.max(1, Math.abs(y1 - yy))
          }" fill="${COLORS[runtime]}" fill-opacity="${opacity}"><title>${
            esc(
              `${def.title}, ${RUNTIME_DEFS[runtime].label}: ${
                formatRatio(actual)
              } (target ${row.target.op} ${row.target.value}×)`,
            )
          }</title></rect>`,
          `<text x="${
            bx + bw / 2
          }" y="${labelY}" text-anchor="middle" font-size="10">${
            esc(formatRatio(actual))
          }</text>`,
        );
      }
      out.push(
        `<line x1="${bx - 3}" y1="${ty}" x2="${
          bx + bw + 3
        }" y2="${ty}" stroke="#111" stroke-width="2.5"/>`,
      );
    });
    const [line1, line2] = CHART_LABELS[id];
    out.push(
      `<text x="${gx + groupW / 2}" y="${
        bottom + 20
      }" text-anchor="middle" font-weight="600">${esc(line1)}</text>`,
      `<text x="${gx + groupW / 2}" y="${
        bottom + 36
      }" text-anchor="middle" fill="#555">${esc(line2)}</text>`,
    );
  });

  // Panels 2 and 3: absolute figures, anyws next to its native peer.
  const absolute = (
    x0: number,
    width: number,
    id: CaseId,
    metricKey: string,
    fmt: (v: number) => string,
  ): void => {
    const panelRows = RUNTIMES.map((r) =>
      rows.find((row) => row.case === id && row.runtime === r)
    );
    if (panelRows.every((r) => r === undefined)) return;
    const target = CASES[id].target.values.node;
    const all = [target];
    for (const row of panelRows) {
      if (!row) continue;
      for (const impl of IMPLS) {
        const v = row[impl].metrics[metricKey];
        if (v !== undefined) all.push(v);
      }
    }
    const max = Math.max(...all) * 1.15;
    const yy = (v: number): number =>
      bottom - Math.max(0, v) / max * (bottom - top);
    const [line1, line2] = CHART_LABELS[id];
    out.push(
      `<text x="${x0}" y="${top - 16}" font-weight="600">${
        esc(`${line1} (${line2})`)
      }</text>`,
      `<line x1="${x0}" y1="${bottom}" x2="${
        x0 + width
      }" y2="${bottom}" stroke="#888"/>`,
    );
    const gw = width / RUNTIMES.length;
    RUNTIMES.forEach((runtime, ri) => {
      const row = panelRows[ri];
      if (!row) return;
      const gx = x0 + ri * gw;
      const bw = Math.min(30, gw / 2 - 5);
      IMPLS.forEach((impl, ii) => {
        const bx = gx + gw / 2 - bw - 1 + ii * (bw + 2);
        const v = row[impl].metrics[metricKey];
        if (v === undefined) {
          if (row[impl].errors.length > 0) {
            out.push(errorMark(bx + bw / 2, bottom - 6));
          }
          return;
        }
        const fill = impl === "anyws" ? COLORS[runtime] : "#bbbbbb";
        const opacity = impl === "anyws" && row.target.met === false ? 0.35 : 1;
        out.push(
          `<rect x="${bx}" y="${yy(v)}" width="${bw}" height="${
            Math.max(1, bottom - yy(v))
          }" fill="${fill}" fill-opacity="${opacity}"><title>${
            esc(
              `${RUNTIME_DEFS[runtime].label}, ${
                impl === "anyws" ? "anyws" : RUNTIME_DEFS[runtime].nativeLabel
              }: ${fmt(v)}`,
            )
          }</title></rect>`,
          `<text x="${bx + bw / 2}" y="${
            yy(v) - 4
          }" text-anchor="middle" font-size="9">${esc(fmt(v))}</text>`,
        );
      });
      out.push(
        `<text x="${gx + gw / 2}" y="${
          bottom + 20
        }" text-anchor="middle" font-weight="600">${
          RUNTIME_DEFS[runtime].label
        }</text>`,
      );
    });
    const ty = yy(target);
    out.push(
      `<line x1="${x0}" y1="${ty}" x2="${
        x0 + width
      }" y2="${ty}" stroke="#111" stroke-width="2" stroke-dasharray="6 3"/>`,
    );
  };
  absolute(705, 180, "idle", "rss_per_conn_kib", (v) => v.toFixed(1));
  absolute(
    905,
    180,
    "maxconn",
    "held",
    (v) => `${(v / 1000).toFixed(1)}k`,
  );
  out.push(
    `<text x="16" y="${H - 14}" fill="#555" font-size="11">${
      esc(
        "Medians over interleaved passes; server pinned to one core, the same load client (scripts/bench/bench_client.c) on the other. Details: docs/bench/results.md.",
      )
    }</text>`,
    "</svg>",
  );
  return out.join("\n") + "\n";
}
