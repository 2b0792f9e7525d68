// Long file: a program of its own: the cluster benchmark's processes, cases, Socket.IO peer and report.
/**
 * `npm run bench:cluster`: anyws clustered on Redis against Socket.IO with
 * `@socket.io/redis-adapter`, on this machine, in the same run.
 *
 * For 1, 2 and 4 server processes (each on its own port, all on one
 * private redis-server started here):
 * - broadcast deliveries/s: `scripts/bench/cluster_load.ts` in
 *   `throughput` mode (one sender per process, a window of messages in
 *   flight until another process's probe saw them);
 * - cross-node latency p50/p99 at a fixed rate (`latency` mode).
 *
 * Then echo throughput of `anyws start --workers 1` and `--workers 2`
 * (one port, SO_REUSEPORT) with the C load client of `npm run bench`.
 *
 * Every process is started fresh and killed at the end; every run is
 * bounded in time. `--smoke` is a short version to check that everything
 * works (its figures are not a measurement). The report is Markdown
 * (`--out`, default `.bench/cluster.md`); the raw figures are printed as
 * JSON.
 *
 * ```sh
 * npm run bench:cluster                       # the full run (~5 min)
 * npm run bench:cluster -- --smoke            # ~2 min, a smoke test
 * npm run bench:cluster -- --out docs/bench/cluster.md --runtime bun
 * ```
 *
 * @module
 */

import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { RedisServer } from "../../tests/_redis.ts";
import type { LoadPlan, LoadReport } from "./cluster_load.ts";
import { compileClient, runClient } from "./load_client.ts";
import { machine, version } from "./machine.ts";
import { BIN, ROOT, SCRATCH } from "./paths.ts";
import {
  forgetGroup,
  freePort,
  killGroup,
  type RunningServer,
  startServer,
  stopServer,
  tail,
  trackGroup,
} from "./processes.ts";

type Kind = LoadPlan["kind"];
type Runtime = "node" | "deno" | "bun";

interface Options {
  smoke: boolean;
  processes: number[];
  receivers: number;
  warmupMs: number;
  durationMs: number;
  window: number;
  rate: number;
  runtime: Runtime;
  echo: boolean;
  echoConns: number;
  out: string;
}

const HELP = `Usage: node scripts/bench/cluster.ts [options]

  --smoke            short runs (0.5 s warm-up, 1.5 s each, 20 receivers per
                     process): checks that it works; not a measurement
  --processes LIST   server processes per case (default 1,2,4)
  --receivers N      receiving connections per process (default 100)
  --warmup S         warm-up per run, seconds (default 1)
  --duration S       measurement per run, seconds (default 5)
  --window N         broadcast messages in flight per sender (default 256;
                     --smoke: 64)
  --rate N           latency runs: messages/s per sender (default 200)
  --runtime R        runtime of the anyws servers: node, deno, bun (default node)
  --no-echo          skip the --workers echo runs
  --echo-conns N     echo connections (default 100)
  --out FILE         Markdown report (default .bench/cluster.md)`;

function parseOptions(args: string[]): Options {
  const env = process.env;
  const smoke = args.includes("--smoke") || env.npm_config_smoke === "true";
  const options: Options = {
    smoke,
    processes: [1, 2, 4],
    receivers: smoke ? 20 : 100,
    warmupMs: smoke ? 500 : 1000,
    durationMs: smoke ? 1500 : 5000,
    window: smoke ? 64 : 256,
    rate: 200,
    runtime: "node",
    echo: !args.includes("--no-echo"),
    echoConns: smoke ? 50 : 100,
    out: join(SCRATCH, "cluster.md"),
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    const value = () => inline ?? args[++i];
    switch (flag) {
      case "--smoke":
      case "--no-echo":
        break;
      case "--processes":
        options.processes = value().split(",").map(Number);
        break;
      case "--receivers":
        options.receivers = Number(value());
        break;
      case "--warmup":
        options.warmupMs = Number(value()) * 1000;
        break;
      case "--duration":
        options.durationMs = Number(value()) * 1000;
        break;
      case "--window":
        options.window = Number(value());
        break;
      case "--rate":
        options.rate = Number(value());
        break;
      case "--runtime":
        options.runtime = value() as Runtime;
        break;
      case "--echo-conns":
        options.echoConns = Number(value());
        break;
      case "--out":
        options.out = resolve(value());
        break;
      case "--help":
        console.log(HELP);
        process.exit(0);
        break;
      default:
        console.error(`Unknown option ${args[i]}\n\n${HELP}`);
        process.exit(2);
    }
  }
  const counts = [
    ...options.processes,
    options.receivers,
    options.window,
    options.rate,
    options.echoConns,
  ];
  if (
    !counts.every((n) => Number.isInteger(n) && n > 0) ||
    !(options.durationMs > 0 && options.warmupMs >= 0) ||
    !["node", "deno", "bun"].includes(options.runtime)
  ) {
    console.error(`Invalid options\n\n${HELP}`);
    process.exit(2);
  }
  return options;
}

