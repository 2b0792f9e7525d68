/**
 * Runs the checks and the whole test suite on Deno, Bun and Node, then
 * prints one summary line per runtime, the line coverage of `src/`, and a
 * last line `N passed, N failed` (totals over the runtimes).
 *
 * ```sh
 * node scripts/test_all.ts                  # checks + all runtimes (npm test)
 * node scripts/test_all.ts --checks-only    # npm run check
 * node scripts/test_all.ts --runtime=bun    # one runtime, no checks
 * node scripts/test_all.ts --runtime=node tests/frame_test.ts
 * ```
 *
 * Exits 1 if a check fails, a runtime reports a failure, exits non-zero,
 * times out or runs zero tests, or (when Deno runs) coverage cannot be
 * measured. Coverage under 95% is reported, not fatal.
 *
 * Node runs each test file in its own `node --test` process: a file that
 * leaves a handle open never exits under node, and this way it is killed
 * and named on its own while the other files still run.
 *
 * Environment: `ANYWS_TEST_TIMEOUT_MS` bounds each runtime's run (default
 * 15 minutes); `ANYWS_TEST_FILE_TIMEOUT_MS` bounds one node test file
 * (default 5 minutes); `ANYWS_TEST_CONCURRENCY` runs that many node test
 * files at once (default 1; above 1 their output is printed per file).
 *
 * @module
 */

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { run, type RunResult } from "./_run.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const BIN = join(ROOT, "node_modules", ".bin");
const OUT = join(ROOT, "coverage");
const RUNTIMES = ["deno", "bun", "node"] as const;
type Runtime = typeof RUNTIMES[number];

const RUNTIME_TIMEOUT_MS = Number(process.env.ANYWS_TEST_TIMEOUT_MS) ||
  15 * 60_000;
const CHECK_TIMEOUT_MS = 5 * 60_000;
/** Per-test timeout for bun and node (bun's own default is 5 s). */
const TEST_TIMEOUT_MS = 60_000;
/** Bound for one test file under node (each file is its own process). */
const FILE_TIMEOUT_MS = Number(process.env.ANYWS_TEST_FILE_TIMEOUT_MS) ||
  5 * 60_000;
/** Node test files run at once (default 1: the output stays streamed). */
const TEST_CONCURRENCY = Number(process.env.ANYWS_TEST_CONCURRENCY) || 1;
const COVERAGE_GOAL = 95;

/** Pass/fail counts of one runtime's run. */
interface Counts {
  passed: number;
  failed: number;
}

/** The outcome of one check or one runtime. */
interface Outcome {
  name: string;
  ok: boolean;
  line: string;
}

/** Line coverage of one source file. */
interface FileCoverage {
  file: string;
  found: number;
  hit: number;
}

function tool(name: string): string {
  const local = join(BIN, name);
  if (existsSync(local)) return local;
  return name === "node" ? process.execPath : name;
}

const DENO = tool("deno");
const BUN = tool("bun");
const NODE = tool("node");

function childEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    // The pinned runtimes first, so tests that spawn `node` get Node 24.
    PATH: `${BIN}:${process.env.PATH ?? ""}`,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
  };
  delete env.FORCE_COLOR;
  return env;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function header(title: string): void {
  console.log(`\n=== ${title} ${"=".repeat(Math.max(3, 70 - title.length))}`);
}

function lastMatch(text: string, pattern: RegExp): RegExpExecArray | undefined {
  let last: RegExpExecArray | undefined;
  const global = new RegExp(
    pattern.source,
    pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g",
  );
  for (const match of text.matchAll(global)) last = match;
  return last;
}

// ---------------------------------------------------------------------------
// Arguments

interface Options {
  checks: boolean;
  runtimes: Runtime[];
  files: string[];
}

function usage(): string {
  return [
    "Usage: node scripts/test_all.ts [--checks-only | --no-checks] [--runtime=deno,bun,node] [test files]",
    "  --checks-only      run lint, fmt, doc lint, publish dry-run, tsc, purity and the lock check only",
    "  --no-checks        run the tests only",
    "  --runtime=<list>   run the tests on these runtimes only (implies --no-checks)",
  ].join("\n");
}

