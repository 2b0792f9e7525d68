/**
 * The report of a benchmark run: the rows built from its samples (one per
 * case, runtime and native peer), the tables on stdout, and three files:
 * `results.json` (everything, with the samples), `results.md` (notes,
 * chart, tables, compression, errors, method) and `chart.svg`.
 * `.bench/results.json` is always written too.
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { CASES } from "./cases.ts";
import { renderChart } from "./chart.ts";
import type { Settings } from "./options.ts";
import { ROOT, SCRATCH } from "./paths.ts";
import { buildRow, type Row } from "./rows.ts";
import type { Sample } from "./sample.ts";
import { RUNTIME_DEFS } from "./servers.ts";
import {
  compressionTable,
  detailTable,
  errorList,
  headlineTable,
} from "./tables.ts";

/**
 * What a run measured: everything the report is made from
 * (`.bench/run.json`; a `results.json` holds it too).
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import type { RunRecord } from "./report.ts";
 * const record = JSON.parse(readFileSync(".bench/run.json", "utf8")) as RunRecord;
 * ```
 */
export interface RunRecord {
  generated: string;
  elapsedSeconds: number;
  settings: Omit<Settings, "out" | "publish" | "from" | "dryRun">;
  machine: Record<string, string | number | boolean>;
  versions: Record<string, string>;
  samples: Sample[];
}

/**
 * Builds the rows, prints the tables and writes the three outputs to `out`
 * (`publish`: whether `out` is where results are published, which the last
 * line says).
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import { type RunRecord, writeReport } from "./report.ts";
 * const record = JSON.parse(readFileSync(".bench/run.json", "utf8")) as RunRecord;
 * writeReport(record, ".bench", false);
 * ```
 */
