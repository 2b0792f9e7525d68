// The connection driver under a seeded, model-based fuzzer (tests/_driver_fuzz.ts):
// random interleavings of application calls, peer bytes and timers, with the
// invariants of issue 12 §4 checked after every step.
//
// ANYWS_FUZZ_SEED=<n> replays one seed with a step-by-step trace (with
// ANYWS_FUZZ_STEPS=<n> if the failure was found with that many steps);
// ANYWS_FUZZ_SEEDS=<n> changes how many seeds run here (default 2500);
// `npm run fuzz` is the long run (scripts/fuzz.ts).

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { fuzzSeed, watchUncaught } from "../_driver_fuzz.ts";

const replay = process.env.ANYWS_FUZZ_SEED;
const SEEDS = Number(process.env.ANYWS_FUZZ_SEEDS) || 2500;
/** Seeds per test: an error that escapes to the runtime names its batch. */
const BATCH = 250;

if (replay !== undefined && replay !== "") {
  test(`fuzz seed ${replay}, traced`, async () => {
    const watch = watchUncaught();
    try {
      await fuzzSeed(Number(replay), {
        steps: Number(process.env.ANYWS_FUZZ_STEPS) || undefined,
        uncaught: watch.errors,
        trace: (line) => console.log(line),
      });
    } finally {
      watch.dispose();
    }
  });
} else {
  const tally: Record<string, number> = {};
  let opened = 0;
  for (let first = 1; first <= SEEDS; first += BATCH) {
    const last = Math.min(first + BATCH - 1, SEEDS);
    test(`seeds ${first}..${last}: every driver invariant holds after every step`, async () => {
      const watch = watchUncaught();
      const started = Date.now();
      let steps = 0;
      let frames = 0;
      let batchOpened = 0;
      try {
        for (let seed = first; seed <= last; seed++) {
          const outcome = await fuzzSeed(seed, { uncaught: watch.errors });
          steps += outcome.steps;
          batchOpened += outcome.opened;
          frames += outcome.frames;
          for (const [what, n] of Object.entries(outcome.tally)) {
            tally[what] = (tally[what] ?? 0) + n;
          }
        }
      } finally {
        watch.dispose();
      }
      opened += batchOpened;
      console.log(
        `fuzz seeds ${first}..${last}: ${steps} steps, ${batchOpened} connections, ` +
          `${frames} server frames checked, ${Date.now() - started} ms`,
      );
      assert.ok(
        batchOpened > (last - first + 1) / 2,
        "most seeds open a connection",
      );
    });
  }
  test("the seeds covered every kind of ending", () => {
    console.log(
      Object.entries(tally).sort().map(([what, n]) => `  ${what}: ${n}`)
        .join("\n"),
    );
    assert.ok(opened > 0);
    for (
      const what of [
        "close clean",
        "close 1006",
        "error protocol",
        "error invalid-data",
        "error too-big",
        "error keepalive",
        "error policy",
        "transport drain",
        "transport pause",
        "heartbeat ping",
        "terminate",
      ]
    ) {
      assert.ok((tally[what] ?? 0) > 0, `no seed covered: ${what}`);
    }
  });
}
