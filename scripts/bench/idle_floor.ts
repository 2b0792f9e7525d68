/**
 * The idle-memory floor of each runtime (evidence for issue 4): server RSS
 * per idle WebSocket connection for the least server each runtime's native
 * listen API allows (`scripts/bench/peers/floor_server.ts`) next to anyws
 * (`examples/bench_server.ts`), measured exactly like the `idle` case of
 * `npm run bench`: the same load client (`scripts/bench/bench_client.c`, compiled
 * into `.bench/` when missing), the same arguments, a freshly started server
 * pinned to core 0 with its fd limit raised to the hard limit, the client
 * pinned to core 1.
 *
 * ```sh
 * node scripts/bench/idle_floor.ts                    # 10,000 conns, 3 passes: writes docs/bench/floor.{md,json}
 * node scripts/bench/idle_floor.ts --conns 2000 --passes 1 --out .bench
 * ```
 *
 * RSS per connection = (server VmRSS 1 s after the last handshake − VmRSS
 * before the first) / connections opened; "after ping" takes the second
 * figure once every connection has answered one ping. Median over the
 * passes, which are interleaved (pass 1: every row, then pass 2 ...).
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import { type ClientReport, compileClient, runClient } from "./load_client.ts";
import { canPin, machine as describeMachine, version } from "./machine.ts";
import { median } from "./median.ts";
import { ROOT, tool } from "./paths.ts";
import { freePort, startServer, stopServer } from "./processes.ts";

const FLOOR = "scripts/bench/peers/floor_server.ts";
const ANYWS = "examples/bench_server.ts";
const TARGET_KIB = 3;

const NODE = tool("node");
const DENO = tool("deno");
const BUN = tool("bun");

/** One server to measure (the port is appended to `command`). */
interface Row {
  id: string;
  runtime: "node" | "deno" | "bun";
  server: string;
  command: string[];
  env?: Record<string, string>;
}

const ROWS: Row[] = [
  {
    id: "node-floor",
    runtime: "node",
    server: "floor (`node:net`)",
    command: [NODE, FLOOR],
  },
  {
    id: "node-anyws",
    runtime: "node",
    server: "anyws",
    command: [NODE, ANYWS],
  },
  {
    id: "deno-floor",
    runtime: "deno",
    server: "floor (`Deno.listen`, 1 KiB read buffer)",
    command: [DENO, "run", "-A", FLOOR],
    env: { FLOOR_READ_BUFFER: "1024" },
  },
  {
    id: "deno-floor16",
    runtime: "deno",
    server: "floor (`Deno.listen`, 16 B read buffer)",
    command: [DENO, "run", "-A", FLOOR],
    env: { FLOOR_READ_BUFFER: "16" },
  },
  {
    id: "deno-anyws",
    runtime: "deno",
    server: "anyws",
    command: [DENO, "run", "-A", ANYWS],
  },
  {
    id: "bun-floor",
    runtime: "bun",
    server: "floor (`Bun.listen`)",
    command: [BUN, FLOOR],
  },
  { id: "bun-anyws", runtime: "bun", server: "anyws", command: [BUN, ANYWS] },
];

const METRICS = [
  "rss_per_conn_kib",
  "rss_pinged_per_conn_kib",
  "handshakes_per_s",
  "rss_before_mib",
  "alive",
] as const;
type Metric = typeof METRICS[number];

/** One pass of one row. */
interface Sample {
  pass: number;
  metrics: Partial<Record<Metric, number>>;
  error: string | null;
}

// ---------------------------------------------------------------- settings

function usage(): never {
  console.error(
    "usage: node scripts/bench/idle_floor.ts [--conns N] [--passes P] [--handshakes H] [--out DIR] [--no-pin]",
  );
  process.exit(2);
}

const settings = {
  conns: 10_000,
  passes: 3,
  handshakes: 64,
  out: "",
  pin: true,
};
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--no-pin") {
      settings.pin = false;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) usage();
    if (flag === "--out") {
      settings.out = value;
      continue;
    }
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) usage();
    if (flag === "--conns") settings.conns = n;
    else if (flag === "--passes") settings.passes = n;
    else if (flag === "--handshakes") settings.handshakes = n;
    else usage();
  }
}
const OUT = settings.out === "" ? join(ROOT, "docs", "bench") : settings.out;

// ------------------------------------------------------------- one sample

const num = (report: ClientReport, key: string): number | null =>
  typeof report[key] === "number" ? report[key] as number : null;