function parseArgs(argv: readonly string[]): Options {
  let checks = true;
  let tests = true;
  let runtimes: Runtime[] = [...RUNTIMES];
  const files: string[] = [];
  for (const arg of argv) {
    if (arg === "--help" || arg === "-h") {
      console.log(usage());
      process.exit(0);
    } else if (arg === "--checks-only") {
      tests = false;
    } else if (arg === "--no-checks") {
      checks = false;
    } else if (arg.startsWith("--runtime=")) {
      checks = false;
      runtimes = [];
      for (const name of arg.slice("--runtime=".length).split(",")) {
        if (!(RUNTIMES as readonly string[]).includes(name)) {
          console.error(`Unknown runtime: ${name}\n${usage()}`);
          process.exit(2);
        }
        runtimes.push(name as Runtime);
      }
    } else if (arg.startsWith("-")) {
      console.error(`Unknown option: ${arg}\n${usage()}`);
      process.exit(2);
    } else {
      files.push(arg);
    }
  }
  return { checks, runtimes: tests ? runtimes : [], files };
}

// ---------------------------------------------------------------------------
// Checks

async function runChecks(
  env: Record<string, string | undefined>,
): Promise<Outcome[]> {
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const checks: { name: string; command: string; args: string[] }[] = [
    { name: "deno lint", command: DENO, args: ["lint"] },
    { name: "deno fmt --check", command: DENO, args: ["fmt", "--check"] },
    {
      name: "deno doc --lint mod.ts",
      command: DENO,
      args: ["doc", "--lint", "mod.ts"],
    },
    {
      name: "deno publish --dry-run",
      command: DENO,
      args: ["publish", "--dry-run", "--allow-dirty"],
    },
    { name: "tsc --noEmit", command: NODE, args: [tsc, "--noEmit", "-p", "."] },
    {
      name: "purity of src/",
      command: NODE,
      args: ["scripts/check_purity.ts"],
    },
    {
      name: "package-lock.json complete",
      command: NODE,
      args: ["scripts/check_lock.ts"],
    },
  ];
  header("checks");
  const outcomes: Outcome[] = [];
  for (const check of checks) {
    const result = await run(check.command, check.args, {
      cwd: ROOT,
      env,
      stream: false,
      timeoutMs: CHECK_TIMEOUT_MS,
    });
    const ok = result.code === 0 && !result.timedOut;
    const status = ok
      ? "ok"
      : result.timedOut
      ? "timed out"
      : `exit ${result.code ?? result.signal}`;
    const line = `${check.name}: ${status} (${seconds(result.durationMs)})`;
    console.log(`${ok ? "✔" : "✖"} ${line}`);
    if (!ok) {
      // A failing check must show why.
      console.log(indent(withoutTypesNoise(result.output).trimEnd()));
      console.log(`✖ ${check.name} failed: see above`);
    }
    outcomes.push({ name: check.name, ok, line });
  }
  return outcomes;
}

/**
 * Drops deno's harmless "Failed resolving types" warnings about
 * node_modules/@types/node (two lines each, dozens per run) so the real
 * errors of a failing check stay readable.
 */
function withoutTypesNoise(text: string): string {
  return text.replace(
    /^Warning Failed resolving types\..*\n\s+at file:\/\/\S*\/node_modules\/@types\/node\/.*\n/gm,
    "",
  );
}

function indent(text: string): string {
  return text.split("\n").map((line) => `    ${line}`).join("\n");
}

// ---------------------------------------------------------------------------
// Test files

function findTestFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!/^[._]|^node_modules$|^fixtures$/.test(entry.name)) walk(path);
      } else if (entry.isFile() && entry.name.endsWith("_test.ts")) {
        found.push(relative(ROOT, path));
      }
    }
  };
  const dir = join(ROOT, "tests");
  if (existsSync(dir)) walk(dir);
  return found.sort();
}