function anywsCommand(runtime: Runtime, script: string): string[] {
  switch (runtime) {
    case "deno":
      return ["deno", "run", "-A", script];
    case "bun":
      return ["bun", script];
    case "node":
      return ["node", script];
  }
}

async function startCluster(
  kind: Kind,
  count: number,
  options: Options,
  redis: string,
): Promise<Array<{ server: RunningServer; port: number }>> {
  const command = kind === "anyws"
    ? anywsCommand(options.runtime, "examples/bench_server.ts")
    : ["node", "scripts/bench/peers/socketio_server.mjs"];
  const servers: Array<{ server: RunningServer; port: number }> = [];
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const server = await startServer(command, port, {
        pin: false,
        env: { REDIS_URL: redis },
      });
      if ("error" in server) throw new Error(server.error);
      servers.push({ server, port });
    }
  } catch (error) {
    await Promise.all(servers.map(({ server }) => stopServer(server)));
    throw error;
  }
  return servers;
}

/** Runs the load generator in a process of its own; bounded. */
function runGenerator(plan: LoadPlan): Promise<LoadReport> {
  const budget = plan.warmupMs + plan.durationMs + 60_000;
  const child = spawn(
    join(BIN, "node"),
    [join(ROOT, "scripts/bench/cluster_load.ts"), JSON.stringify(plan)],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const pid = child.pid ?? 0;
  trackGroup(pid);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (t: string) => stdout += t);
  child.stderr.setEncoding("utf8").on("data", (t: string) => stderr += t);
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(pid, "SIGKILL"), budget);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      forgetGroup(pid);
      try {
        resolve(JSON.parse(stdout.trim().split("\n").pop() ?? ""));
      } catch {
        resolve({
          deliveriesPerS: 0,
          sentPerS: 0,
          p50Ms: null,
          p99Ms: null,
          maxMs: null,
          samples: 0,
          crossNode: plan.ports.length > 1,
          generatorCpuPct: 0,
          serverCpuUsPerDelivery: null,
          redisCpuPct: null,
          error: `generator ${signal ?? `exit ${code}`}: ${
            tail(stderr || stdout)
          }`,
        });
      }
    });
  });
}

interface BroadcastRow {
  processes: number;
  kind: Kind;
  throughput: LoadReport;
  latency: LoadReport;
}

interface EchoRow {
  workers: number;
  msgsPerS: number | null;
  p99Ms: number | null;
  error: string | null;
}

async function broadcastRuns(
  options: Options,
  redis: string,
  redisPid: number | undefined,
): Promise<BroadcastRow[]> {
  const rows: BroadcastRow[] = [];
  for (const processes of options.processes) {
    for (const kind of ["anyws", "socketio"] as const) {
      const label = `${kind} × ${processes}`;
      console.error(`bench:cluster: ${label}: starting`);
      let servers: Array<{ server: RunningServer; port: number }> = [];
      try {
        servers = await startCluster(kind, processes, options, redis);
        const base = {
          kind,
          ports: servers.map(({ port }) => port),
          receivers: options.receivers,
          warmupMs: options.warmupMs,
          durationMs: options.durationMs,
          window: options.window,
          rate: options.rate,
          serverPids: servers.map(({ server }) => server.pid),
          redisPid,
        };
        const throughput = await runGenerator({ ...base, mode: "throughput" });
        const latency = await runGenerator({ ...base, mode: "latency" });
        rows.push({ processes, kind, throughput, latency });
        console.error(
          `bench:cluster: ${label}: ${throughput.deliveriesPerS} deliveries/s, p99 ${latency.p99Ms} ms${
            throughput.error ?? latency.error
              ? ` (${throughput.error ?? latency.error})`
              : ""
          }`,
        );
      } catch (error) {
        const failed = emptyReport(String(error));
        rows.push({ processes, kind, throughput: failed, latency: failed });
        console.error(`bench:cluster: ${label}: ${failed.error}`);
      } finally {
        await Promise.all(servers.map(({ server }) => stopServer(server)));
      }
    }
  }
  return rows;
}

