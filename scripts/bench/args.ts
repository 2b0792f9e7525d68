/**
 * The command-line conventions of the benchmarks (`npm run bench`,
 * `npm run bench:client`): `--name VALUE` or `--name=VALUE`, switches
 * without a value, `--help`, comma lists, numbers with a floor, and the
 * options npm kept for itself.
 *
 * `npm run bench --quick` does not pass `--quick` on: npm takes it as its
 * own configuration and hands it over as `npm_config_quick=true`. A
 * benchmark reads its options back from those `npm_config_*` variables
 * (`--no-pin` arrives as `npm_config_pin=`), so both spellings work; an
 * option with a value must be written `--passes=5` there, or after `--`.
 *
 * @module
 */

import process from "node:process";

/**
 * The options a benchmark takes.
 *
 * @example
 * ```ts
 * import type { OptionSpec } from "./args.ts";
 * const spec: OptionSpec = {
 *   script: "bench:client",
 *   values: ["duration"],
 *   flags: ["quick", "no-pin"],
 *   help: "Usage: node scripts/bench/client.ts [--quick] [--duration S] [--no-pin]",
 * };
 * ```
 */
export interface OptionSpec {
  /** The npm script that runs the benchmark, for messages ("bench"). */
  script: string;
  /** Options followed by a value (names without the dashes). */
  values: readonly string[];
  /** Switches (a `no-` switch is npm's `npm_config_NAME=`). */
  flags: readonly string[];
  /** The text of `--help`. */
  help: string;
}

/**
 * What a command line gave: the values and the switches, by name.
 *
 * @example
 * ```ts
 * import type { GivenOptions } from "./args.ts";
 * const given: GivenOptions = { values: new Map([["passes", "5"]]), flags: new Set(["quick"]) };
 * ```
 */
export interface GivenOptions {
  values: Map<string, string>;
  flags: Set<string>;
}

/**
 * Prints `message` and exits with status 2 (a usage error).
 *
 * @example
 * ```ts
 * import { fail } from "./args.ts";
 * const passes = Number("x");
 * if (Number.isNaN(passes)) fail("Invalid value for --passes: x");
 * ```
 */
export function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/**
 * The items of a comma list, each one of `allowed`, in `allowed`'s order;
 * fails (exit 2) on an unknown item or an empty list.
 *
 * @example
 * ```ts
 * import { parseList } from "./args.ts";
 * parseList("bun,node", ["node", "deno", "bun"], "runtime"); // ["node", "bun"]
 * ```
 */
