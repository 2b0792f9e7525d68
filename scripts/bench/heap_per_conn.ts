/**
 * What an idle connection keeps on the JavaScript heap, object by object
 * (`npm run bench:heap`): the companion of `npm run bench:floor`, which
 * gives the RSS. For each runtime it starts the bare floor server
 * (`scripts/bench/peers/floor_server.ts`) and anyws (`examples/bench_server.ts`)
 * under `scripts/bench/peers/heap_probe.ts`, warms it up with 200 connections,
 * takes a heap snapshot (after a full garbage collection) before and while
 * the benchmark's load client holds `--conns` idle connections, and reports
 * the difference per connection, grouped by class.
 *
 * ```sh
 * node scripts/bench/heap_per_conn.ts                  # 2,000 connections, writes docs/bench/heap.md
 * node scripts/bench/heap_per_conn.ts --conns 500 --runtimes bun --out .bench
 * ```
 *
 * Node and Deno snapshots are V8's (`node:v8` `writeHeapSnapshot`), Bun's are
 * JavaScriptCore's (`Bun.generateHeapSnapshot()`); both give each object's
 * own size and class, so the tables are comparable within a runtime. Objects
 * made once (compiled code, module text) are spread over the connections
 * and shown only when they reach 8 bytes per connection.
 *
 * @module
 */

