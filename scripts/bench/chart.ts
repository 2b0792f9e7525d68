/**
 * The chart of the benchmark report (`chart.svg`): per ratio case, one bar
 * per runtime and native peer (anyws / that peer, log scale) with a tick
 * at that runtime's target; then idle RSS per connection (without and
 * with compression) and connections held, anyws next to its native peers,
 * with each runtime's target. Hand-written SVG, no dependency.
 *
 * @module
 */

import type { CaseId } from "./case_model.ts";
import { CASES } from "./cases.ts";
import { formatRatio } from "./format.ts";
import type { Row } from "./rows.ts";
import { type Runtime, RUNTIME_DEFS, RUNTIMES } from "./servers.ts";

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  );
}

/** anyws's colour on each runtime: against its first peer, then others. */
const COLORS: Record<Runtime, string[]> = {
  node: ["#3c873a", "#93c98f"],
  deno: ["#2b6cb0", "#90b8e0"],
  bun: ["#d53f8c", "#eda0c6"],
};
const PEER_COLORS = ["#bbbbbb", "#888888"];

function color(runtime: Runtime, peerIndex: number): string {
  const colors = COLORS[runtime];
  return colors[Math.min(peerIndex, colors.length - 1)];
}

/** Two-line group labels of the chart. */
const CHART_LABELS: Record<CaseId, [string, string]> = {
  echo16: ["echo 100×16×32 B", "msgs/s ↑"],
  echo1: ["echo 100×1×32 B", "p99 latency ↓"],
  echo16k: ["echo 10×16×16 KiB", "MB/s ↑"],
  bcast: ["broadcast to 1,000", "deliveries/s ↑"],
  idle: ["idle RSS / connection", "KiB ↓"],
  maxconn: ["connections held", "↑"],
  echo_deflate: ["deflate echo", "shared · msgs/s ↑"],
  echo_deflate_dedicated: ["deflate echo", "dedicated · msgs/s ↑"],
  bcast_deflate: ["deflate broadcast", "deliveries/s ↑"],
  idle_deflate: ["idle RSS, deflate", "KiB ↓"],
};

const RATIO_CASES: CaseId[] = [
  "echo16",
  "echo1",
  "echo16k",
  "bcast",
  "echo_deflate",
  "echo_deflate_dedicated",
  "bcast_deflate",
];

function errorMark(x: number, y: number, text = "error"): string {
  return `<text x="${x}" y="${y}" text-anchor="middle" font-size="10" fill="#b00" transform="rotate(-90 ${x} ${y})">${text}</text>`;
}

/** A bar of the ratio panel: one runtime against one of its peers. */
interface Column {
  runtime: Runtime;
  peer: string;
  peerIndex: number;
}

/**
 * Grouped bars: per ratio case, one bar per runtime and native peer
 * (anyws / peer, log scale) with a tick at that runtime's target; then
 * idle RSS per connection and connections held, anyws next to its native
 * peers, with the targets.
 *
 * @example
 * ```ts
 * import { renderChart } from "./chart.ts";
 * import type { Row } from "./rows.ts";
 * const svg = (rows: Row[]): string => renderChart(rows, { title: "anyws" });
 * ```
 */
