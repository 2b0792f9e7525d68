import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  autoEngine,
  detectRuntime,
  loadEngine,
  type RuntimeName,
} from "../../engines/auto.ts";

// Independent of detectRuntime()'s own check: Deno and Bun both report
// themselves in Node's process.versions.
const versions = process.versions as Record<string, string | undefined>;
const expected: RuntimeName = versions.deno !== undefined
  ? "deno"
  : versions.bun !== undefined
  ? "bun"
  : "node";

describe("engines/auto.ts", () => {
  test("detectRuntime() names the runtime running the test", () => {
    assert.equal(detectRuntime(), expected);
  });

  test("autoEngine() is named after the runtime and loads nothing before listen()", () => {
    const engine = autoEngine({ highWaterMark: 1024 });
    assert.equal(engine.name, expected);
    assert.equal(typeof engine.listen, "function");
  });

  for (const runtime of ["deno", "bun", "node"] as const) {
    test(`loadEngine("${runtime}") imports the ${runtime} engine without touching its runtime`, async () => {
      const engine = await loadEngine(runtime);
      assert.equal(engine.name, runtime);
    });
  }

  test("loadEngine() rejects an unknown runtime", async () => {
    await assert.rejects(loadEngine("workerd" as RuntimeName), {
      message: "Unknown runtime: workerd",
    });
  });
});