import {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import { compileClient, runClient } from "./load_client.ts";
import { canPin } from "./machine.ts";
import { ROOT, SCRATCH, tool } from "./paths.ts";
import { freePort, startServer, stopServer } from "./processes.ts";

type Runtime = "node" | "deno" | "bun";
const PROBE = "scripts/bench/peers/heap_probe.ts";
const SERVERS = {
  floor: "scripts/bench/peers/floor_server.ts",
  anyws: "examples/bench_server.ts",
} as const;
type ServerId = keyof typeof SERVERS;

const COMMANDS: Record<Runtime, string[]> = {
  node: [tool("node"), "--expose-gc", PROBE],
  deno: [tool("deno"), "run", "-A", "--v8-flags=--expose-gc", PROBE],
  bun: [tool("bun"), PROBE],
};

/** Bytes and object count per class. */
type ByClass = Map<string, { count: number; bytes: number }>;

/** One class's objects and bytes per connection. */
type Row = { name: string; count: number; bytes: number };

/** What one server keeps per connection: the classes worth showing, and the total. */
type Breakdown = { rows: Row[]; total: number };

/** Groups a V8 node (type, name) the way a reader wants to see it. */
function v8Class(type: string, name: string): string {
  if (type === "object") return name;
  if (type.endsWith("string")) return "(strings)";
  if (type === "closure") return "(closures)";
  if (type === "code") return "(compiled code)";
  if (type === "array") return name === "" ? "(arrays)" : `(arrays) ${name}`;
  return `(${type}) ${name.slice(0, 40).replace(/\s+/g, " ")}`;
}

/** Reads a V8 (.heapsnapshot) or JavaScriptCore (Bun) snapshot file. */
function readSnapshot(file: string): ByClass {
  const snapshot = JSON.parse(readFileSync(file, "utf8"));
  const classes: ByClass = new Map();
  const add = (key: string, bytes: number): void => {
    const entry = classes.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += bytes;
    classes.set(key, entry);
  };
  if (snapshot.snapshot !== undefined) {
    const meta = snapshot.snapshot.meta;
    const fields: string[] = meta.node_fields;
    const types: string[] = meta.node_types[0];
    const [t, n, s] = ["type", "name", "self_size"].map((f) =>
      fields.indexOf(f)
    );
    const nodes: number[] = snapshot.nodes;
    for (let i = 0; i < nodes.length; i += fields.length) {
      add(
        v8Class(types[nodes[i + t]], snapshot.strings[nodes[i + n]]),
        nodes[i + s],
      );
    }
  } else {
    // JavaScriptCore: nodes are [id, size, classNameIndex, flags].
    const nodes: number[] = snapshot.nodes;
    const names: string[] = snapshot.nodeClassNames;
    for (let i = 0; i < nodes.length; i += 4) {
      add(names[nodes[i + 2]], nodes[i + 1]);
    }
  }
  return classes;
}

/** Per-connection difference between two snapshots, largest first. */
function perConnection(
  before: ByClass,
  after: ByClass,
  conns: number,
): Breakdown {
  const rows: Row[] = [];
  let total = 0;
  for (const [name, { count, bytes }] of after) {
    const was = before.get(name) ?? { count: 0, bytes: 0 };
    const perBytes = (bytes - was.bytes) / conns;
    total += perBytes;
    if (Math.abs(perBytes) >= 8) {
      rows.push({ name, count: (count - was.count) / conns, bytes: perBytes });
    }
  }
  rows.sort((a, b) => b.bytes - a.bytes);
  return { rows, total };
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 100 ms for up to `limitMs`; returns whether it held. */
async function until(
  condition: () => boolean,
  limitMs: number,
): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Sends SIGUSR2 and waits for the probe to report snapshot `n`. */
async function snapshot(
  server: { pid: number; output: () => string },
  n: number,
): Promise<void> {
  process.kill(server.pid, "SIGUSR2");
  const written = `heap snapshot ${n} written`;
  if (!await until(() => server.output().includes(written), 60_000)) {
    throw new Error(`no heap snapshot ${n}`);
  }
}

/** How many file descriptors the process has open. */
function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** The load client's arguments to hold `conns` idle connections for `settleMs`. */
function idleArgs(port: number, conns: number, settleMs: number): string[] {
  return [
    ...["--mode", "idle", "--port", String(port), "--path", "/echo"],
    ...["--conns", String(conns), "--handshakes", "64"],
    ...["--settle", String(settleMs)],
  ];
}

async function measure(
  runtime: Runtime,
  server: ServerId,
  conns: number,
  pin: boolean,
): Promise<Breakdown> {
  const port = await freePort();
  const out = join(SCRATCH, `heap-${runtime}-${server}`);
  const running = await startServer(COMMANDS[runtime], port, {
    pin,
    env: { HEAP_TARGET: join(ROOT, SERVERS[server]), HEAP_OUT: out },
  });
  if ("error" in running) throw new Error(running.error);
  try {
    // A warm-up round first, so that code compiled on the first handshakes
    // is in both snapshots rather than counted against the connections.
    const base = openFds(running.pid);
    await runClient(idleArgs(port, Math.min(200, conns), 100), 60_000, pin);
    await until(() => openFds(running.pid) <= base, 10_000);
    await sleep(500);
    await snapshot(running, 1);
    const client = runClient(idleArgs(port, conns, 15_000), 90_000, pin);
    await until(() => openFds(running.pid) >= base + conns, 30_000);
    await sleep(1_500);
    await snapshot(running, 2);
    const result = perConnection(
      readSnapshot(`${out}.1`),
      readSnapshot(`${out}.2`),
      conns,
    );
    await client;
    return result;
  } finally {
    await stopServer(running);
    for (const n of [1, 2]) rmSync(`${out}.${n}`, { force: true });
  }
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1] ?? fallback;
}

/** A markdown table of one server's classes. */
function classTable(server: string, rows: Row[]): string[] {
  return [
    `| class (${server}) | objects / conn | bytes / conn |`,
    "| --- | ---: | ---: |",
    ...rows.map((r) =>
      `| ${r.name.replace(/\|/g, "\\|")} | ${r.count.toFixed(2)} | ${
        r.bytes.toFixed(0)
      } |`
    ),
    "",
  ];
}

function markdown(
  conns: number,
  results: Array<{
    runtime: Runtime;
    floor: Breakdown;
    anyws: Breakdown;
  }>,
): string {
  const lines = [
    "# What an idle connection keeps on the JavaScript heap",
    "",
    `Heap snapshots (after a full garbage collection) of each server with no`,
    `connection and with ${
      conns.toLocaleString("en-US")
    } idle connections from the benchmark's load`,
    "client; the difference divided by the connections, grouped by class.",
    "Sizes are each object's own size as the engine reports it (V8 for Node",
    "and Deno, JavaScriptCore for Bun); a string's characters count where the",
    "engine puts them (V8: in the string; JavaScriptCore: partly outside the",
    "snapshot). RSS per connection is in [floor.md](floor.md).",
    "",
    `Command: \`node scripts/bench/heap_per_conn.ts --conns ${conns}\``,
    "",
  ];
  for (const { runtime, floor, anyws } of results) {
    lines.push(
      `## ${runtime[0].toUpperCase()}${runtime.slice(1)}`,
      "",
      `Heap per idle connection: floor server ${
        floor.total.toFixed(0)
      } B, anyws ${anyws.total.toFixed(0)} B.`,
      "",
      ...classTable("anyws", anyws.rows),
      ...classTable("floor", floor.rows),
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const conns = Number(option("conns", "2000"));
  const runtimes = option("runtimes", "node,deno,bun").split(",") as Runtime[];
  const outDir = option("out", join(ROOT, "docs", "bench"));
  const compileError = compileClient();
  if (compileError) throw new Error(compileError);
  const pin = canPin();
  const results = [];
  for (const runtime of runtimes) {
    const floor = await measure(runtime, "floor", conns, pin);
    const anyws = await measure(runtime, "anyws", conns, pin);
    console.log(
      `${runtime}: heap per idle connection: floor ${
        floor.total.toFixed(0)
      } B, anyws ${anyws.total.toFixed(0)} B`,
    );
    for (const row of anyws.rows.slice(0, 12)) {
      console.log(
        `  ${row.bytes.toFixed(0).padStart(6)} B  ${
          row.count.toFixed(2)
        } × ${row.name}`,
      );
    }
    results.push({ runtime, floor, anyws });
  }
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, "heap.md");
  writeFileSync(file, markdown(conns, results));
  console.log(`heap_per_conn: wrote ${relative(process.cwd(), file)}`);
}

await main();