export function renderChart(rows: Row[], meta: { title: string }): string {
  const columns: Column[] = RUNTIMES.flatMap((runtime) =>
    RUNTIME_DEFS[runtime].peers.map((peer, peerIndex) => ({
      runtime,
      peer: peer.id,
      peerIndex,
    }))
  ).filter((c) => rows.some((r) => r.runtime === c.runtime));
  const ratioCases = RATIO_CASES.filter((id) =>
    rows.some((r) => r.case === id)
  );
  const absoluteCases = (["idle", "idle_deflate", "maxconn"] as CaseId[])
    .filter((id) => rows.some((r) => r.case === id));
  const H = 470;
  const top = 115;
  const bottom = 390;
  const px = 60;
  const groupW = Math.max(80, columns.length * 22 + 40);
  const pw = ratioCases.length * groupW;
  const panelW = (): number =>
    RUNTIMES.reduce(
      (sum, r) => sum + (RUNTIME_DEFS[r].peers.length + 1) * 22 + 16,
      0,
    );
  const W = Math.max(
    1100,
    px + pw + 40 + absoluteCases.length * (panelW() + 30) + 20,
  );
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">${
      esc(meta.title)
    }</text>`,
  );
  // Legend, in two lines.
  let lx = 16;
  let ly = 38;
  const legend = (fill: string, label: string, width: number): void => {
    out.push(
      `<rect x="${lx}" y="${ly}" width="12" height="12" fill="${fill}"/>`,
      `<text x="${lx + 16}" y="${ly + 10}">${esc(label)}</text>`,
    );
    lx += width;
  };
  for (const c of columns) {
    legend(
      color(c.runtime, c.peerIndex),
      `anyws on ${RUNTIME_DEFS[c.runtime].label} ÷ ${c.peer}`,
      230,
    );
  }
  lx = 16;
  ly = 58;
  legend(PEER_COLORS[0], "native peer", 110);
  legend(PEER_COLORS[1], "second native peer (ws+bufferutil)", 250);
  out.push(
    `<line x1="${lx}" y1="${ly + 6}" x2="${lx + 22}" y2="${
      ly + 6
    }" stroke="#111" stroke-width="2.5"/>`,
    `<text x="${lx + 28}" y="${ly + 10}">target</text>`,
    `<text x="${lx + 80}" y="${
      ly + 10
    }" fill="#555">faded bar: target missed; n/a: the peer has no permessage-deflate</text>`,
  );

  // Panel 1: ratios on a log scale.
  const values: number[] = [];
  for (const row of rows) {
    if (!ratioCases.includes(row.case)) continue;
    if (row.target.actual !== null) values.push(row.target.actual);
    if (row.target.value !== null) values.push(row.target.value);
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
  ratioCases.forEach((id, gi) => {
    const def = CASES[id];
    const gx = px + gi * groupW;
    const barW = Math.min(40, (groupW - 20) / columns.length);
    const startX = gx + (groupW - barW * columns.length) / 2;
    columns.forEach((c, ci) => {
      const row = rows.find((r) =>
        r.case === id && r.runtime === c.runtime && r.peer === c.peer
      );
      if (!row) return;
      const bx = startX + ci * barW + 2;
      const bw = barW - 4;
      const actual = row.target.actual;
      if (actual === null) {
        const failed = row.anyws.errors.length + row.native.errors.length > 0;
        if (row.native.na !== undefined || failed) {
          out.push(
            errorMark(
              bx + bw / 2,
              y(1) - 6,
              row.native.na !== undefined ? "n/a" : "error",
            ),
          );
        }
      } else {
        const yy = y(actual);
        const y1 = y(1);
        const opacity = row.target.met === false ? 0.35 : 1;
        out.push(
          `<rect x="${bx}" y="${Math.min(yy, y1)}" width="${bw}" height="${
            Math.max(1, Math.abs(y1 - yy))
          }" fill="${
            color(c.runtime, c.peerIndex)
          }" fill-opacity="${opacity}"><title>${
            esc(
              `${def.title}, ${RUNTIME_DEFS[c.runtime].label} vs ${c.peer}: ${
                formatRatio(actual)
              }${
                row.target.value === null
                  ? ""
                  : ` (target ${row.target.op} ${row.target.value}×)`
              }`,
            )
          }</title></rect>`,
          `<text x="${bx + bw / 2}" y="${
            actual >= 1 ? Math.min(yy, y1) - 4 : Math.max(yy, y1) + 11
          }" text-anchor="middle" font-size="8">${
            esc(formatRatio(actual))
          }</text>`,
        );
      }
      if (row.target.value !== null) {
        const ty = y(row.target.value);
        out.push(
          `<line x1="${bx - 2}" y1="${ty}" x2="${
            bx + bw + 2
          }" y2="${ty}" stroke="#111" stroke-width="2.5"/>`,
        );
      }
    });
    const [line1, line2] = CHART_LABELS[id];
    out.push(
      `<text x="${gx + groupW / 2}" y="${
        bottom + 20
      }" text-anchor="middle" font-weight="600" font-size="11">${
        esc(line1)
      }</text>`,
      `<text x="${gx + groupW / 2}" y="${
        bottom + 36
      }" text-anchor="middle" fill="#555" font-size="11">${esc(line2)}</text>`,
    );
  });

  // Then absolute figures, anyws next to its native peers.
  const absolute = (
    x0: number,
    id: CaseId,
    metricKey: string,
    fmt: (v: number) => string,
  ): void => {
    const [line1, line2] = CHART_LABELS[id];
    const width = panelW();
    const all: number[] = [];
    for (const row of rows.filter((r) => r.case === id)) {
      for (
        const v of [
          row.anyws.metrics[metricKey],
          row.native.metrics[metricKey],
          row.target.limit,
        ]
      ) {
        if (v !== undefined && v !== null) all.push(v);
      }
    }
    const max = Math.max(1e-9, ...all) * 1.15;
    const yy = (v: number): number =>
      bottom - Math.max(0, v) / max * (bottom - top);
    out.push(
      `<text x="${x0}" y="${top - 16}" font-weight="600">${
        esc(`${line1} (${line2})`)
      }</text>`,
      `<line x1="${x0}" y1="${bottom}" x2="${
        x0 + width
      }" y2="${bottom}" stroke="#888"/>`,
    );
    let gx = x0;
    for (const runtime of RUNTIMES) {
      const peers = RUNTIME_DEFS[runtime].peers;
      const gw = (peers.length + 1) * 22 + 16;
      const runtimeRows = peers.map((peer) =>
        rows.find((r) =>
          r.case === id && r.runtime === runtime && r.peer === peer.id
        )
      );
      const first = runtimeRows.find((r) => r !== undefined);
      if (first) {
        const bars = [
          { name: "anyws", summary: first.anyws, fill: color(runtime, 0) },
          ...runtimeRows.map((row, i) => ({
            name: peers[i].id,
            summary: row?.native,
            fill: PEER_COLORS[Math.min(i, PEER_COLORS.length - 1)],
          })),
        ];
        bars.forEach((bar, bi) => {
          const bx = gx + 8 + bi * 22;
          const v = bar.summary?.metrics[metricKey];
          if (v === undefined) {
            if (bar.summary?.na !== undefined) {
              out.push(errorMark(bx + 10, bottom - 6, "n/a"));
            } else if ((bar.summary?.errors.length ?? 0) > 0) {
              out.push(errorMark(bx + 10, bottom - 6));
            }
            return;
          }
          const opacity = bi === 0 && first.target.met === false ? 0.35 : 1;
          out.push(
            `<rect x="${bx}" y="${yy(v)}" width="20" height="${
              Math.max(1, bottom - yy(v))
            }" fill="${bar.fill}" fill-opacity="${opacity}"><title>${
              esc(`${RUNTIME_DEFS[runtime].label}, ${bar.name}: ${fmt(v)}`)
            }</title></rect>`,
            `<text x="${bx + 10}" y="${
              yy(v) - 4
            }" text-anchor="middle" font-size="8">${esc(fmt(v))}</text>`,
          );
        });
        if (first.target.limit !== null) {
          const ty = yy(first.target.limit);
          out.push(
            `<line x1="${gx + 4}" y1="${ty}" x2="${
              gx + gw - 4
            }" y2="${ty}" stroke="#111" stroke-width="2" stroke-dasharray="6 3"/>`,
          );
        }
        out.push(
          `<text x="${gx + gw / 2}" y="${
            bottom + 20
          }" text-anchor="middle" font-weight="600">${
            RUNTIME_DEFS[runtime].label
          }</text>`,
        );
      }
      gx += gw;
    }
  };
  let ax = px + pw + 40;
  for (const id of absoluteCases) {
    if (id === "maxconn") {
      absolute(ax, id, "held", (v) => `${(v / 1000).toFixed(1)}k`);
    } else absolute(ax, id, "rss_per_conn_kib", (v) => v.toFixed(1));
    ax += panelW() + 30;
  }
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
