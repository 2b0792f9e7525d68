/**
 * The options of `npm run bench`: the command line, and the options npm
 * kept for itself (both read as `args.ts` says).
 *
 * @module
 */

import { resolve as resolvePath } from "node:path";
import {
  npmConfigOptions,
  numberOption,
  type OptionSpec,
  parseList,
  readOptions,
} from "./args.ts";
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
 * The options of `npm run bench`, for `args.ts`.
 *
 * @example
 * ```ts
 * import { readOptions } from "./args.ts";
 * import { BENCH_OPTIONS } from "./options.ts";
 * readOptions(["--quick"], BENCH_OPTIONS).flags.has("quick"); // true
 * ```
 */
export const BENCH_OPTIONS: OptionSpec = {
  script: "bench",
  values: VALUE_OPTIONS,
  flags: FLAG_OPTIONS,
  help: HELP,
};

/**
 * The benchmark options that `npm run bench --option` handed to npm
 * instead of to the benchmark, as arguments (see `npmConfigOptions` in
 * `args.ts`).
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
  return npmConfigOptions(env, argv, BENCH_OPTIONS);
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
  const given = readOptions(argv, BENCH_OPTIONS);
  const { values, flags } = given;
  const number = (name: string, fallback: number, min: number): number =>
    numberOption(given, name, fallback, min);
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
