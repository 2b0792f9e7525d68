import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { findImpurities } from "../../scripts/check_purity.ts";

describe("findImpurities", () => {
  test("accepts runtime-agnostic code", () => {
    const text = [
      'import { encode } from "../frame.ts";',
      "const view = new Uint8Array(new ArrayBuffer(8));",
      "// A processor of SharedArrayBuffer bundles.",
    ].join("\n");
    assert.deepEqual(findImpurities(text), []);
  });

  test("reports each runtime global as a whole word with line and column", () => {
    const text =
      "const a = 1;\nif (globalThis.Deno) Bun;\n  process.exit(Buffer);";
    assert.deepEqual(findImpurities(text), [
      { line: 2, column: 16, reason: "Mentions `Deno`" },
      { line: 2, column: 22, reason: "Mentions `Bun`" },
      { line: 3, column: 3, reason: "Mentions `process`" },
      { line: 3, column: 16, reason: "Mentions `Buffer`" },
    ]);
  });

  test("reports a mention inside a comment", () => {
    assert.deepEqual(findImpurities("/** Too big to process. */"), [
      { line: 1, column: 16, reason: "Mentions `process`" },
    ]);
  });

  test("reports node: imports, static and dynamic, once each", () => {
    const text =
      'import net from "node:net";\nawait import("node:fs/promises");';
    assert.deepEqual(findImpurities(text), [
      { line: 1, column: 18, reason: "Imports a Node built-in: node:net" },
      {
        line: 2,
        column: 15,
        reason: "Imports a Node built-in: node:fs/promises",
      },
    ]);
  });

  test("reports bare Node built-in specifiers but not relative ones", () => {
    const text =
      'import { readFile } from "fs";\nexport * from "../events.ts";\nimport "path/posix";';
    assert.deepEqual(findImpurities(text), [
      { line: 1, column: 27, reason: "Imports a Node built-in: fs" },
      { line: 3, column: 9, reason: "Imports a Node built-in: path/posix" },
    ]);
  });
});
