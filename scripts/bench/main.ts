/**
 * The side-by-side benchmark (`npm run bench`): anyws
 * (`examples/bench_server.ts`) on Node 24, Deno and Bun against the native
 * peer of each runtime (`ws` on Node, `Deno.serve` + `Deno.upgradeWebSocket`,
 * `Bun.serve`), all obeying the same contract (`/echo`, `/bcast`), all
 * driven by the same load client (`scripts/bench/bench_client.c`, compiled here
 * with `cc -O2` into `.bench/`) in its own process.
 *
 * ```sh
 * node scripts/bench/main.ts                      # full run (~12 min), writes docs/bench/
 * node scripts/bench/main.ts --quick              # ~2 min, 1 pass, writes .bench/
 * node scripts/bench/main.ts --passes 5 --cases echo16,bcast --runtimes node,bun
 * node scripts/bench/main.ts --quick --dry-run    # print the settings, measure nothing
 * npm run bench -- --quick                   # the same as --quick
 * npm run bench --quick                      # also: npm keeps the flag, see below
 * ```
 *
 * `npm run bench --quick` does not pass `--quick` on: npm takes it as its
 * own configuration and hands it over as `npm_config_quick=true`. The
 * benchmark reads its options back from those `npm_config_*` variables
 * (`--no-pin` arrives as `npm_config_pin=`), so both spellings work; an
 * option with a value must be written `--passes=5` there, or after `--`.
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
 * @module
 */

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve as resolvePath } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  canPin,
  type ClientReport,
  compileClient,
  freePort,
  machine,
  median,
  ROOT,
  runClient,
  SCRATCH,
  startServer,
  stopServer,
  tail,
  tool,
  version,
} from "./processes.ts";

const DOCS = join(ROOT, "docs", "bench");

// ------------------------------------------------------------------ model

const RUNTIMES = ["node", "deno", "bun"] as const;
type Runtime = typeof RUNTIMES[number];
const IMPLS = ["anyws", "native"] as const;
type Impl = typeof IMPLS[number];
const CASE_IDS = [
  "echo1",
  "echo16",
  "echo16k",
  "bcast",
  "idle",
  "maxconn",
] as const;
type CaseId = typeof CASE_IDS[number];

/** How a runtime's two servers are started (the port is appended). */
interface RuntimeDef {
  label: string;
  nativeLabel: string;
  anyws: string[];
  native: string[];
}

const NODE = tool("node");
const DENO = tool("deno");
const BUN = tool("bun");

const RUNTIME_DEFS: Record<Runtime, RuntimeDef> = {
  node: {
    label: "Node",
    nativeLabel: "ws",
    anyws: [NODE, "examples/bench_server.ts"],
    native: [NODE, "scripts/bench/peers/ws_server.mjs"],
  },
  deno: {
    label: "Deno",
    nativeLabel: "Deno.serve",
    anyws: [DENO, "run", "-A", "examples/bench_server.ts"],
    native: [DENO, "run", "-A", "scripts/bench/peers/deno_server.ts"],
  },
  bun: {
    label: "Bun",
    nativeLabel: "Bun.serve",
    anyws: [BUN, "examples/bench_server.ts"],
    native: [BUN, "scripts/bench/peers/bun_server.ts"],
  },
};

/** The run's knobs, from the command line. */
interface Settings {
  quick: boolean;
  passes: number;
  warmupMs: number;
  durationMs: number;
  idleConns: number;
  maxConns: number;
  handshakes: number;
  cases: CaseId[];
  runtimes: Runtime[];
  pin: boolean;
  out: string;
  publish: boolean;
  /** Re-render the report of this results file instead of measuring. */
  from: string | null;
  /** Print the settings and stop (`--dry-run`). */
  dryRun: boolean;
}

/** One figure of a case: a key of {@link Sample.metrics}. */
interface MetricDef {
  key: string;
  label: string;
  unit: string;
  better: "higher" | "lower";
}

