// Long file: the cases of npm run bench share one runner; each case is a few lines over these parts, documented together.
/**
 * The building blocks of the cases in `cases.ts`: reading the load
 * client's report, and one builder per kind of workload (echo, broadcast,
 * idle connections), each with or without compression.
 *
 * A compressed case (permessage-deflate, issue 14) sends ~400 B chat-like
 * JSON text (the client's `--payload json`), offers the extension as
 * browsers do (`--deflate browser`: `permessage-deflate;
 * client_max_window_bits`), starts anyws with the case's arguments and
 * each peer with its own (servers.ts), and adds the bytes on the wire per
 * message both ways and the share of messages the server sent compressed
 * (RSV1). A server that declines the extension on any connection, or
 * sends no compressed message at all, gives an error.
 *
 * @module
 */

import type { CaseDef, CaseId, MetricDef, Target } from "./case_model.ts";
import type { ClientReport } from "./load_client.ts";

/**
 * A finite number of the report, or `null`.
 *
 * @example
 * ```ts
 * import { num } from "./case_parts.ts";
 * num({ msgs: 12 }, "msgs"); // 12
 * num({ msgs: null }, "msgs"); // null
 * ```
 */
export function num(report: ClientReport, key: string): number | null {
  const value = report[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * Copies the named numbers of a report, skipping the missing ones.
 *
 * @example
 * ```ts
 * import { pick } from "./case_parts.ts";
 * pick({ a: 1, b: null }, ["a", "b"]); // { a: 1 }
 * ```
 */
export function pick(
  report: ClientReport,
  keys: string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of keys) {
    const value = num(report, key);
    if (value !== null) out[key] = value;
  }
  return out;
}

/**
 * The error of a throughput run: any failed, lost or wrong connection, or
 * no message measured.
 *
 * @example
 * ```ts
 * import { trafficError } from "./case_parts.ts";
 * trafficError({ failed: 0, lost: 1, protocol_errors: 0, msgs: 9 });
 * // "Connections failed: 0, lost: 1, protocol errors: 0"
 * ```
 */
export function trafficError(report: ClientReport): string | null {
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

/**
 * The error of a compressed run: a connection without the extension, or
 * (with traffic) no compressed message from the server.
 *
 * @example
 * ```ts
 * import { deflateError } from "./case_parts.ts";
 * deflateError({ opened: 10, deflate_agreed: 9, rsv1_msgs: 5 }, true);
 * // "1 of 10 connections without permessage-deflate (the server declined it)"
 * ```
 */
export function deflateError(
  report: ClientReport,
  traffic: boolean,
): string | null {
  const opened = num(report, "opened") ?? 0;
  const agreed = num(report, "deflate_agreed") ?? 0;
  if (agreed < opened) {
    return `${
      opened - agreed
    } of ${opened} connections without permessage-deflate (the server declined it)`;
  }
  if (traffic && (num(report, "rsv1_msgs") ?? 0) === 0) {
    return "The server sent no compressed message (no RSV1 frame)";
  }
  return null;
}

/**
 * The share of data messages the server sent compressed, in %, or `null`
 * when none was received.
 *
 * @example
 * ```ts
 * import { compressedPercent } from "./case_parts.ts";
 * compressedPercent({ rsv1_msgs: 3, plain_msgs: 1 }); // 75
 * ```
 */
export function compressedPercent(report: ClientReport): number | null {
  const rsv1 = num(report, "rsv1_msgs") ?? 0;
  const plain = num(report, "plain_msgs") ?? 0;
  return rsv1 + plain === 0 ? null : rsv1 / (rsv1 + plain) * 100;
}

/**
 * The CPU figures every throughput case reports.
 *
 * @example
 * ```ts
 * import { CPU } from "./case_parts.ts";
 * CPU.map((metric) => metric.key); // ["client_cpu_pct", "server_cpu_pct", "other_cpu_pct"]
 * ```
 */
export const CPU: MetricDef[] = [
  { key: "client_cpu_pct", label: "client CPU", unit: "%", better: "lower" },
  { key: "server_cpu_pct", label: "server CPU", unit: "%", better: "lower" },
  { key: "other_cpu_pct", label: "other CPU", unit: "%", better: "lower" },
];

/**
 * The figures a compressed throughput case adds.
 *
 * @example
 * ```ts
 * import { WIRE } from "./case_parts.ts";
 * WIRE[0].key; // "wire_in_per_msg"
 * ```
 */
export const WIRE: MetricDef[] = [
  {
    key: "wire_in_per_msg",
    label: "bytes on the wire per message, server → client",
    unit: "B",
    better: "lower",
  },
  {
    key: "wire_out_per_msg",
    label: "bytes on the wire per message, client → server",
    unit: "B",
    better: "lower",
  },
  {
    key: "compressed_pct",
    label: "messages the server compressed",
    unit: "%",
    better: "higher",
  },
];

/**
 * How a compressed case runs: anyws's arguments and what they mean.
 *
 * @example
 * ```ts
 * import type { Compression } from "./case_parts.ts";
 * const shared: Compression = {
 *   anyws: ["--deflate=shared", "--deflate-threshold=0"],
 *   what: 'deflate: { mode: "shared", threshold: 0 }',
 * };
 * ```
 */
export interface Compression {
  anyws: string[];
  what: string;
}

/** The client's arguments of a compressed case (none for a plain one). */
function compressionArgs(compression: Compression | undefined): string[] {
  return compression ? ["--payload", "json", "--deflate", "browser"] : [];
}

/** Adds the compressed case's figures and error to a plain extraction. */
function withCompression(
  compression: Compression | undefined,
  report: ClientReport,
  metrics: Record<string, number>,
  error: string | null,
  traffic: boolean,
): { metrics: Record<string, number>; error: string | null } {
  if (!compression) return { metrics, error };
  const percent = compressedPercent(report);
  if (traffic) {
    Object.assign(
      metrics,
      pick(report, ["wire_in_per_msg", "wire_out_per_msg"]),
    );
    if (percent !== null) metrics.compressed_pct = percent;
  }
  return { metrics, error: error ?? deflateError(report, traffic) };
}

/**
 * An echo case: connections × messages in flight × message size.
 *
 * @example
 * ```ts
 * import type { EchoSpec } from "./case_parts.ts";
 * const spec: EchoSpec = {
 *   id: "echo16",
 *   title: "echo 100 × 16 × 32 B",
 *   conns: 100,
 *   inflight: 16,
 *   size: 32,
 *   headline: "msgs_per_s",
 *   target: { metric: "msgs_per_s", kind: "ratio", op: ">=", values: { node: 3, deno: 3, bun: 0.6 } },
 * };
 * ```
 */
export interface EchoSpec {
  id: CaseId;
  title: string;
  conns: number;
  inflight: number;
  size: number;
  headline: string;
  target: Target;
  compression?: Compression;
}

/**
 * The echo case of `spec`.
 *
 * @example
 * ```ts
 * import { echoCase } from "./case_parts.ts";
 * const echo = echoCase({
 *   id: "echo1",
 *   title: "echo 100 × 1 × 32 B",
 *   conns: 100,
 *   inflight: 1,
 *   size: 32,
 *   headline: "p99_us",
 *   target: { metric: "p99_us", kind: "ratio", op: "<=", values: { node: 1, deno: 1, bun: 1.5 } },
 * });
 * ```
 */
export function echoCase(spec: EchoSpec): CaseDef {
  const metrics: MetricDef[] = [
    { key: "msgs_per_s", label: "msgs/s", unit: "msg/s", better: "higher" },
    { key: "mb_per_s", label: "MB/s", unit: "MB/s", better: "higher" },
    { key: "p50_us", label: "p50 latency", unit: "µs", better: "lower" },
    { key: "p99_us", label: "p99 latency", unit: "µs", better: "lower" },
    ...(spec.compression ? WIRE : []),
    ...CPU,
  ];
  const plain = metrics.filter((m) => !WIRE.includes(m)).map((m) => m.key);
  return {
    id: spec.id,
    title: spec.title,
    deflate: spec.compression,
    headline: spec.headline,
    metrics,
    target: spec.target,
    clientArgs: (s) => [
      "--mode",
      "echo",
      "--conns",
      String(spec.conns),
      "--inflight",
      String(spec.inflight),
      "--size",
      String(spec.size),
      ...compressionArgs(spec.compression),
      "--handshakes",
      String(s.handshakes),
      "--warmup",
      String(s.warmupMs),
      "--duration",
      String(s.durationMs),
    ],
    budgetMs: (s) => 20_000 + s.warmupMs + s.durationMs,
    extract: (report) =>
      withCompression(
        spec.compression,
        report,
        pick(report, plain),
        trafficError(report),
        true,
      ),
  };
}

/**
 * A broadcast case: 1,000 subscribers and one publisher keeping 256
 * messages of `size` bytes outstanding. A subscriber that received nothing
 * during the measurement fails a plain case; a compressed case reports how
 * many did instead (`starved_subscribers`): a peer that compresses for
 * each receiver (ws: a zlib stream per connection, 10 at a time) may not
 * reach all 1,000 within the measurement, and its deliveries/s is the
 * figure to compare, not an error.
 *
 * @example
 * ```ts
 * import { bcastCase } from "./case_parts.ts";
 * const bcast = bcastCase({
 *   id: "bcast",
 *   title: "broadcast to 1,000",
 *   size: 32,
 *   target: { metric: "deliveries_per_s", kind: "ratio", op: ">=", values: { node: 10, deno: 10, bun: 0.3 } },
 * });
 * ```
 */
export function bcastCase(spec: {
  id: CaseId;
  title: string;
  size: number;
  target: Target;
  compression?: Compression;
}): CaseDef {
  return {
    id: spec.id,
    title: spec.title,
    deflate: spec.compression,
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
      ...(spec.compression
        ? [...WIRE, {
          key: "starved_subscribers",
          label: "subscribers that received nothing",
          unit: "conns",
          better: "lower" as const,
        }]
        : []),
      ...CPU,
    ],
    target: spec.target,
    clientArgs: (s) => [
      "--mode",
      "bcast",
      "--conns",
      "1000",
      "--outstanding",
      "256",
      "--size",
      String(spec.size),
      ...compressionArgs(spec.compression),
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
      const starved = num(report, "starved_subscribers");
      if (spec.compression && starved !== null) {
        metrics.starved_subscribers = starved;
      } else if (
        error === null && (num(report, "per_subscriber_min") ?? 0) === 0
      ) {
        error = "A subscriber received nothing during the measurement";
      }
      return withCompression(spec.compression, report, metrics, error, true);
    },
  };
}

/**
 * The idle case: RSS per connection of `--idle-conns` connections that
 * send nothing, then again once each has answered a ping.
 *
 * @example
 * ```ts
 * import { idleCase } from "./case_parts.ts";
 * const idle = idleCase({
 *   id: "idle",
 *   title: "10,000 idle connections",
 *   target: { metric: "rss_per_conn_kib", kind: "absolute", op: "<=", values: { node: 3, deno: 3, bun: 3 } },
 * });
 * ```
 */
export function idleCase(spec: {
  id: CaseId;
  title: string;
  target: Target;
  compression?: Compression;
}): CaseDef {
  return {
    id: spec.id,
    title: spec.title,
    deflate: spec.compression,
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
    target: spec.target,
    clientArgs: (s) => [
      "--mode",
      "idle",
      "--conns",
      String(s.idleConns),
      ...(spec.compression ? ["--deflate", "browser"] : []),
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
      return withCompression(spec.compression, report, metrics, error, false);
    },
  };
}