/** Writes a module that imports every file under src/ (see runDeno). */
function writeSourceLoader(): string | undefined {
  const src = join(ROOT, "src");
  if (!existsSync(src)) return undefined;
  const files = readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
    .sort();
  const loader = join(OUT, "_load_src.ts");
  const specifiers = files.map((name) =>
    `../src/${name.split("\\").join("/")}`
  );
  const lines = [
    "// Generated by scripts/test_all.ts: loads every module under src/ so",
    "// files that no test imports still count in the coverage report. The",
    "// imports are dynamic so that one broken module cannot stop the run.",
    `const specifiers: string[] = ${JSON.stringify(specifiers)};`,
    "for (const specifier of specifiers) {",
    "  try {",
    "    await import(specifier);",
    "  } catch (error) {",
    "    console.error(`Coverage loader: cannot load ${specifier}: ${error}`);",
    "  }",
    "}",
    "",
  ];
  writeFileSync(loader, lines.join("\n"));
  return relative(ROOT, loader);
}

// ---------------------------------------------------------------------------
// Runtimes

/** One process to run for a runtime: the whole suite, or one file. */
interface Batch {
  /** The test file, when the batch runs one file. */
  file?: string;
  command: string;
  args: string[];
  count(result: RunResult): Counts | undefined;
}

/** How a runtime runs the suite: batches, and how many at once. */
interface RuntimeRun {
  batches: Batch[];
  /** Batches run at once; above 1, each batch's output is buffered. */
  concurrency: number;
}

function denoRun(files: string[], loader: string | undefined): RuntimeRun {
  const coverageDir = join(OUT, "deno");
  const junit = join(OUT, "deno.junit.xml");
  rmSync(coverageDir, { recursive: true, force: true });
  rmSync(junit, { force: true });
  return {
    concurrency: 1,
    batches: [{
      command: DENO,
      args: [
        "test",
        "-A",
        // Type errors are the job of the tsc and publish checks (which cover
        // every file, with Node's and Deno's types); like bun and node, deno
        // here only runs the code, so one broken file cannot hide all results.
        "--no-check",
        `--coverage=${relative(ROOT, coverageDir)}`,
        "--coverage-raw-data-only",
        `--junit-path=${relative(ROOT, junit)}`,
        ...files,
        ...(loader === undefined ? [] : [loader]),
      ],
      count,
    }],
  };
  function count(result: RunResult): Counts | undefined {
    if (existsSync(junit)) {
      const counts = countJunitLeaves(readFileSync(junit, "utf8"));
      if (counts !== undefined) return counts;
    }
    // Fallback: "ok | 3 passed (5 steps) | 0 failed (1 step) (38ms)".
    const summary = lastMatch(
      result.output,
      /^(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?/m,
    );
    if (summary === undefined) return undefined;
    return {
      passed: Number(summary[1]) + Number(summary[2] ?? 0),
      failed: Number(summary[3]) + Number(summary[4] ?? 0),
    };
  }
}

/**
 * Counts a Deno JUnit report the way Bun and Node count: a `describe` block
 * or a test with sub-tests is a container (its name is a prefix, followed by
 * " > ", of another test's name) and is not counted, unless it failed on its
 * own (a hook threw) without any failing descendant.
 */
function countJunitLeaves(xml: string): Counts | undefined {
  const cases: { name: string; failed: boolean; skipped: boolean }[] = [];
  const pattern = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(pattern)) {
    const name = /\bname="([^"]*)"/.exec(match[1])?.[1];
    if (name === undefined) continue;
    const body = match[2] ?? "";
    cases.push({
      name,
      failed: /<(?:failure|error)\b/.test(body),
      skipped: /<skipped\b/.test(body),
    });
  }
  if (cases.length === 0 && !/<testsuites\b/.test(xml)) return undefined;
  const separator = " &gt; ";
  const containers = new Set<string>();
  const failedContainers = new Set<string>();
  for (const item of cases) {
    const parts = item.name.split(separator);
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join(separator);
      containers.add(prefix);
      if (item.failed) failedContainers.add(prefix);
    }
  }
  let passed = 0;
  let failed = 0;
  for (const item of cases) {
    const container = containers.has(item.name);
    if (item.failed) {
      if (!container || !failedContainers.has(item.name)) failed++;
    } else if (!container && !item.skipped) {
      passed++;
    }
  }
  return { passed, failed };
}

