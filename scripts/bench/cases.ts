/**
 * The workloads of `npm run bench`: what each case asks of the load client,
 * which figures it reports and which target each figure is held to, and
 * how a client report becomes figures or an error.
 *
 * - echo1, echo16, echo16k: connections × messages in flight × size, echoed.
 * - bcast: 1,000 subscribers and one publisher.
 * - idle: RSS per idle connection.
 * - maxconn: how many connections a server holds.
 *
 * @module
 */

import type { CaseDef, CaseId, MetricDef, Target } from "./case_model.ts";
import type { ClientReport } from "./load_client.ts";

function num(report: ClientReport, key: string): number | null {
  const value = report[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Copies the named numbers of a report, skipping the missing ones. */
function pick(report: ClientReport, keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of keys) {
    const value = num(report, key);
    if (value !== null) out[key] = value;
  }
  return out;
}

/** The error of a throughput run: any failed, lost or wrong connection. */
function trafficError(report: ClientReport): string | null {
  if (typeof report.error === "string") return report.error;
  const failed = num(report, "failed") ?? 0;
  const lost = num(report, "lost") ?? 0;
  const bad = num(report, "protocol_errors") ?? 0;
  if (failed + lost + bad > 0) {
    return `Connections failed: ${failed}, lost: ${lost}, protocol errors: ${bad}`;
  }
  if ((num(report, "msgs") ?? 0) === 0) return "No message was measured";
  return null;
}

const CPU: MetricDef[] = [
  {
    key: "client_cpu_pct",
    label: "client CPU",
    unit: "%",
    better: "lower",
  },
  {
    key: "server_cpu_pct",
    label: "server CPU",
    unit: "%",
    better: "lower",
  },
  {
    key: "other_cpu_pct",
    label: "other CPU",
    unit: "%",
    better: "lower",
  },
];

function echoCase(
  id: CaseId,
  title: string,
  conns: number,
  inflight: number,
  size: number,
  headline: string,
  target: Target,
): CaseDef {
  const metrics: MetricDef[] = [
    { key: "msgs_per_s", label: "msgs/s", unit: "msg/s", better: "higher" },
    { key: "mb_per_s", label: "MB/s", unit: "MB/s", better: "higher" },
    { key: "p50_us", label: "p50 latency", unit: "µs", better: "lower" },
    { key: "p99_us", label: "p99 latency", unit: "µs", better: "lower" },
    ...CPU,
  ];
  return {
    id,
    title,
    headline,
    metrics,
    target,
    clientArgs: (s) => [
      "--mode",
      "echo",
      "--conns",
      String(conns),
      "--inflight",
      String(inflight),
      "--size",
      String(size),
      "--handshakes",
      String(s.handshakes),
      "--warmup",
      String(s.warmupMs),
      "--duration",
      String(s.durationMs),
    ],
    budgetMs: (s) => 20_000 + s.warmupMs + s.durationMs,
    extract: (report) => ({
      metrics: pick(report, metrics.map((m) => m.key)),
      error: trafficError(report),
    }),
  };
}

/**
 * Every case by its id.
 *
 * @example
 * ```ts
 * import { CASES } from "./cases.ts";
 * CASES.idle.title; // "10,000 idle connections"
 * ```
 */
export const CASES: Record<CaseId, CaseDef> = {
  echo1: echoCase(
    "echo1",
    "echo 100 × 1 × 32 B",
    100,
    1,
    32,
    "p99_us",
    {
      metric: "p99_us",
      kind: "ratio",
      op: "<=",
      values: { node: 1.0, deno: 1.0, bun: 1.5 },
    },
  ),
  echo16: echoCase(
    "echo16",
    "echo 100 × 16 × 32 B",
    100,
    16,
    32,
    "msgs_per_s",
    {
      metric: "msgs_per_s",
      kind: "ratio",
      op: ">=",
      values: { node: 3.0, deno: 3.0, bun: 0.6 },
    },
  ),
  echo16k: echoCase(
    "echo16k",
    "echo 10 × 16 × 16 KiB",
    10,
    16,
    16 * 1024,
    "mb_per_s",
    {
      metric: "mb_per_s",
      kind: "ratio",
      op: ">=",
      values: { node: 1.0, deno: 1.0, bun: 0.7 },
    },
  ),
  bcast: {
    id: "bcast",
    title: "broadcast to 1,000",
    headline: "deliveries_per_s",
    metrics: [
      {
        key: "deliveries_per_s",
        label: "deliveries/s",
        unit: "msg/s",
        better: "higher",
      },
      { key: "p50_us", label: "p50 latency", unit: "µs", better: "lower" },
      { key: "p99_us", label: "p99 latency", unit: "µs", better: "lower" },
      ...CPU,
    ],
    target: {
      metric: "deliveries_per_s",
      kind: "ratio",
      op: ">=",
      values: { node: 10, deno: 10, bun: 0.3 },
    },
    clientArgs: (s) => [
      "--mode",
      "bcast",
      "--conns",
      "1000",
      "--outstanding",
      "256",
      "--size",
      "32",
      "--handshakes",
      String(s.handshakes),
      "--warmup",
      String(s.warmupMs),
      "--duration",
      String(s.durationMs),
    ],
    budgetMs: (s) => 30_000 + s.warmupMs + s.durationMs,
    extract: (report) => {
      const metrics = pick(report, [
        "p50_us",
        "p99_us",
        "client_cpu_pct",
        "server_cpu_pct",
        "other_cpu_pct",
      ]);
      const rate = num(report, "msgs_per_s");
      if (rate !== null) metrics.deliveries_per_s = rate;
      let error = trafficError(report);
      if (error === null && (num(report, "per_subscriber_min") ?? 0) === 0) {
        error = "A subscriber received nothing during the measurement";
      }
      return { metrics, error };
    },
  },
  idle: {
    id: "idle",
    title: "10,000 idle connections",
    headline: "rss_per_conn_kib",
    metrics: [
      {
        key: "handshakes_per_s",
        label: "handshakes/s",
        unit: "/s",
        better: "higher",
      },
      {
        key: "rss_per_conn_kib",
        label: "RSS per connection",
        unit: "KiB",
        better: "lower",
      },
      {
        key: "rss_pinged_per_conn_kib",
        label: "RSS per connection after one ping each",
        unit: "KiB",
        better: "lower",
      },
      { key: "alive", label: "answering", unit: "conns", better: "higher" },
    ],
    target: {
      metric: "rss_per_conn_kib",
      kind: "absolute",
      op: "<=",
      values: { node: 3, deno: 3, bun: 3 },
    },
    clientArgs: (s) => [
      "--mode",
      "idle",
      "--conns",
      String(s.idleConns),
      "--handshakes",
      String(s.handshakes),
      "--settle",
      "1000",
    ],
    budgetMs: (s) => 30_000 + Math.ceil(s.idleConns / 200),
    extract: (report, s) => {
      const metrics = pick(report, ["handshakes_per_s", "alive"]);
      const opened = num(report, "opened") ?? 0;
      const before = num(report, "rss_before_kib");
      const after = num(report, "rss_after_kib");
      if (opened > 0 && before !== null && after !== null && before >= 0) {
        metrics.rss_per_conn_kib = (after - before) / opened;
        const pinged = num(report, "rss_checked_kib");
        if (pinged !== null && pinged >= 0) {
          metrics.rss_pinged_per_conn_kib = (pinged - before) / opened;
        }
      }
      let error: string | null = typeof report.error === "string"
        ? report.error
        : null;
      const alive = num(report, "alive") ?? 0;
      if (error === null && alive < s.idleConns) {
        error = `Only ${alive} of ${s.idleConns} connections answered a ping`;
      }
      return { metrics, error };
    },
  },
  maxconn: {
    id: "maxconn",
    title: "concurrent connections",
    headline: "held",
    metrics: [
      { key: "held", label: "held", unit: "conns", better: "higher" },
      { key: "errors", label: "errors", unit: "", better: "lower" },
      {
        key: "handshakes_per_s",
        label: "handshakes/s",
        unit: "/s",
        better: "higher",
      },
    ],
    target: {
      metric: "held",
      kind: "absolute",
      op: ">=",
      values: { node: 19_000, deno: 19_000, bun: 19_000 },
      zero: "errors",
    },
    clientArgs: (s) => [
      "--mode",
      "maxconn",
      "--conns",
      String(s.maxConns),
      "--handshakes",
      String(s.handshakes),
      "--settle",
      "1000",
    ],
    budgetMs: (s) => 45_000 + Math.ceil(s.maxConns / 200),
    extract: (report) => {
      const metrics = pick(report, ["handshakes_per_s"]);
      const attempted = num(report, "conns") ?? 0;
      const held = num(report, "alive") ?? 0;
      metrics.held = held;
      metrics.errors = attempted - held;
      const error = held === 0
        ? (typeof report.error === "string"
          ? report.error
          : "No connection was held")
        : null;
      return { metrics, error };
    },
  },
};