async function measure(row: Row, pass: number): Promise<Sample> {
  const sample: Sample = { pass, metrics: {}, error: null };
  const port = await freePort();
  const server = await startServer(row.command, port, {
    pin: settings.pin,
    env: row.env,
  });
  if ("error" in server) {
    sample.error = server.error;
    return sample;
  }
  try {
    // The bench's idle case: same arguments, same time budget.
    const budget = 30_000 + Math.ceil(settings.conns / 200);
    const run = await runClient(
      [
        "--port",
        String(port),
        "--server-pid",
        String(server.pid),
        "--timeout",
        String(budget),
        "--mode",
        "idle",
        "--path",
        "/echo",
        "--conns",
        String(settings.conns),
        "--handshakes",
        String(settings.handshakes),
        "--settle",
        "1000",
      ],
      budget + 10_000,
      settings.pin,
    );
    if (run.report === null || run.error !== null) {
      sample.error = run.error;
      return sample;
    }
    const report = run.report;
    const opened = num(report, "opened") ?? 0;
    const before = num(report, "rss_before_kib");
    const after = num(report, "rss_after_kib");
    const checked = num(report, "rss_checked_kib");
    const handshakes = num(report, "handshakes_per_s");
    const alive = num(report, "alive") ?? 0;
    const m = sample.metrics;
    if (opened > 0 && before !== null && after !== null && before >= 0) {
      m.rss_per_conn_kib = (after - before) / opened;
      m.rss_before_mib = before / 1024;
      if (checked !== null && checked >= 0) {
        m.rss_pinged_per_conn_kib = (checked - before) / opened;
      }
    }
    if (handshakes !== null) m.handshakes_per_s = handshakes;
    m.alive = alive;
    sample.error = typeof report.error === "string" ? report.error : null;
    if (sample.error === null && alive < settings.conns) {
      sample.error =
        `Only ${alive} of ${settings.conns} connections answered a ping`;
    }
    if (sample.error === null && server.exited() !== null) {
      sample.error = "Server exited during the run";
    }
  } finally {
    await stopServer(server);
  }
  return sample;
}

// ------------------------------------------------------------------ report

function medians(samples: Sample[]): Partial<Record<Metric, number>> {
  const out: Partial<Record<Metric, number>> = {};
  for (const key of METRICS) {
    const value = median(
      samples.filter((s) => s.error === null && s.metrics[key] !== undefined)
        .map((s) => s.metrics[key]!),
    );
    if (value !== null) out[key] = value;
  }
  return out;
}

const RUNTIME_LABEL = { node: "Node", deno: "Deno", bun: "Bun" } as const;

function table(results: { row: Row; samples: Sample[] }[]): string {
  const fixed = (value: number | undefined, digits: number): string =>
    value === undefined ? "—" : value.toFixed(digits);
  const lines = [
    "| Runtime | Server | RSS / conn (KiB) | after one ping (KiB) | ≤ 3 KiB | spread (KiB) | handshakes/s | RSS before (MiB) | ok passes |",
    "| --- | --- | ---: | ---: | :---: | ---: | ---: | ---: | ---: |",
  ];
  for (const { row, samples } of results) {
    const m = medians(samples);
    const good = samples.filter((s) => s.error === null);
    const per = good.map((s) => s.metrics.rss_per_conn_kib!).filter((v) =>
      v !== undefined
    );
    const spread = per.length > 1
      ? `${Math.min(...per).toFixed(2)}–${Math.max(...per).toFixed(2)}`
      : "—";
    const meets = m.rss_per_conn_kib === undefined
      ? "—"
      : m.rss_per_conn_kib <= TARGET_KIB
      ? "yes"
      : "no";
    lines.push(
      `| ${RUNTIME_LABEL[row.runtime]} | ${row.server} | ${
        fixed(m.rss_per_conn_kib, 2)
      } | ${fixed(m.rss_pinged_per_conn_kib, 2)} | ${meets} | ${spread} | ${
        fixed(m.handshakes_per_s, 0)
      } | ${fixed(m.rss_before_mib, 1)} | ${good.length}/${samples.length} |`,
    );
  }
  return lines.join("\n");
}

// -------------------------------------------------------------------- main