export function writeReport(
  record: RunRecord,
  out: string,
  publish: boolean,
): void {
  const { settings, machine: info, versions, samples } = record;
  const rows: Row[] = [];
  for (const caseId of settings.cases) {
    for (const runtime of settings.runtimes) {
      for (const peer of RUNTIME_DEFS[runtime].peers) {
        rows.push(buildRow(CASES[caseId], runtime, peer, samples));
      }
    }
  }
  const title = `anyws vs native WebSocket servers${
    settings.quick ? " (quick run)" : ""
  }`;
  const results = {
    schema: 1,
    generated: record.generated,
    elapsedSeconds: record.elapsedSeconds,
    settings,
    machine: info,
    versions,
    servers: Object.fromEntries(
      settings.runtimes.map((r) => [r, {
        anyws: RUNTIME_DEFS[r].anyws.map((a) => relative(ROOT, a) || a),
        peers: RUNTIME_DEFS[r].peers.map((peer) => ({
          id: peer.id,
          command: peer.command.map((a) => relative(ROOT, a) || a),
          deflate: peer.deflate,
        })),
      }]),
    ),
    cases: settings.cases.map((id) => ({
      id,
      title: CASES[id].title,
      headline: CASES[id].headline,
      metrics: CASES[id].metrics,
      target: CASES[id].target,
      deflate: CASES[id].deflate,
    })),
    rows,
    samples,
  };
  const notes = [
    `Generated ${results.generated} in ${record.elapsedSeconds} s: ${settings.passes} interleaved pass(es), median shown${
      settings.quick
        ? " (**quick run**: short and single-pass, not for publishing)"
        : ""
    }. Throughput cases: ${settings.warmupMs / 1000} s warm-up, ${
      settings.durationMs / 1000
    } s measurement.`,
    "",
    `Machine: ${info.cpu}, ${info.cores} cores, Linux ${info.kernel}, fd hard limit ${info.fdHardLimit}, load average ${info.loadAverageAtStart} at start. ${
      settings.pin
        ? "Server pinned to core 0 and client to core 1 (`taskset`)."
        : "Not pinned."
    }`,
    "",
    `Runtimes: Node ${versions.node}, ${versions.deno}, Bun ${versions.bun}, ws ${versions.ws}, bufferutil ${
      versions.bufferutil ?? "missing"
    }.`,
  ].join("\n");
  const method = [
    "## Method",
    "",
    "- Servers: `examples/bench_server.ts` (anyws) on each runtime and the native peers of the same runtime: `scripts/bench/peers/ws_server.mjs` twice, as `ws` (ws alone: `WS_NO_BUFFER_UTIL` keeps its `bufferutil` add-on out) and as `ws+bufferutil` (`--bufferutil`: the server refuses to start unless ws masks with the add-on's native code), `scripts/bench/peers/deno_server.ts` (`Deno.serve` + `Deno.upgradeWebSocket`), `scripts/bench/peers/bun_server.ts` (`Bun.serve`, publish/subscribe for `/bcast`). No compression outside the compression cases. Each case starts a fresh server on 127.0.0.1 with its fd limit raised to the hard limit. A runtime with two peers has two rows per case (the same anyws figures, each peer's ratio).",
    "- Client: `scripts/bench/bench_client.c`, one epoll thread, the same for every server. Masked client frames with a random key per frame, the server's `Sec-WebSocket-Accept` checked, every echo checked (length and sequence number). CPU % is the share of one core over the measurement window (user + system, `getrusage` for the client, `/proc/PID/stat` for the server, all its threads). Other CPU % is the machine's busy time (`/proc/stat`) minus client and server: other processes, plus interrupt time charged to neither; a high value marks a disturbed measurement.",
    "- Why this client: it must not be the bottleneck. Measured during development on this machine against `Bun.serve` (the fastest server here), echo 100 × 16 × 32 B: this client drove 1.76 M msgs/s using 78% of its core (mostly kernel time in `read`/`send`), while the runtimes' own clients saturated their core far lower: Bun's built-in `WebSocket` 0.16 M msgs/s, Node 24's built-in `WebSocket` 0.11 M, `ws` on Node 0.11 M. A JavaScript client would have measured itself, not the servers; a C client is also identical for every server.",
    "- echo: every connection keeps K binary messages in flight; latency is write-to-echo time. MB/s counts echoed payload bytes received.",
    "- broadcast: 1,000 subscribers on `/bcast`, then one publisher keeping up to 256 messages outstanding (published but not yet received back by itself); deliveries/s counts messages received by the subscribers; latency is publish → receipt (it includes the queue of 256 outstanding messages).",
    `- idle: ${settings.idleConns} connections opened with at most ${settings.handshakes} handshakes in flight on a freshly started server; RSS per connection = (VmRSS 1 s after the last handshake − VmRSS before the first) / connections (the target figure); then every connection must answer a ping, and the same figure is taken again once they have.`,
    `- concurrent connections: ${settings.maxConns} tried (just under the fd hard limit of both processes); held = connections that answer a ping after 1 s; errors = tried − held.`,
    "- compression cases (`*_deflate*`, permessage-deflate, RFC 7692): 400 B chat-like JSON text (256 deterministic messages, the same in every run), checked byte for byte after inflation. The client offers `permessage-deflate; client_max_window_bits` (what browsers send), checks the 101's answer, compresses every message it sends without context takeover (legal whatever the answer) and inflates every RSV1 message with the context the answer allows. Every server is set to compress every message: anyws `threshold: 0` (its shared-mode default, 1024 bytes, would send these 400 B messages uncompressed), ws `perMessageDeflate: { threshold: 0 }` (ws applies its 1024-byte default only without context takeover, so with this offer it compresses them anyway; 0 makes it hold for any offer), Bun.serve `perMessageDeflate: true` with `compress: true` on each `send`/`publish` (without it Bun's `send` does not compress). Deno.serve has no permessage-deflate: n/a. The compression table shows what each server agreed to and what share of its messages arrived with RSV1; bytes on the wire per message count frame headers, measured at the client's sockets. idle with compression: the target is anyws's RSS per connection less the uncompressed idle case's, same run.",
  ].join("\n");
  const errors = errorList(rows);
  const compression = compressionTable(rows);
  const markdown = [
    `# ${title}`,
    "",
    notes,
    "",
    "![chart](chart.svg)",
    "",
    "## Targets",
    "",
    headlineTable(rows),
    "",
    "## All figures (medians)",
    "",
    detailTable(rows),
    "",
    ...(compression
      ? [
        "## Compression: what each server agreed to and sent",
        "",
        compression,
        "",
      ]
      : []),
    ...(errors ? ["## Errors", "", errors, ""] : []),
    method,
    "",
  ].join("\n");

  mkdirSync(SCRATCH, { recursive: true });
  writeFileSync(
    join(SCRATCH, "results.json"),
    JSON.stringify(results, null, 2) + "\n",
  );
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, "results.json"),
    JSON.stringify(results, null, 2) + "\n",
  );
  writeFileSync(join(out, "results.md"), markdown);
  writeFileSync(join(out, "chart.svg"), renderChart(rows, { title }));

  console.log(
    [
      `# ${title}`,
      "",
      notes,
      "",
      headlineTable(rows),
      "",
      detailTable(rows),
      "",
      ...(compression ? [compression, ""] : []),
      ...(errors ? [errors, ""] : []),
    ].join("\n"),
  );
  console.error(
    `bench: wrote ${relative(ROOT, join(out, "results.{json,md}"))} and ${
      relative(ROOT, join(out, "chart.svg"))
    }${publish ? "" : " (quick or partial run: docs/bench untouched)"}`,
  );
}
