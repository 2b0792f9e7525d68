// The client benchmark's command line (scripts/bench/client_options.ts,
// args.ts) and how its report reads samples (client_rows.ts,
// client_report.ts), and the messages its clients send
// (client_echo.ts). Nothing is measured here: the end-to-end cases run it
// with --dry-run; bench_client_smoke_test.ts measures.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { npmConfigOptions } from "../../scripts/bench/args.ts";
import { messageRing } from "../../scripts/bench/client_echo.ts";
import { PEER_IDS, peersOn } from "../../scripts/bench/client_kinds.ts";
import {
  CLIENT_BENCH_OPTIONS,
  parseClientSettings,
} from "../../scripts/bench/client_options.ts";
import {
  type ClientRunRecord,
  loadWarning,
} from "../../scripts/bench/client_report.ts";
import {
  clientErrors,
  clientRows,
  clientTable,
} from "../../scripts/bench/client_rows.ts";
import type { ClientSample } from "../../scripts/bench/client_sample.ts";
import { npmDryRun } from "../_bench_npm.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODE = join(ROOT, "node_modules", ".bin", "node");

describe("parseClientSettings", () => {
  test("defaults to the issue's workload on every runtime, 3 passes of 1 + 5 s, published to docs/bench/client.md", () => {
    const settings = parseClientSettings([]);
    assert.deepEqual(
      {
        ...settings,
        out: settings.out.slice(ROOT.length).replace(/^\//, ""),
      },
      {
        quick: false,
        passes: 3,
        warmupMs: 1000,
        durationMs: 5000,
        connections: 100,
        inflight: 16,
        size: 32,
        runtimes: ["node", "deno", "bun"],
        peers: ["ws", "ws+bufferutil", "WebSocket"],
        pin: true,
        out: "docs/bench/client.md",
        publish: true,
        dryRun: false,
      },
    );
  });

  test("--quick is one short pass written to .bench/client.md", () => {
    const settings = parseClientSettings(["--quick"]);
    assert.equal(settings.passes, 1);
    assert.equal(settings.warmupMs, 500);
    assert.equal(settings.durationMs, 1500);
    assert.equal(settings.publish, false);
    assert.ok(settings.out.endsWith("/.bench/client.md"), settings.out);
  });

  test("reads --name VALUE and --name=VALUE; a runtime list keeps the report's order", () => {
    const settings = parseClientSettings([
      "--runtime",
      "bun,node",
      "--duration=2",
      "--warmup",
      "0.25",
      "--connections=5",
      "--passes",
      "4",
      "--no-pin",
    ]);
    assert.deepEqual(settings.runtimes, ["node", "bun"]);
    assert.equal(settings.durationMs, 2000);
    assert.equal(settings.warmupMs, 250);
    assert.equal(settings.connections, 5);
    assert.equal(settings.passes, 4);
    assert.equal(settings.pin, false);
  });

  test("--clients chooses the peers, in the report's order", () => {
    assert.deepEqual(
      parseClientSettings(["--clients", "WebSocket,ws"]).peers,
      ["ws", "WebSocket"],
    );
    assert.deepEqual(peersOn("deno", ["WebSocket", "ws"]), ["WebSocket"]);
  });

  test("a partial run does not publish unless --out says where", () => {
    assert.equal(parseClientSettings(["--runtime=deno"]).publish, false);
    assert.equal(parseClientSettings(["--clients=ws"]).publish, false);
    assert.equal(parseClientSettings(["--connections=10"]).publish, false);
    const out = parseClientSettings(["--quick", "--out", "x/report.md"]);
    assert.equal(out.publish, true);
    assert.ok(out.out.endsWith("/x/report.md"), out.out);
  });
});

describe("npm run bench:client options", () => {
  test("npm's config gives back --quick, --no-pin and --duration=2", () => {
    assert.deepEqual(
      npmConfigOptions(
        {
          npm_config_quick: "true",
          npm_config_pin: "",
          npm_config_duration: "2",
          npm_config_cache: "/root/.npm",
        },
        [],
        CLIENT_BENCH_OPTIONS,
      ),
      ["--quick", "--no-pin", "--duration=2"],
    );
  });

  test("a value npm kept without its value is an error that names bench:client", () => {
    assert.throws(
      () =>
        npmConfigOptions(
          { npm_config_runtime: "true" },
          [],
          CLIENT_BENCH_OPTIONS,
        ),
      {
        message:
          "npm kept the value of --runtime: write npm run bench:client -- --runtime VALUE (or --runtime=VALUE)",
      },
    );
  });

  for (
    const args of [
      ["run", "bench:client", "--quick", "--", "--dry-run"],
      ["run", "bench:client", "--", "--quick", "--dry-run"],
    ]
  ) {
    test(`npm ${args.join(" ")} is a quick run`, () => {
      const run = npmDryRun(args);
      assert.ok("settings" in run, "failure" in run ? run.failure : "");
      const { settings } = run;
      assert.equal(settings.quick, true);
      assert.equal(settings.durationMs, 1500);
      assert.equal(settings.publish, false);
    });
  }

  test("an unknown option or client exits 2 and says why; --help exits 0", () => {
    const script = join(ROOT, "scripts", "bench", "client.ts");
    const bad = spawnSync(NODE, [script, "--bogus"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Unknown option: --bogus\nUsage:/);
    const badClient = spawnSync(NODE, [script, "--clients=socket.io"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(badClient.status, 2);
    assert.equal(
      badClient.stderr.trim(),
      "Unknown peer client: socket.io (expected one of ws, ws+bufferutil, WebSocket)",
    );
    const help = spawnSync(NODE, [script, "--help"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--runtime LIST/);
  });
});

function sample(
  fields: Partial<ClientSample> & Pick<ClientSample, "runtime" | "clientId">,
): ClientSample {
  return {
    pass: 1,
    metrics: {},
    report: null,
    error: null,
    wallMs: 1,
    ...fields,
  };
}

describe("client rows and table", () => {
  const figures = (msgs: number, us: number) => ({
    msgs_per_s: msgs,
    client_cpu_us_per_msg: us,
    client_cpu_pct: 99,
    server_cpu_pct: 40,
    other_cpu_pct: 2,
  });
  const samples: ClientSample[] = [
    sample({
      runtime: "node",
      clientId: "anyws",
      metrics: figures(300_000, 3.2),
    }),
    sample({
      runtime: "node",
      clientId: "anyws",
      pass: 2,
      metrics: figures(320_000, 3.0),
    }),
    sample({
      runtime: "node",
      clientId: "anyws",
      pass: 3,
      metrics: figures(100_000, 9),
    }),
    sample({ runtime: "node", clientId: "ws", metrics: figures(100_000, 9.6) }),
    sample({
      runtime: "node",
      clientId: "ws+bufferutil",
      metrics: figures(150_000, 6.4),
    }),
    sample({
      runtime: "node",
      clientId: "WebSocket",
      error: "connection 3: closed with 1006",
    }),
  ];
  const rows = clientRows(samples, ["node"], PEER_IDS);

  test("one row per peer of the runtime, with the same anyws medians", () => {
    assert.deepEqual(rows.map((row) => row.peer), peersOn("node"));
    assert.deepEqual(peersOn("node"), ["ws", "ws+bufferutil", "WebSocket"]);
    for (const row of rows) assert.equal(row.anyws.metrics.msgs_per_s, 300_000);
  });

  test("the ratios are anyws over the peer: throughput up is better, CPU per message down is", () => {
    assert.equal(rows[0].throughputRatio, 3);
    assert.equal(rows[0].cpuRatio, 3.2 / 9.6);
    assert.equal(rows[1].throughputRatio, 2);
    assert.equal(rows[1].cpuRatio, 0.5);
    assert.equal(rows[2].throughputRatio, null);
  });

  test("the table shows figures with units, ratios and CPU pairs; a failed peer shows error", () => {
    const lines = clientTable(rows).split("\n");
    assert.equal(lines.length, 2 + 3);
    assert.match(
      lines[0],
      /^\| runtime \| peer client \| anyws msgs\/s \| peer msgs\/s \| anyws \/ peer \|/,
    );
    assert.equal(
      lines[2],
      "| Node | ws | 300.0 k | 100.0 k | 3.00× | 3.20 µs | 9.60 µs | 0.333× | 99 / 99 | 40 / 40 | 2 / 2 |",
    );
    assert.equal(
      lines[4],
      "| Node | built-in WebSocket | 300.0 k | error | – | 3.20 µs | error | – | 99 / – | 40 / – | 2 / – |",
    );
  });

  test("the errors list names the runtime, the client and what failed", () => {
    assert.equal(
      clientErrors(rows),
      "- Node, built-in WebSocket: 1 failed pass(es): connection 3: closed with 1006",
    );
  });

  test("a loaded machine or a disturbed measurement is said; a quiet run says nothing", () => {
    const record = (load: string, other: number): ClientRunRecord => ({
      generated: "2026-01-01T00:00:00.000Z",
      elapsedSeconds: 1,
      settings: {
        quick: true,
        passes: 1,
        warmupMs: 500,
        durationMs: 1500,
        connections: 100,
        inflight: 16,
        size: 32,
        runtimes: ["node"],
        peers: ["ws"],
        pin: true,
      },
      machine: { cores: 2, loadAverageAtStart: load },
      loadAverageAtEnd: "2.00",
      versions: {},
      samples: [
        sample({
          runtime: "node",
          clientId: "anyws",
          metrics: { other_cpu_pct: other },
        }),
      ],
    });
    assert.equal(loadWarning(record("0.10", 3)), null);
    assert.match(
      loadWarning(record("3.50", 3)) ?? "",
      /^\*\*Loaded machine\*\*: the load average was 3\.50/,
    );
    assert.match(
      loadWarning(record("0.10", 60)) ?? "",
      /1 of 1 measurements saw other work take more than 25%/,
    );
  });
});

describe("messageRing", () => {
  test("gives distinct ASCII texts of exactly the size, naming the connection", () => {
    const ring = messageRing(42, 64, 32);
    assert.equal(new Set(ring).size, 64);
    for (const text of ring) {
      assert.equal(new TextEncoder().encode(text).length, 32);
      assert.ok(text.startsWith("c42m"), text);
    }
  });
});