const compileError = compileClient();
if (compileError !== null) {
  console.error(`idle_floor: ${compileError}`);
  process.exit(1);
}
if (settings.pin && !canPin()) {
  console.error("idle_floor: taskset or a second core is missing: not pinning");
  settings.pin = false;
}
const machine = describeMachine();
const versions = {
  node: version(NODE, ["--version"]),
  deno: version(DENO, ["--version"]),
  bun: version(BUN, ["--version"]),
};
const started = new Date();
const results = ROWS.map((row) => ({ row, samples: [] as Sample[] }));
for (let pass = 1; pass <= settings.passes; pass++) {
  for (const result of results) {
    const sample = await measure(result.row, pass);
    result.samples.push(sample);
    const kib = sample.metrics.rss_per_conn_kib;
    console.error(
      `pass ${pass}/${settings.passes} ${result.row.id}: ${
        kib === undefined ? "—" : `${kib.toFixed(2)} KiB/conn`
      }${sample.error === null ? "" : ` (error: ${sample.error})`}`,
    );
  }
}

const command = `node scripts/bench/idle_floor.ts${
  process.argv.slice(2).map((a) => ` ${a}`).join("")
}`;
const tableText = table(results);
const errors = results.flatMap(({ row, samples }) =>
  samples.filter((s) => s.error !== null).map((s) =>
    `- ${row.id}, pass ${s.pass}: ${s.error}`
  )
);
const markdown = `# The idle-memory floor of each runtime

Server RSS per idle WebSocket connection (issue 4 target: ≤ ${TARGET_KIB} KiB with
${settings.conns.toLocaleString("en")} idle connections on a freshly started
server) for the least server each runtime's native listen API allows
(\`${FLOOR}\`: no per-connection state of its own) and for anyws
(\`${ANYWS}\`). Median of ${settings.passes} pass(es).

${tableText}

## Method

- Client: \`scripts/bench/bench_client.c\` (the \`npm run bench\` load client):
  \`bench_client --mode idle --path /echo --conns ${settings.conns} --handshakes ${settings.handshakes} --settle 1000 --server-pid PID\`,
  the arguments of the bench's \`idle\` case.
- Each measurement starts the server fresh on 127.0.0.1 with its fd limit
  raised to the hard limit (${machine.fdHardLimit}). ${
  settings.pin
    ? "Server pinned to core 0 and client to core 1 (`taskset`)."
    : "Not pinned."
} Passes are interleaved (pass 1: every row, then pass 2 ...).
- RSS / conn = (server VmRSS 1 s after the last handshake − VmRSS before the
  first) / connections opened; "after one ping" is the same figure once every
  connection has answered one ping (4-byte payload). Spread: lowest–highest
  RSS / conn over the passes. "RSS before" is the server's VmRSS at start.
- Floor servers: Node \`node:net\` \`createServer({ allowHalfOpen: true })\`;
  Deno \`Deno.listen\` with one pending \`conn.read\` per connection into a
  buffer of \`FLOOR_READ_BUFFER\` bytes (1024, the anyws Deno engine's idle
  read buffer, and 16; the upgrade request itself is read into 1 KiB, as
  the engine does); Bun \`Bun.listen\`. Each answers the upgrade with
  \`101\`, pings with pongs and closes with closes, and keeps nothing per
  connection but what the runtime's API needs.

## Run

- Command: \`${command}\`
- Date: ${started.toISOString()} (took ${
  Math.round((Date.now() - started.getTime()) / 1000)
} s)
- Machine: ${machine.cpu}, ${machine.cores} cores (shared with other work; load average ${machine.loadAverageAtStart} at start), Linux ${machine.kernel}
- Runtimes: Node ${versions.node}, ${versions.deno}, ${
  versions.bun.startsWith("1") ? `Bun ${versions.bun}` : versions.bun
}
${errors.length > 0 ? `\n## Errors\n\n${errors.join("\n")}\n` : ""}`;

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, "floor.md"), markdown);
writeFileSync(
  join(OUT, "floor.json"),
  JSON.stringify(
    {
      date: started.toISOString(),
      command,
      settings,
      targetKib: TARGET_KIB,
      machine,
      versions,
      rows: results.map(({ row, samples }) => ({
        id: row.id,
        runtime: row.runtime,
        server: row.server,
        command: row.command.map((part) =>
          part.startsWith(ROOT) ? relative(ROOT, part) : part
        ),
        env: row.env ?? {},
        median: medians(samples),
        samples,
      })),
    },
    null,
    2,
  ) + "\n",
);
console.log(tableText);
console.error(
  `idle_floor: wrote floor.md and floor.json in ${OUT}`,
);
