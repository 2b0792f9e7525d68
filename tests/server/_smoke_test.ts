// A tiny test that always exists, so a run never has zero test files while
// the real suites are being written. It pins that mod.ts loads as an ES
// module on every runtime.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as mod from "../../mod.ts";

describe("mod.ts", () => {
  test("loads as an ES module namespace", () => {
    assert.equal(Object.prototype.toString.call(mod), "[object Module]");
  });

  test("exports no default export (named exports only)", () => {
    assert.equal("default" in mod, false);
  });
});