/** A target from the issue: a ratio to the native peer, or an absolute. */
interface Target {
  metric: string;
  kind: "ratio" | "absolute";
  op: ">=" | "<=";
  values: Record<Runtime, number>;
  /** Absolute targets: another metric that must be 0 (errors). */
  zero?: string;
}

/** Client output: one JSON object. */
/** What a case makes of one client report. */
interface Extracted {
  metrics: Record<string, number>;
  error: string | null;
}

interface CaseDef {
  id: CaseId;
  title: string;
  /** The metric in the headline table (the one with the target). */
  headline: string;
  metrics: MetricDef[];
  target: Target;
  clientArgs(settings: Settings): string[];
  /** Bound on the client's run, in ms. */
  budgetMs(settings: Settings): number;
  extract(report: ClientReport, settings: Settings): Extracted;
}

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

const CASES: Record<CaseId, CaseDef> = {
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

/** One measurement: one case on one server in one pass. */
interface Sample {
  pass: number;
  case: CaseId;
  runtime: Runtime;
  impl: Impl;
  metrics: Record<string, number>;
  error: string | null;
  /** The client's JSON line, as reported. */
  client: ClientReport | null;
  wallMs: number;
}

// ------------------------------------------------------------- arguments

const HELP = `Usage: node scripts/bench/main.ts [options]

  --quick              1 pass, 0.5 s warm-up, 1.5 s measurement (~2 min)
  --passes N           interleaved passes (default 3; --quick: 1)
  --cases LIST         ${CASE_IDS.join(",")}
  --runtimes LIST      ${RUNTIMES.join(",")}
  --warmup SECONDS     warm-up of throughput cases (default 1)
  --duration SECONDS   measurement of throughput cases (default 5)
  --idle-conns N       connections of the idle case (default 10000)
  --max-conns N        connections tried by maxconn (default 19900)
  --handshakes N       handshakes in flight while connecting (default 128)
  --no-pin             do not pin server and client with taskset
  --out DIR            where results.{json,md} and chart.svg go (default
                       docs/bench for a full run, .bench otherwise)
  --from FILE          re-render results.md and chart.svg from a results.json
                       (or .bench/run.json) without measuring
  --dry-run            print the settings these options give, measure nothing

Through npm: npm run bench -- --quick (or npm run bench --quick).
`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function parseList<T extends string>(
  text: string,
  allowed: readonly T[],
  what: string,
): T[] {
  const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      fail(`Unknown ${what}: ${item} (expected one of ${allowed.join(", ")})`);
    }
  }
  if (items.length === 0) fail(`Empty list of ${what}s`);
  return allowed.filter((a) => items.includes(a));
}

/** Options followed by a value. */
const VALUE_OPTIONS = [
  "passes",
  "cases",
  "runtimes",
  "warmup",
  "duration",
  "idle-conns",
  "max-conns",
  "handshakes",
  "out",
  "from",
] as const;
/** Options without a value. */
const FLAG_OPTIONS = ["quick", "no-pin", "dry-run"] as const;

/**
 * The benchmark options that `npm run bench --option` handed to npm instead
 * of to the benchmark, read back from npm's `npm_config_*` variables as
 * arguments (`npm_config_quick=true` gives `--quick`, `npm_config_pin=`
 * gives `--no-pin`, `npm_config_passes=5` gives `--passes=5`). Options
 * already in `argv` are left out. Throws when npm kept the option but lost
 * its value (`npm run bench --passes 5` gives `npm_config_passes=true`).
 *
 * @example
 * ```ts
 * import { npmConfigArgs } from "./main.ts";
 * npmConfigArgs({ npm_config_quick: "true" }, []); // ["--quick"]
 * ```
 */