export function parseList<T extends string>(
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

/**
 * The options of `spec` that `npm run SCRIPT --option` handed to npm
 * instead of to the benchmark, read back from npm's `npm_config_*`
 * variables as arguments (`npm_config_quick=true` gives `--quick`,
 * `npm_config_pin=` gives `--no-pin`, `npm_config_passes=5` gives
 * `--passes=5`). Options already in `argv` are left out. Throws when npm
 * kept the option but lost its value (`npm run bench --passes 5` gives
 * `npm_config_passes=true`).
 *
 * @example
 * ```ts
 * import { npmConfigOptions } from "./args.ts";
 * const spec = { script: "bench", values: ["passes"], flags: ["quick"], help: "" };
 * npmConfigOptions({ npm_config_quick: "true" }, [], spec); // ["--quick"]
 * ```
 */
export function npmConfigOptions(
  env: Record<string, string | undefined>,
  argv: readonly string[],
  spec: OptionSpec,
): string[] {
  const given = new Set(argv.map((arg) => arg.replace(/=.*$/, "")));
  const config = (name: string): string | undefined =>
    env[`npm_config_${name.replaceAll("-", "_")}`];
  const args: string[] = [];
  for (const flag of spec.flags) {
    if (given.has(`--${flag}`)) continue;
    const negated = flag.startsWith("no-");
    const value = config(negated ? flag.slice(3) : flag);
    if (negated ? value === "" : value === "true") args.push(`--${flag}`);
  }
  for (const name of spec.values) {
    const value = config(name);
    if (given.has(`--${name}`) || value === undefined || value === "") {
      continue;
    }
    if (value === "true") {
      throw new Error(
        `npm kept the value of --${name}: write npm run ${spec.script} -- --${name} VALUE (or --${name}=VALUE)`,
      );
    }
    args.push(`--${name}=${value}`);
  }
  return args;
}

/**
 * The benchmark's arguments: those npm kept (see
 * {@link npmConfigOptions}; `fromNpm`, for messages) then those of
 * `argv`. Fails (exit 2) when npm lost a value.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { commandLine } from "./args.ts";
 * const spec = { script: "bench", values: ["passes"], flags: ["quick"], help: "" };
 * const { args, fromNpm } = commandLine(process.env, process.argv.slice(2), spec);
 * ```
 */
export function commandLine(
  env: Record<string, string | undefined>,
  argv: readonly string[],
  spec: OptionSpec,
): { args: string[]; fromNpm: string[] } {
  let fromNpm: string[] = [];
  try {
    fromNpm = npmConfigOptions(env, argv, spec);
  } catch (error) {
    fail(`${spec.script}: ${(error as Error).message}`);
  }
  return { args: [...fromNpm, ...argv], fromNpm };
}

/**
 * Reads `argv` by `spec`. Prints the help and exits 0 on `--help` (or
 * `-h`); fails (exit 2) on an unknown option, a stray argument or a
 * missing value.
 *
 * @example
 * ```ts
 * import { readOptions } from "./args.ts";
 * const spec = { script: "bench", values: ["passes"], flags: ["quick"], help: "" };
 * const given = readOptions(["--quick", "--passes=5"], spec);
 * given.values.get("passes"); // "5"
 * ```
 */
export function readOptions(
  argv: readonly string[],
  spec: OptionSpec,
): GivenOptions {
  const given: GivenOptions = { values: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      console.log(spec.help);
      process.exit(0);
    }
    if (!arg.startsWith("--")) {
      fail(`Unexpected argument: ${arg}\n${spec.help}`);
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (spec.values.includes(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) fail(`Missing value: --${name}`);
      given.values.set(name, value);
    } else if (spec.flags.includes(name)) {
      given.flags.add(name);
    } else {
      fail(`Unknown option: ${arg}\n${spec.help}`);
    }
  }
  return given;
}

/**
 * The number given for `--name`, or `fallback`; fails (exit 2) when it is
 * not a finite number of at least `min`.
 *
 * @example
 * ```ts
 * import { numberOption, readOptions } from "./args.ts";
 * const spec = { script: "bench", values: ["passes"], flags: [], help: "" };
 * const given = readOptions(["--passes", "5"], spec);
 * numberOption(given, "passes", 3, 1); // 5
 * ```
 */
export function numberOption(
  given: GivenOptions,
  name: string,
  fallback: number,
  min: number,
): number {
  const text = given.values.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) {
    fail(`Invalid value for --${name}: ${text}`);
  }
  return value;
}

/**
 * The line `--dry-run` prints: the settings the options gave (those npm
 * kept named), and that nothing was measured.
 *
 * @example
 * ```ts
 * import { dryRunLine } from "./args.ts";
 * const spec = { script: "bench", values: [], flags: ["quick"], help: "" };
 * dryRunLine(spec, ["--quick"], { quick: true });
 * // 'bench: dry run (from npm: --quick), nothing measured: {"quick":true}'
 * ```
 */
export function dryRunLine(
  spec: OptionSpec,
  fromNpm: readonly string[],
  settings: object,
): string {
  return `${spec.script}: dry run${
    fromNpm.length === 0 ? "" : ` (from npm: ${fromNpm.join(" ")})`
  }, nothing measured: ${JSON.stringify(settings)}`;
}
