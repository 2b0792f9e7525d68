// The layering check (scripts/check_layers.ts): layers import only
// downwards, src/ never imports the engines, and the protocol core keeps no
// module-level state. The check reads import statements, not words.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { checkFile, importsOf } from "../../scripts/check_layers.ts";

const reasons = (file: string, text: string): string[] =>
  checkFile(file, text).map((v) => v.reason);

describe("check_layers: imports", () => {
  test("reads static, re-export, dynamic and type imports, not words in comments or strings", () => {
    const text = [
      '// import { x } from "../engines/node.ts";',
      "const s = \"from '../engines/deno.ts'\";",
      'import { a } from "./a.ts";',
      'export { b } from "./b.ts";',
      'const c = await import("./c.ts");',
      'type D = import("./d.ts").D;',
    ].join("\n");
    assert.deepEqual(importsOf(text).map((i) => i.specifier), [
      "./a.ts",
      "./b.ts",
      "./c.ts",
      "./d.ts",
    ]);
  });

  test("the protocol core imports nothing outside itself", () => {
    assert.deepEqual(
      reasons(
        "src/protocol/x.ts",
        'import type { Server } from "../server/server.ts";',
      ),
      ["src/protocol/ may not import src/server/ (../server/server.ts)"],
    );
    assert.deepEqual(
      reasons("src/protocol/x.ts", 'import { y } from "./y.ts";'),
      [],
    );
  });

  test("nothing under src/ imports engines/, even dynamically", () => {
    assert.match(
      reasons(
        "src/server/x.ts",
        'const { autoEngine } = await import("../../engines/auto.ts");',
      )[0],
      /src\/ imports engines\//,
    );
  });

  test("the driver may import the protocol but not the server", () => {
    assert.deepEqual(
      reasons("src/driver/x.ts", 'import { P } from "../protocol/p.ts";'),
      [],
    );
    assert.deepEqual(
      reasons("src/driver/x.ts", 'import type { O } from "../server/o.ts";'),
      ["src/driver/ may not import src/server/ (../server/o.ts)"],
    );
  });

  test("src/ imports no package by name", () => {
    assert.deepEqual(reasons("src/server/x.ts", 'import x from "pako";'), [
      "imports a package: pako",
    ]);
  });
});

describe("check_layers: no module-level state in src/protocol", () => {
  test("a top-level let is state", () => {
    assert.match(
      reasons("src/protocol/x.ts", "let used = 0;")[0],
      /module-level `let`/,
    );
  });

  test("unfrozen literals, maps and typed arrays are state; frozen ones and empty arrays are not", () => {
    const text = [
      "const A = { x: 1 } as const;",
      "const B = new Map();",
      "const C = new Array(4).fill(0);",
      "const D = Object.freeze({ x: 1 });",
      "const E = new Uint8Array(0);",
      "const F = new TextEncoder();",
    ].join("\n");
    assert.deepEqual(
      checkFile("src/protocol/x.ts", text).map((v) => v.line),
      [1, 2, 3],
    );
  });

  test("a typed array marked as scratch is allowed; unmarked it is not", () => {
    assert.deepEqual(
      reasons(
        "src/protocol/x.ts",
        "// Scratch: used within one call.\nconst s = new Uint8Array(4);",
      ),
      [],
    );
    assert.equal(
      reasons("src/protocol/x.ts", "const s = new Uint8Array(4);").length,
      1,
    );
  });

  test("other layers may keep module state (the server's shared pools)", () => {
    assert.deepEqual(reasons("src/driver/x.ts", "let n = 0;"), []);
  });
});