export function npmConfigArgs(
  env: Record<string, string | undefined>,
  argv: readonly string[],
): string[] {
  const given = new Set(argv.map((arg) => arg.replace(/=.*$/, "")));
  const config = (name: string): string | undefined =>
    env[`npm_config_${name.replaceAll("-", "_")}`];
  const args: string[] = [];
  for (const flag of FLAG_OPTIONS) {
    if (given.has(`--${flag}`)) continue;
    const value = flag === "no-pin" ? config("pin") : config(flag);
    if (flag === "no-pin" ? value === "" : value === "true") {
      args.push(`--${flag}`);
    }
  }
  for (const name of VALUE_OPTIONS) {
    const value = config(name);
    if (given.has(`--${name}`) || value === undefined || value === "") {
      continue;
    }
    if (value === "true") {
      throw new Error(
        `npm kept the value of --${name}: write npm run bench -- --${name} VALUE (or --${name}=VALUE)`,
      );
    }
    args.push(`--${name}=${value}`);
  }
  return args;
}

function parseArgs(argv: string[]): Settings {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const takesValue: ReadonlySet<string> = new Set(VALUE_OPTIONS);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      console.log(HELP);
      process.exit(0);
    }
    if (!arg.startsWith("--")) fail(`Unexpected argument: ${arg}\n${HELP}`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (takesValue.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) fail(`Missing value: --${name}`);
      values.set(name, value);
    } else if ((FLAG_OPTIONS as readonly string[]).includes(name)) {
      flags.add(name);
    } else {
      fail(`Unknown option: ${arg}\n${HELP}`);
    }
  }
  const number = (name: string, fallback: number, min: number): number => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) {
      fail(`Invalid value for --${name}: ${text}`);
    }
    return value;
  };
  const quick = flags.has("quick");
  const cases = values.has("cases")
    ? parseList(values.get("cases") ?? "", CASE_IDS, "case")
    : [...CASE_IDS];
  const runtimes = values.has("runtimes")
    ? parseList(values.get("runtimes") ?? "", RUNTIMES, "runtime")
    : [...RUNTIMES];
  const full = !quick && !values.has("from") &&
    cases.length === CASE_IDS.length &&
    runtimes.length === RUNTIMES.length;
  const outArg = values.get("out");
  return {
    quick,
    passes: Math.floor(number("passes", quick ? 1 : 3, 1)),
    warmupMs: Math.round(number("warmup", quick ? 0.5 : 1, 0) * 1000),
    durationMs: Math.round(number("duration", quick ? 1.5 : 5, 0.2) * 1000),
    idleConns: Math.floor(number("idle-conns", 10_000, 1)),
    maxConns: Math.floor(number("max-conns", 19_900, 1)),
    handshakes: Math.floor(number("handshakes", 128, 1)),
    cases,
    runtimes,
    pin: !flags.has("no-pin"),
    out: outArg !== undefined ? resolvePath(outArg) : full ? DOCS : SCRATCH,
    publish: full || outArg !== undefined,
    from: values.has("from") ? resolvePath(values.get("from") ?? "") : null,
    dryRun: flags.has("dry-run"),
  };
}

// ------------------------------------------------------------- processes

// ------------------------------------------------------------ one sample

async function measure(
  settings: Settings,
  pass: number,
  caseDef: CaseDef,
  runtime: Runtime,
  impl: Impl,
): Promise<Sample> {
  const started = performance.now();
  const sample: Sample = {
    pass,
    case: caseDef.id,
    runtime,
    impl,
    metrics: {},
    error: null,
    client: null,
    wallMs: 0,
  };
  const port = await freePort();
  const server = await startServer(RUNTIME_DEFS[runtime][impl], port, {
    pin: settings.pin,
  });
  if ("error" in server) {
    sample.error = server.error;
    sample.wallMs = performance.now() - started;
    return sample;
  }
  try {
    const budget = caseDef.budgetMs(settings);
    const args = [
      "--port",
      String(port),
      "--server-pid",
      String(server.pid),
      "--timeout",
      String(budget),
      ...caseDef.clientArgs(settings),
    ];
    const run = await runClient(args, budget + 10_000, settings.pin);
    sample.client = run.report;
    if (run.report) {
      const extracted = caseDef.extract(run.report, settings);
      sample.metrics = extracted.metrics;
      sample.error = extracted.error;
    }
    if (run.error !== null) sample.error = run.error;
    const died = server.exited();
    if (died !== null) {
      sample.error = `Server exited during the case (${died}): ${
        tail(server.output())
      }`;
    }
  } finally {
    await stopServer(server);
  }
  sample.wallMs = performance.now() - started;
  return sample;
}