function emptyReport(error: string): LoadReport {
  return {
    deliveriesPerS: 0,
    sentPerS: 0,
    p50Ms: null,
    p99Ms: null,
    maxMs: null,
    samples: 0,
    crossNode: false,
    generatorCpuPct: 0,
    serverCpuUsPerDelivery: null,
    redisCpuPct: null,
    error,
  };
}

async function echoRuns(options: Options, redis: string): Promise<EchoRow[]> {
  const compileError = compileClient();
  if (compileError !== null) {
    return [1, 2].map((workers) => ({
      workers,
      msgsPerS: null,
      p99Ms: null,
      error: compileError,
    }));
  }
  const rows: EchoRow[] = [];
  for (const workers of [1, 2]) {
    console.error(`bench:cluster: echo, --workers ${workers}: starting`);
    const command = [
      ...anywsCommand(options.runtime, "cli/main.ts"),
      "start",
      "--host",
      "127.0.0.1",
      "--quiet",
      "--handler",
      "scripts/bench/peers/echo_handler.ts",
      "--redis",
      redis,
      "--workers",
      String(workers),
      "--port",
    ];
    const port = await freePort();
    const started = await startServer(command, port, { pin: false });
    if ("error" in started) {
      rows.push({ workers, msgsPerS: null, p99Ms: null, error: started.error });
      continue;
    }
    try {
      // The supervisor says so once every worker listens.
      const deadline = Date.now() + 30_000;
      while (
        workers > 1 && !started.output().includes("workers listening on") &&
        Date.now() < deadline
      ) await new Promise((resolve) => setTimeout(resolve, 50));
      const run = await runClient(
        [
          "--mode",
          "echo",
          "--port",
          String(port),
          "--conns",
          String(options.echoConns),
          "--inflight",
          "4",
          "--size",
          "64",
          "--warmup",
          String(options.warmupMs),
          "--duration",
          String(options.durationMs),
        ],
        options.warmupMs + options.durationMs + 60_000,
        false,
      );
      const report = run.report ?? {};
      rows.push({
        workers,
        msgsPerS: typeof report.msgs_per_s === "number"
          ? Math.round(report.msgs_per_s)
          : null,
        p99Ms: typeof report.p99_us === "number"
          ? Math.round(report.p99_us / 10) / 100
          : null,
        error: run.error,
      });
      console.error(
        `bench:cluster: echo, --workers ${workers}: ${
          rows.at(-1)!.msgsPerS
        } msgs/s`,
      );
    } finally {
      await stopServer(started);
    }
  }
  return rows;
}

function fmt(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  return n >= 1000 ? Math.round(n).toLocaleString("en-US") : String(n);
}

