/**
 * The options of `npm run bench`: the command line, and the options npm
 * kept for itself.
 *
 * `npm run bench --quick` does not pass `--quick` on: npm takes it as its
 * own configuration and hands it over as `npm_config_quick=true`. The
 * benchmark reads its options back from those `npm_config_*` variables
 * (`--no-pin` arrives as `npm_config_pin=`), so both spellings work; an
 * option with a value must be written `--passes=5` there, or after `--`.
 *
 * @module
 */

import { resolve as resolvePath } from "node:path";
import process from "node:process";
import { CASE_IDS, type CaseId } from "./case_model.ts";
import { DOCS, SCRATCH } from "./paths.ts";
import { type Runtime, RUNTIMES } from "./servers.ts";

/**
 * The run's knobs, from the command line.
 *
 * @example
 * ```ts
 * import { parseSettings, type Settings } from "./options.ts";
 * const settings: Settings = parseSettings(["--quick", "--cases", "echo1"]);
 * settings.passes; // 1
 * ```
 */
export interface Settings {
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

const HELP = `Usage: node scripts/bench/main.ts [options]

  --quick              1 pass, 0.5 s warm-up, 1.5 s measurement (~4 min)
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

/**
 * Prints `message` and exits with status 2 (a usage error).
 *
 * @example
 * ```ts
 * import { fail } from "./options.ts";
 * const passes = Number("x");
 * if (Number.isNaN(passes)) fail("Invalid value for --passes: x");
 * ```
 */
export function fail(message: string): never {
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
 * import { npmConfigArgs } from "./options.ts";
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

/**
 * The settings `argv` asks for (defaults for what it leaves out). Prints
 * the help and exits 0 on `--help`; exits 2 on a bad option.
 *
 * @example
 * ```ts
 * import { parseSettings } from "./options.ts";
 * const settings = parseSettings(["--passes=5", "--runtimes", "node,bun"]);
 * settings.out; // ".../.bench": a partial run does not publish
 * ```
 */
export function parseSettings(argv: string[]): Settings {
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