// ------------------------------------------------------------ statistics

/** The medians of one server on one case. */
interface Summary {
  metrics: Record<string, number>;
  ok: number;
  errors: string[];
}

function summarise(samples: Sample[]): Summary {
  const good = samples.filter((s) => s.error === null);
  const keys = new Set(good.flatMap((s) => Object.keys(s.metrics)));
  const metrics: Record<string, number> = {};
  for (const key of keys) {
    const value = median(
      good.map((s) => s.metrics[key]).filter((v) => v !== undefined),
    );
    if (value !== null) metrics[key] = value;
  }
  return {
    metrics,
    ok: good.length,
    errors: samples.flatMap((s) => s.error === null ? [] : [s.error]),
  };
}

/** One row of the results: one case on one runtime. */
interface Row {
  case: CaseId;
  runtime: Runtime;
  anyws: Summary;
  native: Summary;
  /** anyws/native for every metric both have. */
  ratios: Record<string, number>;
  target: {
    metric: string;
    kind: "ratio" | "absolute";
    op: ">=" | "<=";
    value: number;
    /** A metric of anyws that must also be 0 (absolute targets). */
    zero?: string;
    /** The figure compared with the target (ratio or anyws value). */
    actual: number | null;
    met: boolean | null;
  };
}

function buildRow(caseDef: CaseDef, runtime: Runtime, samples: Sample[]): Row {
  const of = (impl: Impl): Sample[] =>
    samples.filter((s) =>
      s.case === caseDef.id && s.runtime === runtime && s.impl === impl
    );
  const anyws = summarise(of("anyws"));
  const native = summarise(of("native"));
  const ratios: Record<string, number> = {};
  for (const [key, value] of Object.entries(anyws.metrics)) {
    const base = native.metrics[key];
    if (base !== undefined && base > 0) ratios[key] = value / base;
  }
  const t = caseDef.target;
  const actual = t.kind === "ratio"
    ? ratios[t.metric] ?? null
    : anyws.metrics[t.metric] ?? null;
  let met: boolean | null = null;
  if (actual !== null) {
    met = t.op === ">="
      ? actual >= t.values[runtime]
      : actual <= t.values[runtime];
    if (t.zero !== undefined && (anyws.metrics[t.zero] ?? 1) !== 0) {
      met = false;
    }
  }
  return {
    case: caseDef.id,
    runtime,
    anyws,
    native,
    ratios,
    target: {
      metric: t.metric,
      kind: t.kind,
      op: t.op,
      value: t.values[runtime],
      zero: t.zero,
      actual,
      met,
    },
  };
}

// ------------------------------------------------------------ formatting

function fmtNumber(value: number | undefined, unit = ""): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  let text: string;
  const abs = Math.abs(value);
  if (unit === "µs" && abs >= 10_000) {
    text = `${(value / 1000).toFixed(abs >= 100_000 ? 0 : 1)} ms`;
    return text;
  }
  if (abs >= 1e6) text = `${(value / 1e6).toFixed(2)} M`;
  else if (abs >= 10_000) text = `${(value / 1e3).toFixed(1)} k`;
  else if (abs >= 100) text = value.toFixed(0);
  else if (Number.isInteger(value)) text = value.toFixed(0);
  else if (abs >= 10) text = value.toFixed(1);
  else text = value.toFixed(2);
  if (unit === "µs") return `${text} µs`;
  if (unit === "KiB") return `${text} KiB`;
  if (unit === "MB/s") return `${text} MB/s`;
  if (unit === "%") return `${text}%`;
  return text;
}

