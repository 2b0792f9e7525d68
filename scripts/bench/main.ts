/**
 * The side-by-side benchmark (`npm run bench`): anyws
 * (`examples/bench_server.ts`) on Node 24, Deno and Bun against the native
 * peers of each runtime (`ws` and `ws` with `bufferutil` on Node,
 * `Deno.serve` + `Deno.upgradeWebSocket`, `Bun.serve`), all obeying the
 * same contract (`/echo`, `/bcast`), all driven by the same load client
 * (`scripts/bench/bench_client.c`, compiled here with `cc -O2 ... -lz` into
 * `.bench/`) in its own process. The compression cases (`*_deflate*`) run
 * every server with permessage-deflate on; a peer without it (Deno.serve)
 * is reported as n/a.
 *
 * ```sh
 * node scripts/bench/main.ts                      # full run (~22 min), writes docs/bench/
 * node scripts/bench/main.ts --quick              # ~4 min, 1 pass, writes .bench/
 * node scripts/bench/main.ts --passes 5 --cases echo16,bcast --runtimes node,bun
 * node scripts/bench/main.ts --quick --dry-run    # print the settings, measure nothing
 * npm run bench -- --quick                        # the same as --quick
 * npm run bench --quick                           # also: npm keeps the flag (options.ts)
 * ```
 *
 * Every case starts a fresh server on 127.0.0.1 (pinned to core 0 with
 * `taskset` when it exists, fd limit raised to the hard limit), runs the
 * client (pinned to core 1) for a bounded time, then stops the server.
 * Passes are interleaved (pass 1: every case on every server, then pass
 * 2 ...) and the anyws/native order flips every pass. The report gives the
 * median over the passes, each anyws figure as a ratio to the native peer of
 * the same runtime, and the CPU use of the client and of the server during
 * each measurement (a client near 100% of its core would be the
 * bottleneck). A server that does not start, crashes or refuses connections
 * gives an `error` entry, never a hang.
 *
 * Outputs: the table on stdout; `.bench/results.json` (scratch, always);
 * `results.json`, `results.md` and `chart.svg` in `docs/bench/` for a full
 * run, or in `.bench/` for a quick or partial one (`--out DIR` overrides).
 *
 * The parts: `options.ts` (the command line), `cases.ts` (the workloads),
 * `servers.ts` (anyws and the native peers), `sample.ts` (one measurement),
 * `processes.ts` and `load_client.ts` (the processes), `machine.ts`,
 * `rows.ts` (medians, ratios, targets), `report.ts` with `tables.ts`,
 * `chart.ts` and `format.ts` (the outputs).
 *
 * @module
 */

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { commandLine, dryRunLine, fail } from "./args.ts";
import { CASES } from "./cases.ts";
import { compileClient } from "./load_client.ts";
import { canPin, machine } from "./machine.ts";
import { BENCH_OPTIONS, parseSettings } from "./options.ts";
import { SCRATCH } from "./paths.ts";
import { type RunRecord, writeReport } from "./report.ts";
import { describeSample, measureSample, type Sample } from "./sample.ts";
import {
  type Impl,
  type Runtime,
  RUNTIME_DEFS,
  serverCommand,
  serverVersions,
} from "./servers.ts";

/** One server of a runtime: anyws, or one of its native peers. */
interface ServerChoice {
  impl: Impl;
  peer?: string;
}

function serversOf(runtime: Runtime): ServerChoice[] {
  return [
    { impl: "anyws" },
    ...RUNTIME_DEFS[runtime].peers.map((peer): ServerChoice => ({
      impl: "native",
      peer: peer.id,
    })),
  ];
}

async function main(): Promise<void> {
  const { args, fromNpm } = commandLine(
    process.env,
    process.argv.slice(2),
    BENCH_OPTIONS,
  );
  const settings = parseSettings(args);
  if (settings.dryRun) {
    const { dryRun: _dryRun, ...shown } = settings;
    console.log(dryRunLine(BENCH_OPTIONS, fromNpm, shown));
    return;
  }
  if (settings.from !== null) {
    // Re-render the report of an earlier run without measuring again.
    const record = JSON.parse(readFileSync(settings.from, "utf8")) as RunRecord;
    writeReport(record, settings.out, true);
    return;
  }
  const compileError = compileClient([fileURLToPath(import.meta.url)]);
  if (compileError !== null) fail(compileError);
  if (settings.pin && !canPin()) {
    console.error("bench: taskset or a second core is missing: not pinning");
    settings.pin = false;
  }
  const versions = serverVersions();
  const info = machine();
  const load = Number(info.loadAverageAtStart);
  const serverCount = settings.runtimes.reduce(
    (sum, runtime) => sum + serversOf(runtime).length,
    0,
  );
  console.error(
    `bench: ${settings.passes} pass(es) × ${settings.cases.length} case(s) × ${serverCount} servers; load average ${info.loadAverageAtStart}${
      load > 0.7 ? " (high: other work may distort the figures)" : ""
    }; pinning ${settings.pin ? "on" : "off"}`,
  );

  const samples: Sample[] = [];
  const started = performance.now();
  for (let pass = 1; pass <= settings.passes; pass++) {
    for (const caseId of settings.cases) {
      const caseDef = CASES[caseId];
      for (const runtime of settings.runtimes) {
        // anyws first on odd passes, last on even ones.
        const order = serversOf(runtime);
        if (pass % 2 === 0) order.reverse();
        for (const { impl, peer } of order) {
          const name = peer ?? "anyws";
          const progress =
            `[pass ${pass}/${settings.passes}] ${caseId} ${runtime} ${name}`;
          const how = serverCommand(
            runtime,
            impl,
            peer,
            caseDef.deflate?.anyws ?? null,
          );
          if ("unsupported" in how) {
            console.error(`${progress}: n/a (${how.unsupported})`);
            continue;
          }
          const sample = await measureSample(
            settings,
            pass,
            caseDef,
            runtime,
            impl,
            peer,
          );
          samples.push(sample);
          console.error(
            `${progress}: ${describeSample(sample)} (${
              (sample.wallMs / 1000).toFixed(1)
            } s)`,
          );
        }
      }
    }
  }
  const {
    out: _out,
    publish: _publish,
    from: _from,
    dryRun: _dryRun,
    ...kept
  } = settings;
  const record: RunRecord = {
    generated: new Date().toISOString(),
    elapsedSeconds: Math.round((performance.now() - started) / 1000),
    settings: kept,
    machine: info,
    versions,
    samples,
  };
  mkdirSync(SCRATCH, { recursive: true });
  writeFileSync(
    join(SCRATCH, "run.json"),
    JSON.stringify(record, null, 2) + "\n",
  );
  writeReport(record, settings.out, settings.publish);
}

await main();