function bunRun(files: string[]): RuntimeRun {
  return {
    concurrency: 1,
    batches: [{
      command: BUN,
      // Paths must start with "./" or bun treats them as name filters.
      args: [
        "test",
        `--timeout=${TEST_TIMEOUT_MS}`,
        ...files.map((file) =>
          isAbsolute(file) || file.startsWith("./") ? file : `./${file}`
        ),
      ],
      count(result: RunResult): Counts | undefined {
        // Bun ends with " 12 pass", " 3 skip", " 0 fail", "Ran 15 tests …".
        const pass = lastMatch(result.output, /^\s*(\d+) pass$/m);
        const fail = lastMatch(result.output, /^\s*(\d+) fail$/m);
        if (pass === undefined && fail === undefined) return undefined;
        return {
          passed: Number(pass?.[1] ?? 0),
          failed: Number(fail?.[1] ?? 0),
        };
      },
    }],
  };
}

function nodeRun(files: string[]): RuntimeRun {
  // One process per file, so a file that never exits (node --test waits for
  // every handle a test left open) is killed on its own and named, and the
  // other files still run.
  const dir = join(OUT, "node");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return {
    concurrency: TEST_CONCURRENCY,
    batches: files.map((file) => {
      const tap = join(dir, `${file.replace(/[^\w.-]+/g, "_")}.tap`);
      return {
        file,
        command: NODE,
        args: [
          "--test",
          `--test-timeout=${TEST_TIMEOUT_MS}`,
          "--test-reporter=spec",
          "--test-reporter-destination=stdout",
          "--test-reporter=tap",
          `--test-reporter-destination=${relative(ROOT, tap)}`,
          file,
        ],
        count: (result: RunResult): Counts | undefined =>
          countNodeTap(
            existsSync(tap) ? readFileSync(tap, "utf8") : result.output,
          ),
      };
    }),
  };
}

/** Reads node's counts: TAP ends with "# pass 14", "# fail 0" … */
function countNodeTap(text: string): Counts | undefined {
  const read = (key: string): number | undefined => {
    const match = lastMatch(text, new RegExp(`^(?:#|ℹ) ${key} (\\d+)$`, "m"));
    return match === undefined ? undefined : Number(match[1]);
  };
  const pass = read("pass");
  const fail = read("fail");
  // No summary: the run was killed. Count what the TAP stream has so far.
  if (pass === undefined || fail === undefined) return countTapLeaves(text);
  return { passed: pass, failed: fail + (read("cancelled") ?? 0) };
}

/**
 * Counts the results of a partial TAP stream (a run that was killed): a
 * result line whose previous result was more deeply indented closes a
 * suite or a test with sub-tests, and is not counted.
 */
function countTapLeaves(tap: string): Counts | undefined {
  let passed = 0;
  let failed = 0;
  let previousIndent = -1;
  let seen = false;
  for (const line of tap.split("\n")) {
    const match = /^( *)(ok|not ok) \d+ - .*?( # (?:SKIP|TODO)\b.*)?$/.exec(
      line,
    );
    if (match === null) continue;
    seen = true;
    const indent = match[1].length;
    const container = previousIndent > indent;
    previousIndent = indent;
    if (container || match[3] !== undefined) continue;
    if (match[2] === "ok") passed++;
    else failed++;
  }
  return seen ? { passed, failed } : undefined;
}

