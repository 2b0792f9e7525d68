/**
 * The long run of the driver fuzzer (`npm run fuzz`): many more seeds, and
 * longer interleavings, than `tests/driver/driver_fuzz_test.ts` runs in
 * `npm test`. Prints the seeds as it goes; a failing seed is printed with
 * its trace and the command that replays it.
 *
 * ```sh
 * npm run fuzz                                  # 10 minutes from a fresh seed
 * npm run fuzz -- --minutes=60 --steps=200      # longer runs, longer seeds
 * npm run fuzz -- --start=1 --seeds=50000       # a fixed range
 * npm run fuzz -- --keep-going                  # list every failing seed
 * ANYWS_FUZZ_SEED=1234 npm run fuzz             # replay one seed, traced step by step
 * ANYWS_FUZZ_SEED=1234 ANYWS_FUZZ_STEPS=200 npm run fuzz   # ... found with --steps=200
 * ```
 *
 * Options may also be given as ANYWS_FUZZ_START, ANYWS_FUZZ_SEEDS,
 * ANYWS_FUZZ_STEPS and ANYWS_FUZZ_MINUTES. Exits 1 if a seed failed.
 *
 * @module
 */

import process from "node:process";
import { FuzzFailure, fuzzSeed, watchUncaught } from "../tests/_driver_fuzz.ts";

interface Options {
  start: number;
  seeds: number;
  steps: number | undefined;
  minutes: number;
  keepGoing: boolean;
}

function parse(argv: readonly string[]): Options {
  const env = process.env;
  const number = (value: string | undefined) =>
    value === undefined || value === "" ? undefined : Number(value);
  const options: Options = {
    // A fresh range each run unless told: a long run explores new seeds.
    start: number(env.ANYWS_FUZZ_START) ??
      (Date.now() % 400_000_000) * 10 + 10_000, // below 2 ** 32
    seeds: number(env.ANYWS_FUZZ_SEEDS) ?? Infinity,
    steps: number(env.ANYWS_FUZZ_STEPS),
    minutes: number(env.ANYWS_FUZZ_MINUTES) ?? 10,
    keepGoing: false,
  };
  for (const arg of argv) {
    const [name, value] = arg.split("=", 2);
    switch (name) {
      case "--start":
        options.start = Number(value);
        break;
      case "--seeds":
        options.seeds = Number(value);
        break;
      case "--steps":
        options.steps = Number(value);
        break;
      case "--minutes":
        options.minutes = Number(value);
        break;
      case "--keep-going":
        options.keepGoing = true;
        break;
      default:
        console.error(`Unknown option: ${arg}`);
        process.exit(2);
    }
  }
  for (const [name, value] of Object.entries(options)) {
    if (typeof value === "number" && !(value > 0) && name !== "start") {
      console.error(`Invalid --${name}: ${value}`);
      process.exit(2);
    }
  }
  return options;
}

async function replay(seed: number, steps: number | undefined): Promise<void> {
  const watch = watchUncaught();
  try {
    const outcome = await fuzzSeed(seed, {
      steps,
      uncaught: watch.errors,
      trace: (line) => console.log(line),
    });
    console.log(
      `seed ${seed}: ok (${outcome.steps} steps, ${outcome.opened} connections, ${outcome.frames} frames)`,
    );
  } catch (error) {
    console.error(error instanceof FuzzFailure ? error.message : error);
    process.exitCode = 1;
  } finally {
    watch.dispose();
  }
}

async function longRun(options: Options): Promise<void> {
  const { start, seeds, steps, minutes, keepGoing } = options;
  const deadline = Date.now() + minutes * 60_000;
  const watch = watchUncaught();
  const failed: number[] = [];
  let batchStart = start;
  let lastReport = Date.now();
  let ran = 0;
  let totalSteps = 0;
  console.log(
    `fuzzing the driver from seed ${start}` +
      `${
        Number.isFinite(seeds) ? `, ${seeds} seeds` : ""
      }, up to ${minutes} min` +
      `${steps === undefined ? "" : `, ${steps} steps per seed`}`,
  );
  try {
    for (let seed = start; seed < start + seeds; seed++) {
      if (Date.now() > deadline) break;
      try {
        const outcome = await fuzzSeed(seed, { steps, uncaught: watch.errors });
        totalSteps += outcome.steps;
      } catch (error) {
        failed.push(seed);
        console.error(
          `\nFAILED ${error instanceof FuzzFailure ? error.message : error}\n`,
        );
        if (!keepGoing) break;
      }
      ran++;
      if (Date.now() - lastReport > 10_000) {
        console.log(`seeds ${batchStart}..${seed} ok`);
        batchStart = seed + 1;
        lastReport = Date.now();
      }
    }
  } finally {
    watch.dispose();
  }
  const end = start + ran - 1;
  console.log(
    `\n${ran} seeds (${start}..${end}), ${totalSteps} steps: ` +
      (failed.length === 0
        ? "every invariant held"
        : `${failed.length} failed: ${failed.join(", ")}`),
  );
  if (failed.length > 0) process.exitCode = 1;
}

const replaySeed = process.env.ANYWS_FUZZ_SEED;
const options = parse(process.argv.slice(2));
if (replaySeed !== undefined && replaySeed !== "") {
  await replay(Number(replaySeed), options.steps);
} else {
  await longRun(options);
}