function fmtRatio(value: number | undefined): string {
  if (value === undefined) return "–";
  // Three digits below 10, so 0.598× is not shown as a target-meeting 0.60×.
  return `${value >= 10 ? value.toFixed(1) : value.toPrecision(3)}×`;
}

function cell(summary: Summary, metric: MetricDef): string {
  const value = summary.metrics[metric.key];
  if (value === undefined) {
    return summary.errors.length > 0 ? "error" : "–";
  }
  return fmtNumber(value, metric.unit);
}

function cpuPair(row: Row, key: string): string {
  const a = row.anyws.metrics[key];
  const n = row.native.metrics[key];
  if (a === undefined && n === undefined) return "–";
  const f = (v: number | undefined): string =>
    v === undefined ? "–" : v.toFixed(0);
  return `${f(a)} / ${f(n)}`;
}

function headlineTable(rows: Row[]): string {
  const lines = [
    "| case | runtime | figure | anyws | native peer | anyws / native | target | met | client CPU % (anyws / native) | server CPU % (anyws / native) | other CPU % (anyws / native) |",
    "|---|---|---|---:|---:|---:|---:|:-:|---:|---:|---:|",
  ];
  for (const row of rows) {
    const def = CASES[row.case];
    const metric = def.metrics.find((m) => m.key === def.headline) ??
      def.metrics[0];
    const t = row.target;
    const rd = RUNTIME_DEFS[row.runtime];
    const targetText = t.kind === "ratio"
      ? `${t.op === ">=" ? "≥" : "≤"} ${t.value}×`
      : `${t.op === ">=" ? "≥" : "≤"} ${fmtNumber(t.value, metric.unit)}${
        t.zero ? `, 0 ${t.zero}` : ""
      }`;
    const met = t.met === null ? "?" : t.met ? "yes" : "**no**";
    lines.push(
      `| ${def.title} | ${rd.label} | ${metric.label} | ${
        cell(row.anyws, metric)
      } | ${cell(row.native, metric)} (${rd.nativeLabel}) | ${
        fmtRatio(row.ratios[metric.key])
      } | ${targetText} | ${met} | ${cpuPair(row, "client_cpu_pct")} | ${
        cpuPair(row, "server_cpu_pct")
      } | ${cpuPair(row, "other_cpu_pct")} |`,
    );
  }
  return lines.join("\n");
}

function detailTable(rows: Row[]): string {
  const lines = [
    "| case | runtime | figure | anyws | native peer | anyws / native |",
    "|---|---|---|---:|---:|---:|",
  ];
  for (const row of rows) {
    const def = CASES[row.case];
    for (const metric of def.metrics) {
      if (metric.unit === "%") continue;
      lines.push(
        `| ${def.title} | ${
          RUNTIME_DEFS[row.runtime].label
        } | ${metric.label} | ${cell(row.anyws, metric)} | ${
          cell(row.native, metric)
        } | ${fmtRatio(row.ratios[metric.key])} |`,
      );
    }
  }
  return lines.join("\n");
}

function errorList(rows: Row[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    for (const impl of IMPLS) {
      const errors = row[impl].errors;
      if (errors.length === 0) continue;
      const name = impl === "anyws"
        ? "anyws"
        : RUNTIME_DEFS[row.runtime].nativeLabel;
      lines.push(
        `- ${CASES[row.case].title}, ${
          RUNTIME_DEFS[row.runtime].label
        }, ${name}: ${errors.length} failed pass(es): ${
          [...new Set(errors)].join("; ").replace(/\|/g, "/")
        }`,
      );
    }
  }
  return lines.join("\n");
}

// ------------------------------------------------------------------ chart

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
 */