async function runRuntime(
  runtime: Runtime,
  spec: RuntimeRun,
  env: Record<string, string | undefined>,
): Promise<Outcome & Counts & { output: string }> {
  const first = spec.batches[0];
  const shown = first === undefined ? [] : [
    first.command.replace(ROOT + "/", ""),
    ...first.args.filter((arg) => arg !== first.file),
    first.file === undefined ? "" : "<file>, one process per file",
  ];
  header(`${runtime}: ${shown.join(" ").trim()}`);
  const started = performance.now();
  const deadline = started + RUNTIME_TIMEOUT_MS;
  const counts: Counts = { passed: 0, failed: 0 };
  const notes: string[] = [];
  const outputs: string[] = [];
  let ok = true;
  const stream = spec.concurrency <= 1;

  const runBatch = async (batch: Batch): Promise<void> => {
    const budget = Math.max(1_000, deadline - performance.now());
    const perFile = batch.file === undefined
      ? budget
      : Math.min(FILE_TIMEOUT_MS, budget);
    if (stream && batch.file !== undefined) {
      console.log(`\n--- ${runtime}: ${batch.file}`);
    }
    const result = await run(batch.command, batch.args, {
      cwd: ROOT,
      env,
      timeoutMs: perFile,
      stream,
    });
    if (!stream) {
      console.log(`\n--- ${runtime}: ${batch.file ?? "all files"}`);
      process.stdout.write(result.output);
    }
    outputs.push(result.output);
    const found = batch.count(result) ?? { passed: 0, failed: 0 };
    const where = batch.file === undefined ? "" : `${batch.file} `;
    if (result.timedOut) {
      // Under node --test a file that leaves a server, socket or timer open
      // never exits: the usual cause. Counted as one more failure.
      found.failed++;
      notes.push(
        `${where}timed out after ${
          seconds(perFile)
        } (left a handle open, or hung; its counts are partial)`,
      );
    } else if (result.code !== 0 && found.failed === 0) {
      // A crash, a load error or an uncaught error outside any test: count
      // it as one failure so the totals agree with the exit status.
      found.failed = 1;
      notes.push(
        `${where}exited with ${
          result.code === null
            ? `signal ${result.signal}`
            : `code ${result.code}`
        } without a failing test: see its output`,
      );
    }
    if (result.code !== 0 || result.timedOut) ok = false;
    counts.passed += found.passed;
    counts.failed += found.failed;
  };

  const queue = [...spec.batches];
  const workers = Array.from(
    { length: Math.max(1, spec.concurrency) },
    async () => {
      for (
        let batch = queue.shift();
        batch !== undefined;
        batch = queue.shift()
      ) {
        await runBatch(batch);
      }
    },
  );
  await Promise.all(workers);

  if (counts.passed === 0 && counts.failed === 0) {
    counts.failed = 1;
    notes.push("ran zero tests");
  } else if (counts.passed === 0) {
    notes.push("ran zero passing tests");
  }
  ok = ok && counts.failed === 0 && counts.passed > 0;
  const line = `${runtime}: ${counts.passed} passed, ${counts.failed} failed (${
    seconds(performance.now() - started)
  })${notes.length > 0 ? ` — ${notes.join("; ")}` : ""}`;
  console.log(`\n${ok ? "✔" : "✖"} ${line}`);
  return { name: runtime, ok, line, ...counts, output: outputs.join("") };
}

// ---------------------------------------------------------------------------
// Coverage

async function denoCoverage(
  env: Record<string, string | undefined>,
): Promise<FileCoverage[] | string> {
  const dir = join(OUT, "deno");
  if (!existsSync(dir) || readdirSync(dir).length === 0) {
    return "deno test wrote no coverage data";
  }
  const lcov = join(OUT, "deno.lcov");
  rmSync(lcov, { force: true });
  const srcUrl = pathToFileURL(join(ROOT, "src")).href + "/";
  const result = await run(DENO, [
    "coverage",
    relative(ROOT, dir),
    "--lcov",
    `--output=${relative(ROOT, lcov)}`,
    `--include=^${srcUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`,
  ], { cwd: ROOT, env, stream: false, timeoutMs: CHECK_TIMEOUT_MS });
  if (result.code !== 0 || !existsSync(lcov)) {
    return `deno coverage failed (exit ${result.code}):\n${
      indent(result.output.trimEnd())
    }`;
  }
  const files: FileCoverage[] = [];
  let current: FileCoverage | undefined;
  for (const line of readFileSync(lcov, "utf8").split("\n")) {
    if (line.startsWith("SF:")) {
      const path = line.slice(3);
      const file = path.startsWith("file:") ? fileURLToPath(path) : path;
      current = { file: relative(ROOT, file), found: 0, hit: 0 };
    } else if (line.startsWith("LF:") && current) {
      current.found = Number(line.slice(3));
    } else if (line.startsWith("LH:") && current) {
      current.hit = Number(line.slice(3));
    } else if (line === "end_of_record" && current) {
      files.push(current);
      current = undefined;
    }
  }
  if (files.length === 0) return "deno coverage reported no file under src/";
  return files.sort((a, b) => a.file.localeCompare(b.file));
}

function percent(hit: number, found: number): string {
  return found === 0
    ? "100.0%"
    : `${(Math.floor((hit / found) * 1000) / 10).toFixed(1)}%`;
}

