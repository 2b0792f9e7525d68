/**
 * The client benchmark (`npm run bench:client`, issue 15): client
 * throughput of anyws's `ClientSocket` against the clients each runtime
 * already has (`ws` and `ws` with `bufferutil` on Node, the built-in
 * `WebSocket` of Node 24, Deno and Bun), all driving the same echo server
 * (`Bun.serve`) with the same load in the same run: echo 100 connections ×
 * 16 messages in flight × 32 B of text from one client process.
 *
 * ```sh
 * node scripts/bench/client.ts                   # full run (~3 min), writes docs/bench/client.{md,json}
 * node scripts/bench/client.ts --quick           # ~30 s, 1 pass, writes .bench/client.{md,json}
 * node scripts/bench/client.ts --runtime node,bun --passes 5
 * npm run bench:client -- --quick                # the same as --quick
 * npm run bench:client --quick                   # also: npm keeps the flag (args.ts)
 * ```
 *
 * Every measurement starts a fresh echo server on 127.0.0.1 (pinned to
 * core 0 with `taskset` when it exists) and the client process under test
 * (`client_echo.ts`, pinned to core 1) for a bounded time. Passes are
 * interleaved and the order of the clients flips every pass. The report
 * gives the medians, anyws's ratios to each peer, the client's CPU time
 * per message and the CPU use of client, server and the rest of the
 * machine, with a warning when the machine was loaded.
 *
 * The parts: `client_options.ts` (the command line), `client_kinds.ts`
 * (the clients), `client_echo.ts` (the process under test),
 * `client_sample.ts` (one measurement), `client_rows.ts` and
 * `client_report.ts` (the outputs); with the shared `processes.ts`,
 * `proc_cpu.ts`, `machine.ts`, `rows.ts` and `format.ts`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { commandLine, dryRunLine } from "./args.ts";
import { type ClientId, peersOn } from "./client_kinds.ts";
import { CLIENT_BENCH_OPTIONS, parseClientSettings } from "./client_options.ts";
import { type ClientRunRecord, writeClientReport } from "./client_report.ts";
import {
  type ClientSample,
  describeClientSample,
  measureClient,
} from "./client_sample.ts";
import { canPin, machine } from "./machine.ts";
import { serverVersions } from "./servers.ts";

async function main(): Promise<void> {
  const { args, fromNpm } = commandLine(
    process.env,
    process.argv.slice(2),
    CLIENT_BENCH_OPTIONS,
  );
  const settings = parseClientSettings(args);
  if (settings.dryRun) {
    const { dryRun: _dryRun, ...shown } = settings;
    console.log(dryRunLine(CLIENT_BENCH_OPTIONS, fromNpm, shown));
    return;
  }
  if (settings.pin && !canPin()) {
    console.error(
      "bench:client: taskset or a second core is missing: not pinning",
    );
    settings.pin = false;
  }
  const info = machine();
  const load = Number(info.loadAverageAtStart);
  const clients = settings.runtimes.reduce(
    (sum, runtime) => sum + 1 + peersOn(runtime, settings.peers).length,
    0,
  );
  console.error(
    `bench:client: ${settings.passes} pass(es) × ${clients} clients; load average ${info.loadAverageAtStart}${
      load > 0.7 ? " (high: other work may distort the figures)" : ""
    }; pinning ${settings.pin ? "on" : "off"}`,
  );
  const samples: ClientSample[] = [];
  const started = performance.now();
  for (let pass = 1; pass <= settings.passes; pass++) {
    for (const runtime of settings.runtimes) {
      // anyws first on odd passes, last on even ones.
      const order: ClientId[] = [
        "anyws",
        ...peersOn(runtime, settings.peers),
      ];
      if (pass % 2 === 0) order.reverse();
      for (const client of order) {
        const sample = await measureClient(settings, pass, runtime, client);
        samples.push(sample);
        console.error(
          `[pass ${pass}/${settings.passes}] ${runtime} ${client}: ${
            describeClientSample(sample)
          } (${(sample.wallMs / 1000).toFixed(1)} s)`,
        );
      }
    }
  }
  const { out: _out, publish: _publish, dryRun: _dryRun, ...kept } = settings;
  const record: ClientRunRecord = {
    generated: new Date().toISOString(),
    elapsedSeconds: Math.round((performance.now() - started) / 1000),
    settings: kept,
    machine: info,
    loadAverageAtEnd: readFileSync("/proc/loadavg", "utf8").split(" ")[0],
    versions: serverVersions(),
    samples,
  };
  writeClientReport(record, settings.out);
  if (!settings.publish) {
    console.error("bench:client: a quick or partial run: docs/bench untouched");
  }
}

await main();