function renderChart(rows: Row[], meta: { title: string }): string {
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
                fmtRatio(actual)
              } (target ${row.target.op} ${row.target.value}×)`,
            )
          }</title></rect>`,
          `<text x="${
            bx + bw / 2
          }" y="${labelY}" text-anchor="middle" font-size="10">${
            esc(fmtRatio(actual))
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

// ------------------------------------------------------------------ setup

function wsVersion(): string {
  try {
    const text = readFileSync(
      join(ROOT, "node_modules", "ws", "package.json"),
      "utf8",
    );
    return (JSON.parse(text) as { version?: string }).version ?? "unknown";
  } catch {
    return "missing";
  }
}

// ------------------------------------------------------------------- main

function describeSample(sample: Sample): string {
  const def = CASES[sample.case];
  if (sample.error !== null) return `error: ${sample.error}`;
  const parts: string[] = [];
  for (const metric of def.metrics) {
    if (metric.unit === "%") continue;
    const value = sample.metrics[metric.key];
    if (value === undefined) continue;
    // fmtNumber already names some units ("MB/s"): do not say it twice.
    const label = metric.unit === metric.label ? "" : ` ${metric.label}`;
    parts.push(`${fmtNumber(value, metric.unit)}${label}`);
  }
  const cl = sample.metrics.client_cpu_pct;
  const sv = sample.metrics.server_cpu_pct;
  const other = sample.metrics.other_cpu_pct;
  if (cl !== undefined) {
    parts.push(
      `CPU client ${cl.toFixed(0)}% server ${sv?.toFixed(0) ?? "?"}% other ${
        other?.toFixed(0) ?? "?"
      }%${other !== undefined && other > 25 ? " (disturbed)" : ""}`,
    );
  }
  return parts.join(", ");
}

/** What a run measured: everything the report is made from. */
interface RunRecord {
  generated: string;
  elapsedSeconds: number;
  settings: Omit<Settings, "out" | "publish" | "from" | "dryRun">;
  machine: Record<string, string | number | boolean>;
  versions: Record<string, string>;
  samples: Sample[];
}

/** Builds the rows, prints the tables and writes the three outputs. */
function report(record: RunRecord, out: string, publish: boolean): void {
  const { settings, machine: info, versions, samples } = record;
  const rows: Row[] = [];
  for (const caseId of settings.cases) {
    for (const runtime of settings.runtimes) {
      rows.push(buildRow(CASES[caseId], runtime, samples));
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
        native: RUNTIME_DEFS[r].native.map((a) => relative(ROOT, a) || a),
        nativeLabel: RUNTIME_DEFS[r].nativeLabel,
      }]),
    ),
    cases: settings.cases.map((id) => ({
      id,
      title: CASES[id].title,
      headline: CASES[id].headline,
      metrics: CASES[id].metrics,
      target: CASES[id].target,
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
    `Runtimes: Node ${versions.node}, ${versions.deno}, Bun ${versions.bun}, ws ${versions.ws}.`,
  ].join("\n");
  const method = [
    "## Method",
    "",
    "- Servers: `examples/bench_server.ts` (anyws) on each runtime and the native peer of the same runtime: `scripts/bench/peers/ws_server.mjs` (ws, no compression), `scripts/bench/peers/deno_server.ts` (`Deno.serve` + `Deno.upgradeWebSocket`), `scripts/bench/peers/bun_server.ts` (`Bun.serve`, publish/subscribe for `/bcast`). Each case starts a fresh server on 127.0.0.1 with its fd limit raised to the hard limit.",
    "- Client: `scripts/bench/bench_client.c`, one epoll thread, the same for every server. Masked client frames with a random key per frame, the server's `Sec-WebSocket-Accept` checked, every echo checked (length and sequence number). CPU % is the share of one core over the measurement window (user + system, `getrusage` for the client, `/proc/PID/stat` for the server, all its threads). Other CPU % is the machine's busy time (`/proc/stat`) minus client and server: other processes, plus interrupt time charged to neither; a high value marks a disturbed measurement.",
    "- Why this client: it must not be the bottleneck. Measured during development on this machine against `Bun.serve` (the fastest server here), echo 100 × 16 × 32 B: this client drove 1.76 M msgs/s using 78% of its core (mostly kernel time in `read`/`send`), while the runtimes' own clients saturated their core far lower: Bun's built-in `WebSocket` 0.16 M msgs/s, Node 24's built-in `WebSocket` 0.11 M, `ws` on Node 0.11 M. A JavaScript client would have measured itself, not the servers; a C client is also identical for every server.",
    "- echo: every connection keeps K binary messages in flight; latency is write-to-echo time. MB/s counts echoed payload bytes received.",
    "- broadcast: 1,000 subscribers on `/bcast`, then one publisher keeping up to 256 messages outstanding (published but not yet received back by itself); deliveries/s counts messages received by the subscribers; latency is publish → receipt (it includes the queue of 256 outstanding messages).",
    `- idle: ${settings.idleConns} connections opened with at most ${settings.handshakes} handshakes in flight on a freshly started server; RSS per connection = (VmRSS 1 s after the last handshake − VmRSS before the first) / connections (the target figure); then every connection must answer a ping, and the same figure is taken again once they have.`,
    `- concurrent connections: ${settings.maxConns} tried (just under the fd hard limit of both processes); held = connections that answer a ping after 1 s; errors = tried − held.`,
  ].join("\n");
  const errors = errorList(rows);
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
      ...(errors ? [errors, ""] : []),
    ].join("\n"),
  );
  console.error(
    `bench: wrote ${relative(ROOT, join(out, "results.{json,md}"))} and ${
      relative(ROOT, join(out, "chart.svg"))
    }${publish ? "" : " (quick or partial run: docs/bench untouched)"}`,
  );
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let fromNpm: string[] = [];
  try {
    fromNpm = npmConfigArgs(process.env, argv);
  } catch (error) {
    fail(`bench: ${(error as Error).message}`);
  }
  const settings = parseArgs([...fromNpm, ...argv]);
  if (settings.dryRun) {
    const { dryRun: _dryRun, ...shown } = settings;
    console.log(
      `bench: dry run${
        fromNpm.length === 0 ? "" : ` (from npm: ${fromNpm.join(" ")})`
      }, nothing measured: ${JSON.stringify(shown)}`,
    );
    return;
  }
  if (settings.from !== null) {
    // Re-render the report of an earlier run without measuring again.
    const record = JSON.parse(readFileSync(settings.from, "utf8")) as RunRecord;
    report(record, settings.out, true);
    return;
  }
  const compileError = compileClient([fileURLToPath(import.meta.url)]);
  if (compileError !== null) fail(compileError);
  if (settings.pin && !canPin()) {
    console.error("bench: taskset or a second core is missing: not pinning");
    settings.pin = false;
  }
  const versions = {
    node: version(NODE, ["--version"]),
    deno: version(DENO, ["--version"]),
    bun: version(BUN, ["--version"]),
    ws: wsVersion(),
  };
  const info = machine();
  const load = Number(info.loadAverageAtStart);
  console.error(
    `bench: ${settings.passes} pass(es) × ${settings.cases.length} case(s) × ${
      settings.runtimes.length * 2
    } servers; load average ${info.loadAverageAtStart}${
      load > 0.7 ? " (high: other work may distort the figures)" : ""
    }; pinning ${settings.pin ? "on" : "off"}`,
  );

  const samples: Sample[] = [];
  const started = performance.now();
  for (let pass = 1; pass <= settings.passes; pass++) {
    const order: Impl[] = pass % 2 === 1
      ? ["anyws", "native"]
      : ["native", "anyws"];
    for (const caseId of settings.cases) {
      for (const runtime of settings.runtimes) {
        for (const impl of order) {
          const sample = await measure(
            settings,
            pass,
            CASES[caseId],
            runtime,
            impl,
          );
          samples.push(sample);
          const name = impl === "anyws"
            ? "anyws"
            : RUNTIME_DEFS[runtime].nativeLabel;
          console.error(
            `[pass ${pass}/${settings.passes}] ${caseId} ${runtime} ${name}: ${
              describeSample(sample)
            } (${(sample.wallMs / 1000).toFixed(1)} s)`,
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
  report(record, settings.out, settings.publish);
}

if (import.meta.main) await main();