function printCoverage(
  files: FileCoverage[],
  unloaded: string[],
): { ok: boolean; line: string } {
  header("coverage of src/ (lines, deno)");
  let found = 0;
  let hit = 0;
  for (const file of files) {
    found += file.found;
    hit += file.hit;
    if (file.found === 0) continue; // Type-only module: nothing to execute.
    const mark = file.hit / file.found * 100 < COVERAGE_GOAL ? "  <" : "";
    console.log(
      `${percent(file.hit, file.found).padStart(7)} ${
        `${file.hit}/${file.found}`.padStart(11)
      }  ${file.file}${mark}`,
    );
  }
  if (found === 0) {
    return { ok: false, line: "coverage: no executable line under src/" };
  }
  const total = `${percent(hit, found).padStart(7)} ${
    `${hit}/${found}`.padStart(11)
  }  total`;
  console.log(total);
  for (const line of unloaded) console.log(`   not measured: ${line}`);
  if (unloaded.length > 0) {
    return {
      ok: false,
      line:
        `coverage: cannot be measured for ${unloaded.length} file(s) under src/ that fail to load`,
    };
  }
  const below = hit / found * 100 < COVERAGE_GOAL
    ? ` (below the ${COVERAGE_GOAL}% goal)`
    : "";
  return {
    ok: true,
    line: `coverage: ${percent(hit, found)} of src/ lines (deno)${below}`,
  };
}

// ---------------------------------------------------------------------------

async function version(command: string, args: string[]): Promise<string> {
  const result = await run(command, args, { stream: false, timeoutMs: 30_000 });
  return result.code === 0
    ? result.output.split("\n")[0].trim()
    : `unavailable (${command})`;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const env = childEnv();
  mkdirSync(OUT, { recursive: true });
  const started = performance.now();

  header("runtimes");
  console.log(`deno: ${await version(DENO, ["--version"])}`);
  console.log(`bun:  ${await version(BUN, ["--version"])}`);
  console.log(`node: ${await version(NODE, ["--version"])}`);

  const checks = options.checks ? await runChecks(env) : [];

  const files = options.files.length > 0 ? options.files : findTestFiles();
  if (options.runtimes.length > 0) {
    header("test files");
    console.log(
      files.length === 0 ? "(none found under tests/)" : files.join("\n"),
    );
  }
  const runtimes: (Outcome & Counts)[] = [];
  let coverage: Outcome | undefined;
  for (const runtime of options.runtimes) {
    if (runtime === "deno") {
      const loader = writeSourceLoader();
      const outcome = await runRuntime(runtime, denoRun(files, loader), env);
      runtimes.push(outcome);
      const unloaded = [
        ...outcome.output.matchAll(
          /^Coverage loader: cannot load \.\.\/(src\/\S+): (.*)$/gm,
        ),
      ].map((match) => `${match[1]} (${match[2]})`);
      const measured = await denoCoverage(env);
      if (typeof measured === "string") {
        console.log(`\n✖ coverage cannot be measured: ${measured}`);
        coverage = {
          name: "coverage",
          ok: false,
          line: `coverage: cannot be measured`,
        };
      } else {
        coverage = { name: "coverage", ...printCoverage(measured, unloaded) };
      }
    } else if (runtime === "bun") {
      runtimes.push(await runRuntime(runtime, bunRun(files), env));
    } else {
      runtimes.push(await runRuntime(runtime, nodeRun(files), env));
    }
  }

  header(`summary (${seconds(performance.now() - started)})`);
  const outcomes = [...checks, ...runtimes, ...(coverage ? [coverage] : [])];
  for (const outcome of outcomes) {
    console.log(`${outcome.ok ? "✔" : "✖"} ${outcome.line}`);
  }
  const failing = outcomes.filter((outcome) => !outcome.ok).map((outcome) =>
    outcome.name
  );
  if (failing.length > 0) console.log(`FAILED: ${failing.join(", ")}`);
  if (runtimes.length > 0) {
    const passed = runtimes.reduce((sum, r) => sum + r.passed, 0);
    const failed = runtimes.reduce((sum, r) => sum + r.failed, 0);
    console.log(`${passed} passed, ${failed} failed`);
  }
  return failing.length > 0 ? 1 : 0;
}

process.exitCode = await main();
