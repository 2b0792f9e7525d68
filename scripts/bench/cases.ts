/**
 * The workloads of `npm run bench`: what each case asks of the load client,
 * which figures it reports and which target each figure is held to (the
 * builders and the reading of the client's report are in `case_parts.ts`).
 *
 * - echo1, echo16, echo16k: connections × messages in flight × size, echoed.
 * - bcast: 1,000 subscribers and one publisher.
 * - idle: RSS per idle connection.
 * - maxconn: how many connections a server holds.
 * - echo_deflate, echo_deflate_dedicated, bcast_deflate, idle_deflate:
 *   permessage-deflate (issue 14) on ~400 B chat-like JSON, every server
 *   compressing every message: anyws with `threshold: 0` (its shared-mode
 *   default, 1024 bytes, would send these messages uncompressed), ws with
 *   `threshold: 0` (its default, 1024 too, applies only without context
 *   takeover, which the browser-like offer does not ask), Bun.serve asked to compress
 *   each send; Deno.serve has no permessage-deflate (n/a). Targets from
 *   issue 14: Node ≥ 3× ws msgs/s, Bun ≥ 0.5× Bun.serve, broadcast ≥ 10×
 *   ws, and a shared-mode idle connection within 0.5 KiB of an
 *   uncompressed one (the idle case of the same run).
 *
 * @module
 */

import type { CaseDef, CaseId } from "./case_model.ts";
import {
  bcastCase,
  type Compression,
  echoCase,
  idleCase,
  num,
  pick,
} from "./case_parts.ts";

/** The size of the compressed cases' JSON messages. */
const JSON_SIZE = 400;

const SHARED: Compression = {
  anyws: ["--deflate=shared", "--deflate-threshold=0"],
  what: 'deflate: { mode: "shared", threshold: 0 }',
};

const DEDICATED: Compression = {
  anyws: ["--deflate=dedicated", "--deflate-threshold=0"],
  what: 'deflate: { mode: "dedicated", threshold: 0 } (11-bit windows)',
};

/** Issue 14's throughput targets; Deno has no peer with compression. */
const DEFLATE_MSGS = { node: 3, deno: null, bun: 0.5 };

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
  echo1: echoCase({
    id: "echo1",
    title: "echo 100 × 1 × 32 B",
    conns: 100,
    inflight: 1,
    size: 32,
    headline: "p99_us",
    target: {
      metric: "p99_us",
      kind: "ratio",
      op: "<=",
      values: { node: 1.0, deno: 1.0, bun: 1.5 },
    },
  }),
  echo16: echoCase({
    id: "echo16",
    title: "echo 100 × 16 × 32 B",
    conns: 100,
    inflight: 16,
    size: 32,
    headline: "msgs_per_s",
    target: {
      metric: "msgs_per_s",
      kind: "ratio",
      op: ">=",
      values: { node: 3.0, deno: 3.0, bun: 0.6 },
    },
  }),
  echo16k: echoCase({
    id: "echo16k",
    title: "echo 10 × 16 × 16 KiB",
    conns: 10,
    inflight: 16,
    size: 16 * 1024,
    headline: "mb_per_s",
    target: {
      metric: "mb_per_s",
      kind: "ratio",
      op: ">=",
      values: { node: 1.0, deno: 1.0, bun: 0.7 },
    },
  }),
  bcast: bcastCase({
    id: "bcast",
    title: "broadcast to 1,000",
    size: 32,
    target: {
      metric: "deliveries_per_s",
      kind: "ratio",
      op: ">=",
      values: { node: 10, deno: 10, bun: 0.3 },
    },
  }),
  idle: idleCase({
    id: "idle",
    title: "10,000 idle connections",
    target: {
      metric: "rss_per_conn_kib",
      kind: "absolute",
      op: "<=",
      values: { node: 3, deno: 3, bun: 3 },
    },
  }),
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
  echo_deflate: echoCase({
    id: "echo_deflate",
    title: "echo 100 × 16 × 400 B JSON, deflate (anyws shared)",
    conns: 100,
    inflight: 16,
    size: JSON_SIZE,
    headline: "msgs_per_s",
    compression: SHARED,
    target: {
      metric: "msgs_per_s",
      kind: "ratio",
      op: ">=",
      values: DEFLATE_MSGS,
    },
  }),
  echo_deflate_dedicated: echoCase({
    id: "echo_deflate_dedicated",
    title: "echo 100 × 16 × 400 B JSON, deflate (anyws dedicated)",
    conns: 100,
    inflight: 16,
    size: JSON_SIZE,
    headline: "msgs_per_s",
    compression: DEDICATED,
    target: {
      metric: "msgs_per_s",
      kind: "ratio",
      op: ">=",
      values: DEFLATE_MSGS,
    },
  }),
  bcast_deflate: bcastCase({
    id: "bcast_deflate",
    title: "broadcast 400 B JSON to 1,000, deflate (anyws shared)",
    size: JSON_SIZE,
    compression: SHARED,
    target: {
      metric: "deliveries_per_s",
      kind: "ratio",
      op: ">=",
      values: { node: 10, deno: null, bun: 0.5 },
    },
  }),
  idle_deflate: idleCase({
    id: "idle_deflate",
    title: "10,000 idle compressed connections (anyws shared)",
    compression: SHARED,
    target: {
      metric: "rss_per_conn_kib",
      kind: "delta",
      baseline: "idle",
      op: "<=",
      values: { node: 0.5, deno: 0.5, bun: 0.5 },
    },
  }),
};
