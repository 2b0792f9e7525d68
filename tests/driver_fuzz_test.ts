// The connection driver under a seeded, model-based fuzzer (tests/_driver_fuzz.ts):
// random interleavings of application calls, peer bytes and timers, with the
// invariants of issue 12 §4 checked after every step.
//
// ANYWS_FUZZ_SEED=<n> replays one seed with a step-by-step trace;
// ANYWS_FUZZ_SEEDS=<n> changes how many seeds run here (`npm run fuzz` is
// the long run).

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { fuzzSeed, watchUncaught } from "./_driver_fuzz.ts";

const replay = process.env.ANYWS_FUZZ_SEED;
const SEEDS = Number(process.env.ANYWS_FUZZ_SEEDS) || 2000;
const FIRST_SEED = 1;

if (replay !== undefined && replay !== "") {
  test(`fuzz seed ${replay}, traced`, async () => {
    const watch = watchUncaught();
    try {
      await fuzzSeed(Number(replay), {
        uncaught: watch.errors,
        trace: (line) => console.log(line),
      });
    } finally {
      watch.dispose();
    }
  });
} else {
  test(`${SEEDS} seeded interleavings keep every driver invariant`, async () => {
    const watch = watchUncaught();
    const started = Date.now();
    let steps = 0;
    let opened = 0;
    let frames = 0;
    const tally: Record<string, number> = {};
    try {
      for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
        const outcome = await fuzzSeed(seed, { uncaught: watch.errors });
        steps += outcome.steps;
        opened += outcome.opened;
        frames += outcome.frames;
        for (const [what, n] of Object.entries(outcome.tally)) {
          tally[what] = (tally[what] ?? 0) + n;
        }
      }
    } finally {
      watch.dispose();
    }
    console.log(
      `fuzz: seeds ${FIRST_SEED}..${FIRST_SEED + SEEDS - 1}: ${steps} steps, ` +
        `${opened} connections opened, ${frames} server frames checked, ` +
        `${Date.now() - started} ms`,
    );
    console.log(
      Object.entries(tally).sort().map(([what, n]) => `  ${what}: ${n}`)
        .join("\n"),
    );
    assert.ok(opened > SEEDS / 2, "most seeds open a connection");
  });
}