function render(
  options: Options,
  rows: BroadcastRow[],
  echo: EchoRow[],
  started: Date,
): string {
  const info = machine();
  const row = (p: number, kind: Kind) =>
    rows.find((r) => r.processes === p && r.kind === kind);
  const lines: string[] = [];
  lines.push(
    "# Cluster benchmark: anyws on Redis vs Socket.IO + redis-adapter",
  );
  lines.push("");
  if (options.smoke) {
    lines.push(
      "> **Smoke run** (`--smoke`): short runs on a shared machine, to check that the benchmark works end to end. These figures are not a measurement; run `npm run bench:cluster` on a quiet machine for that.",
    );
    lines.push("");
  }
  lines.push(
    `Run ${started.toISOString()}; ${info.cores} cores (${info.cpu}), kernel ${info.kernel}, load average ${info.loadAverageAtStart} at start; anyws servers on ${options.runtime} (${
      version(join(BIN, options.runtime), ["--version"])
    }), Socket.IO on node; redis-server ${
      version("/usr/bin/redis-server", ["--version"]).split(" ")[2] ?? ""
    }.`,
  );
  lines.push("");
  lines.push(
    `Each case: P server processes on their own ports, one redis-server; ${options.receivers} receiving connections per process plus one sender per process, all from one load generator process (\`scripts/bench/cluster_load.ts\`, Node, raw WebSocket frames for both servers); ${
      options.warmupMs / 1000
    } s warm-up, ${options.durationMs / 1000} s measured.`,
  );
  lines.push("");
  lines.push("## Broadcast deliveries per second");
  lines.push("");
  lines.push(
    `Every sender keeps ${options.window} messages in flight until the probe on the next process received them (cross-node); a delivery is one message received by one connection. Server CPU per delivery is the CPU time of all server processes (read from /proc) over the deliveries counted meanwhile: on a shared machine it tells the servers' cost better than deliveries/s, which also depend on what else runs.`,
  );
  lines.push("");
  lines.push(
    "| processes | anyws | Socket.IO | anyws / Socket.IO | target | server CPU µs per delivery (anyws / Socket.IO) | generator CPU (anyws / Socket.IO) |",
  );
  lines.push("| ---: | ---: | ---: | ---: | --- | ---: | ---: |");
  for (const p of options.processes) {
    const a = row(p, "anyws")?.throughput;
    const s = row(p, "socketio")?.throughput;
    const ratio = a && s && s.deliveriesPerS > 0
      ? (a.deliveriesPerS / s.deliveriesPerS).toFixed(1) + "×"
      : "–";
    const target = p >= 2
      ? (a && s && a.deliveriesPerS >= 5 * s.deliveriesPerS
        ? "≥ 5×: met"
        : "≥ 5×: not met")
      : "";
    lines.push(
      `| ${p} | ${fmt(a?.deliveriesPerS)} | ${
        fmt(s?.deliveriesPerS)
      } | ${ratio} | ${target} | ${fmt(a?.serverCpuUsPerDelivery)} / ${
        fmt(s?.serverCpuUsPerDelivery)
      } | ${a?.generatorCpuPct ?? "–"}% / ${s?.generatorCpuPct ?? "–"}% |`,
    );
  }
  lines.push("");
  lines.push("## Cross-node latency");
  lines.push("");
  lines.push(
    `Each sender sends ${options.rate} messages/s; a probe per process records the delay of every message from another process's sender (with one process: its own, local).`,
  );
  lines.push("");
  lines.push(
    "| processes | anyws p50 | anyws p99 | Socket.IO p50 | Socket.IO p99 | target (p99 ≤ Socket.IO's) | samples (anyws / Socket.IO) |",
  );
  lines.push("| ---: | ---: | ---: | ---: | ---: | --- | ---: |");
  for (const p of options.processes) {
    const a = row(p, "anyws")?.latency;
    const s = row(p, "socketio")?.latency;
    const met = a?.p99Ms != null && s?.p99Ms != null
      ? (a.p99Ms <= s.p99Ms ? "met" : "not met")
      : "–";
    lines.push(
      `| ${p} | ${fmt(a?.p50Ms)} ms | ${fmt(a?.p99Ms)} ms | ${
        fmt(s?.p50Ms)
      } ms | ${fmt(s?.p99Ms)} ms | ${p > 1 ? met : "(local)"} | ${
        a?.samples ?? 0
      } / ${s?.samples ?? 0} |`,
    );
  }
  const errors = rows.flatMap((r) =>
    [r.throughput.error, r.latency.error].filter((e) => e !== null).map((e) =>
      `- ${r.kind} × ${r.processes}: ${e}`
    )
  );
  if (echo.length > 0) {
    lines.push("");
    lines.push("## Echo with `--workers`");
    lines.push("");
    lines.push(
      `\`anyws start --workers N --redis … --handler scripts/bench/peers/echo_handler.ts\` on one port (SO_REUSEPORT), the C load client (\`scripts/bench/bench_client.c\`, echo mode): ${options.echoConns} connections, 4 messages of 64 bytes in flight each.`,
    );
    lines.push("");
    lines.push("| workers | echoes/s | p99 |");
    lines.push("| ---: | ---: | ---: |");
    for (const e of echo) {
      lines.push(
        `| ${e.workers} | ${fmt(e.msgsPerS)} | ${fmt(e.p99Ms)} ms |`,
      );
      if (e.error !== null) {
        errors.push(`- echo, ${e.workers} workers: ${e.error}`);
      }
    }
    lines.push("");
    lines.push(
      `With ${info.cores} cores shared by the workers, Redis and the load client, a second worker can only show that the port is shared and both workers serve: the load client and the workers compete for the same cores, so echo throughput cannot double here. On a machine with a core per worker plus cores for the load, throughput should grow with the workers until the network or the load client saturates (each connection stays on one worker; the kernel spreads connections, not messages).`,
    );
  }
  if (errors.length > 0) {
    lines.push("");
    lines.push("## Errors");
    lines.push("");
    lines.push(...errors);
  }
  lines.push("");
  return lines.join("\n");
}

const options = parseOptions(process.argv.slice(2));
const started = new Date();
const redis = await RedisServer.start();
let markdown = "";
try {
  const rows = await broadcastRuns(options, redis.url, redis.pid);
  const echo = options.echo ? await echoRuns(options, redis.url) : [];
  markdown = render(options, rows, echo, started);
  console.log(JSON.stringify({ options, broadcast: rows, echo }));
} finally {
  await redis.stop();
}
mkdirSync(dirname(options.out), { recursive: true });
writeFileSync(options.out, markdown);
console.error(`bench:cluster: report written to ${options.out}`);
